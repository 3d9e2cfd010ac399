"""Run Python work in forked processes that share the caller's data.

Rendering pages, writing search bundles and computing the routing table are Python (one core
each) over data the parent has already built: views, lazy page makers, bundle plans.  A forked
child sees all of it without pickling, so only the bounds of its share (or its small result)
travel; exceptions raised in a child come back to the parent.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
Task = Callable[[int, int], T]

_TASK: Task[Any] | None = None  # set only while a pool runs; the children inherit it at fork


def split_over_forks(count: int, workers: int, task: Task[T], *, at_least: int = 2) -> list[T]:
    """Call ``task(start, stop)`` over ``[0, count)``: in ``workers`` forked processes, each one share,
    when there are two workers or more, ``count >= at_least`` and the platform can fork; else here.
    Returns what each share's call returned (pickled back from the children), in order."""
    global _TASK
    if workers < 2 or count < at_least or "fork" not in multiprocessing.get_all_start_methods():
        return [task(0, count)]
    bounds = [count * i // workers for i in range(workers + 1)]
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.starmap(_run_share, zip(bounds, bounds[1:], strict=False))
    finally:
        _TASK = None


def _run_share(start: int, stop: int) -> Any:
    assert _TASK is not None, "split_over_forks sets the task before forking"
    return _TASK(start, stop)


@contextlib.contextmanager
def beside(task: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Start ``task`` in a forked process and go on; the function yielded waits for its result.

    Why: a step that runs on one core (the routing table) can run while the caller's own work
    goes on, instead of after it.  The child is forked at once, before the caller starts threads
    or other forks; its result (or exception) comes back pickled, so it should be small.  If the
    block is left without waiting (an error), the child is stopped.  Where fork is unavailable
    the task simply runs here first.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        value = task()
        yield lambda: value
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_send_result, args=(task, sender), daemon=True)  # fork: not pickled
    process.start()
    sender.close()

    def result() -> T:
        try:
            ok, value = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(
                f"a forked process ended without a result (exit code {process.exitcode})"
            ) from None
        process.join()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    try:
        yield result
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _send_result(task: Callable[[], Any], sender: Connection) -> None:
    try:
        outcome = (True, task())
    except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
        outcome = (False, exc)
    sender.send(outcome)
    sender.close()
