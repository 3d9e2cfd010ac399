"""Run Python work in forked processes that share the caller's data.

Rendering pages, writing search bundles and computing the routing table are Python (one core
each) over data the parent has already built: views, lazy page makers, bundle plans.  A forked
child sees all of it without pickling, so only the bounds of its share (or its small result)
travel; exceptions raised in a child come back to the parent.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import ctypes
import fcntl
import gc
import heapq
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")
A = TypeVar("A")
P = TypeVar("P")
Task = Callable[[int, int], T]

_TASK: Callable[..., Any] | None = None  # in a pool's worker: the task it runs (set at its start)


_COLLECTOR_PAUSED = False  # in this process, by collector_paused: forked children turn it back on


class WorkerLost(RuntimeError):
    """A forked worker ended while its work was not done: killed (the kernel's out-of-memory
    killer, ``kill -9``) or exited.

    Why: a full build at 10^6 records, whose flush workers the out-of-memory killer ended, waited
    for their pages for ever instead of failing (docs/benchmarks.md, session 32; ``_Workers``).
    """


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off in this process for the block, and back on in every
    process forked meanwhile, over what that child makes itself.

    Why: a build's main process makes some 10^6 objects that live as long as it does (states,
    views, plans), and the collections their making set off cost it 0.75 s of a weekly build at
    10^5 records, on its serial path (docs/benchmarks.md, session 28).  Its forked workers render
    pages with Jinja, which makes cycles, so they still collect; everything they inherit is frozen
    first (``gc.freeze``): their first collection would otherwise walk all the objects the parent
    made since its last collection (0.5 s a flush worker), and write into the headers of pages
    they share with it.  On leaving, the block's objects join the oldest generation in O(1), as
    ``pagefind_index.no_gc`` leaves them.
    """
    global _COLLECTOR_PAUSED
    was_enabled, was_paused, frozen = gc.isenabled(), _COLLECTOR_PAUSED, gc.get_freeze_count()
    gc.disable()
    _COLLECTOR_PAUSED = True
    try:
        yield
    finally:
        _COLLECTOR_PAUSED = was_paused
        if not frozen:  # else unfreeze would also thaw what the caller froze
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _collector_back_in_child() -> None:
    if _COLLECTOR_PAUSED:
        gc.freeze()
        gc.enable()


os.register_at_fork(after_in_child=_collector_back_in_child)


class StoppedOnExit:
    """Work running beside the caller, as a context manager: ``stop()`` on leaving the block."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def split_over_forks(
    count: int, workers: int, task: Task[T], *, at_least: int = 2, shares: int | None = None
) -> list[T]:
    """Call ``task(start, stop)`` over ``[0, count)`` cut into ``shares`` (default: one a worker), in
    ``workers`` forked processes when there are two workers or more, ``count >= at_least`` and the
    platform can fork; else here, in one call.  Each worker takes the next share as it comes free,
    so more shares than workers even out shares of uneven cost.  Returns what each share's call
    returned (pickled back from the children), in order."""
    return SharesBeside(count, workers, task, at_least=at_least, shares=shares).result()


class SharesBeside(StoppedOnExit, Generic[T]):
    """``split_over_forks`` started now: the shares run in forked processes while the caller goes
    on, and ``result()`` waits for them (listing a folder while the build reads its states).

    The workers are forked at once, so start it before the caller builds large data it does not
    need, and ``stop()`` it on giving up (as a context manager it is stopped on leaving the block).
    """

    def __init__(
        self,
        count: int,
        workers: int,
        task: Task[T],
        *,
        at_least: int = 2,
        shares: int | None = None,
        caller_takes_part: bool = False,
    ) -> None:
        """``caller_takes_part``: ``workers`` counts the caller, which takes shares too in
        ``result()``, so one process fewer is forked (see ``_take_shares``)."""
        self._pool: _Workers | None = None
        self._results: list[T] = []
        self._task = task
        self._claims: int | None = None  # the pipe's end the share numbers are read from
        self._pending: list[concurrent.futures.Future[Any]] = []
        if workers < 2 or count < at_least or "fork" not in multiprocessing.get_all_start_methods():
            self._results = [task(0, count)]
            return
        shares = shares or workers
        self._bounds = [count * i // shares for i in range(shares + 1)]
        # Handed out in order, each to the next process that comes free.
        self._claims = _share_numbers(shares)
        self._caller_takes_part = caller_takes_part
        forked = workers - 1 if caller_takes_part else workers
        self._pool = _Workers(forked, task)
        self._pending = [self._pool.submit(_take_shares, self._claims, self._bounds) for _ in range(forked)]

    def result(self) -> list[T]:
        """What each share returned, in order; a share's exception is raised here, once every
        share has ended (or at once, the caller's own)."""
        if self._pool is not None:
            assert self._claims is not None
            try:
                taken: list[tuple[int, T]] = []
                if self._caller_takes_part:
                    with _collecting():
                        taken = _take_shares(self._claims, self._bounds, self._task)
                concurrent.futures.wait(self._pending)
                for future in self._pending:
                    taken += self._pool.outcome(future)
                self._results = [result for _, result in sorted(taken, key=lambda pair: pair[0])]
            finally:
                self.stop()
        return self._results

    def stop(self) -> None:
        """Stop the workers if they still run, and reap them; harmless once they have ended."""
        if self._pool is not None:
            self._pool.stop()
            self._pool = None
        if self._claims is not None:
            os.close(self._claims)
            self._claims = None


def _share_numbers(shares: int) -> int:
    """A pipe holding the numbers ``0 .. shares - 1``; returns its end to read them from, one by one
    (``_take_shares``).

    Why a pipe: the caller and its forked workers each take the next number as they come free,
    and a read of a pipe is atomic in the kernel, so a worker the kernel kills midway holds no lock
    the others would then wait on for ever (a ``multiprocessing.Lock`` would).
    """
    numbers = b"".join(number.to_bytes(_SHARE_NUMBER) for number in range(shares))
    read, write = os.pipe()
    if len(numbers) > fcntl.fcntl(write, fcntl.F_GETPIPE_SZ):  # the write would wait for a reader
        os.close(read)
        os.close(write)
        raise ValueError(f"too many shares to hand out: {shares}")
    os.write(write, numbers)
    os.close(write)
    os.set_blocking(read, False)  # an empty pipe is then the end of the shares, not a wait
    return read


_SHARE_NUMBER = 4  # bytes


def _take_shares(claims: int, bounds: Sequence[int], task: Task[T] | None = None) -> list[tuple[int, T]]:
    """Take the next share number from ``claims`` (``_share_numbers``) and run its share, until none
    is left; returns each share's number and result.  ``task``: the pool's, in a forked worker."""
    run = task or _TASK
    assert run is not None, "the pool's initializer sets the task"
    done: list[tuple[int, T]] = []
    while True:
        try:
            taken = os.read(claims, _SHARE_NUMBER)
        except BlockingIOError:  # none left, the pipe's writing end still open somewhere
            taken = b""
        if not taken:  # none left
            return done
        number = int.from_bytes(taken)
        done.append((number, run(bounds[number], bounds[number + 1])))


@contextlib.contextmanager
def _collecting() -> Iterator[None]:
    """The cyclic collector on for the block, over what it makes, where ``collector_paused`` had
    turned it off: the caller's share of a flush renders pages with Jinja, which makes cycles, as
    a forked worker does (``_collector_back_in_child``)."""
    if not _COLLECTOR_PAUSED or gc.isenabled():
        yield
        return
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


class TaskPool(StoppedOnExit, Generic[A, T]):
    """Forked workers that take tasks as the caller hands them over, each to whichever is free.

    Why: work that becomes ready in parts (the search bundles that need no Pagefind run, then the
    rest once the runs have ended) can start before all of it is ready, and uneven tasks even
    out.  The workers are forked at once, sharing the caller's data as it is then; only each
    task's argument and result travel (pickled), so keep both small.  With fewer than two
    workers, or no fork, each task runs here as it is handed over.  ``stop()`` it on giving up
    (as a context manager it is stopped on leaving the block).
    """

    def __init__(self, workers: int, task: Callable[[A], T]) -> None:
        self._task = task
        self._pool: _Workers | None = None
        self._pending: list[concurrent.futures.Future[T]] = []
        self._done: list[T] = []
        if workers >= 2 and "fork" in multiprocessing.get_all_start_methods():
            self._pool = _Workers(workers, task)

    def submit(self, argument: A) -> None:
        if self._pool is None:
            self._done.append(self._task(argument))
        else:
            self._pending.append(self._pool.submit(_run_one, argument))

    def results(self) -> list[T]:
        """What every task returned, in the order they were handed over.  A task's exception is
        raised here as soon as it comes, after the workers are stopped: not after the others."""
        try:
            if self._pool is not None:
                done, _ = concurrent.futures.wait(
                    self._pending, return_when=concurrent.futures.FIRST_EXCEPTION
                )
                for future in self._pending:  # the first failure, in the order handed over
                    if future in done and future.exception() is not None:
                        self._pool.outcome(future)
                self._done += [self._pool.outcome(future) for future in self._pending]
                self._pending = []
        finally:
            self.stop()
        return self._done

    def stop(self) -> None:
        """Stop the workers if they still run, and reap them; harmless once they have ended."""
        if self._pool is not None:
            self._pool.stop()
            self._pool = None


class _Workers:
    """``workers`` processes forked now, each running ``task`` on what is handed over to it.

    Why ``ProcessPoolExecutor``: a worker that ends while it holds work (the kernel's
    out-of-memory killer, ``kill -9``) breaks the pool and fails every task not done, where
    ``multiprocessing.Pool`` forked another in its place and never finished the lost work: a full
    build at 10^6 records waited for ever, and the Pool's ``terminate()`` could then hang too
    (docs/benchmarks.md, session 32).
    """

    def __init__(self, workers: int, task: Callable[..., Any]) -> None:
        # Forked workers inherit the task from their start-up arguments: nothing is pickled.
        self._executor = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_set_task,
            initargs=(task, os.getpid()),
        )  # fmt: skip
        # With fork, an executor forks all its workers at its first task: this one, so that they
        # start now and share the caller's data as it is now.
        self._executor.submit(int)
        self._processes: list[BaseProcess] = list(self._executor._processes.values())

    def submit(self, function: Callable[..., T], *arguments: Any) -> concurrent.futures.Future[T]:
        return self._executor.submit(function, *arguments)

    def outcome(self, future: concurrent.futures.Future[T]) -> T:
        """The task's result, or its exception raised; ``WorkerLost`` where a worker ended."""
        try:
            return future.result()
        except concurrent.futures.process.BrokenProcessPool:
            self._executor.shutdown(wait=True)  # its manager thread reaps every worker first
            ended = [process.exitcode for process in self._processes if process.exitcode is not None]
            # The executor ends the others with SIGTERM once it finds one gone: say how that one went.
            lost = [code for code in ended if code != -signal.SIGTERM] or ended
            how = _how(lost[0]) if lost else "how is not known"
            raise WorkerLost(f"a forked worker ended before its work was done ({how})") from None

    def stop(self) -> None:
        """Kill the workers that still run, and reap them."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in self._processes:
            if process.is_alive():
                process.kill()
        for process in self._processes:
            process.join()
        self._executor.shutdown(wait=True)


def _how(exitcode: int) -> str:
    """How a process ended, from its exit code (negative: the signal that killed it)."""
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    return f"killed by {name}" + ("; the kernel's out-of-memory killer sends it" if name == "SIGKILL" else "")


def balanced_shares(items: Sequence[T], count: int, *, cost: Callable[[T], float]) -> list[list[T]]:
    """``items`` dealt into ``count`` shares of nearly equal total cost: each item, costliest
    first, to the share with the least so far (its largest share within 4/3 of the
    best split's)."""
    shares: list[list[T]] = [[] for _ in range(count)]
    loads = [(0.0, number) for number in range(count)]  # a heap: (cost so far, share)
    for item in sorted(items, key=cost, reverse=True):
        load, number = heapq.heappop(loads)
        shares[number].append(item)
        heapq.heappush(loads, (load + cost(item), number))
    return shares


def _set_task(task: Callable[..., Any], parent: int) -> None:
    global _TASK
    _die_with(parent)
    _TASK = task


# prctl(2): the signal a process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """End this forked process when ``parent`` (the process that forked it) ends, however it ends.

    Why: a build killed (``kill -9``, the machine's OOM killer) left its workers writing into its
    staging folder, and a folder they made again after the next build had cleared it was left
    beside the site.  Linux only; elsewhere a worker ends once it finds its parent gone.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def module_dying_with_this_process(module: str, arguments: Sequence[str]) -> list[str]:
    """The command that runs ``python -m module arguments`` and ends when this process ends,
    however it ends: ``_die_with``'s prctl, made before the module runs, holds across its exec
    (``python -m pagefind`` execs Pagefind's binary).

    Why: a build killed while Pagefind ran left the run writing into its scratch folder in
    /dev/shm, where the next build's cleanup met it half-written (session 31).
    """
    return [sys.executable, "-c", _DYING_WITH_PARENT, str(os.getpid()), module, *arguments]


# ``_die_with``'s steps, written out: an interpreter that imports this module started in 0.03-0.05 s
# of CPU, one that imports ctypes and runpy alone in 0.01-0.02 s (session 31), and a full build
# starts Pagefind some 34 times.
_DYING_WITH_PARENT = f"""\
import ctypes, os, runpy, signal, sys
parent, module = int(sys.argv[1]), sys.argv[2]
del sys.argv[1:3]
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl({_PR_SET_PDEATHSIG}, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def _run_one(argument: Any) -> Any:
    assert _TASK is not None, "the pool's initializer sets the task"
    return _TASK(argument)


class _InChild(StoppedOnExit, Generic[T]):
    """A forked process whose one result (or exception) comes back pickled: ``result()`` waits."""

    _outcome: tuple[bool, Any] | None = None
    _process: BaseProcess | None = None

    def _fork(self, target: Callable[..., None], *args: Any) -> None:
        """Start ``target(*args, sender, parent)``; it sends its outcome through ``sender``."""
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(  # nothing is pickled
            target=target, args=(*args, sender, os.getpid()), daemon=True
        )
        self._process.start()
        sender.close()

    def result(self) -> T:
        if self._outcome is None:
            assert self._process is not None
            try:
                self._outcome = self._receiver.recv()
            except EOFError:
                self._process.join()
                how = _how(self._process.exitcode or 0)  # set once joined
                raise WorkerLost(f"a forked process ended without a result ({how})") from None
            finally:
                self.stop()
        ok, value = self._outcome
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop the task if it still runs, and reap it; harmless once it has ended."""
        if self._process is None:
            return
        self._receiver.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._process = None


class Beside(_InChild[T]):
    """``task`` running in a forked process while the caller goes on; ``result()`` waits for it.

    Why: a step that runs on one core (the routing table) can run while the caller's own work
    goes on, instead of after it.  The child is forked at once, so start it before the caller
    starts threads; its result (or exception) comes back pickled, so it should be small.  Whoever
    starts it must ``stop()`` it if they give up waiting (an error); as a context manager it is
    stopped on leaving the block.  Where fork is unavailable the task simply runs here first.
    """

    def __init__(self, task: Callable[[], T]) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            self._outcome = _run(task)
            return
        self._fork(_send_result, task)


class Primed(_InChild[T], Generic[P, A, T]):
    """``prepare()`` run in a forked process now, then ``task(prepared, argument)`` there once the
    caller hands ``argument`` over (``give``); ``result()`` waits for it.

    Why: part of a step beside the build needs only what the build has early (the routing table's
    kept counts), the rest what it has later (the bundle plan).  Started early, the first part
    runs on the core the build's serial start leaves idle.  ``argument`` travels pickled, read in
    a thread of the child while it prepares, so ``give`` does not wait for the preparation.  As
    ``Beside``, it must be stopped by whoever gives up on it.  Where fork is unavailable, both run
    here when the argument is given.
    """

    def __init__(self, prepare: Callable[[], P], task: Callable[[P, A], T]) -> None:
        self._here: tuple[Callable[[], P], Callable[[P, A], T]] | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._here = (prepare, task)
            return
        arguments, self._sender = multiprocessing.get_context("fork").Pipe(duplex=False)
        self._fork(_send_primed_result, prepare, task, arguments)
        arguments.close()

    def give(self, argument: A) -> None:
        """Hand the argument over (once); a child that has already failed ignores it."""
        if self._here is not None:
            prepare, task = self._here
            self._outcome = _run(lambda: task(prepare(), argument))
            return
        try:
            self._sender.send(argument)
        except OSError:  # the child has ended (its preparation failed): result() says why
            pass
        finally:
            self._sender.close()

    def stop(self) -> None:
        if self._here is None and not self._sender.closed:
            self._sender.close()  # a child still waiting for its argument reads its end
        super().stop()


def _run(task: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, task()
    except BaseException as exc:  # noqa: BLE001 - the caller re-raises it
        return False, exc


def _send_result(task: Callable[[], Any], sender: Connection, parent: int) -> None:
    _die_with(parent)
    sender.send(_run(task))
    sender.close()


def _send_primed_result(
    prepare: Callable[[], Any],
    task: Callable[[Any, Any], Any],
    arguments: Connection,
    sender: Connection,
    parent: int,
) -> None:
    _die_with(parent)
    received: list[tuple[bool, Any]] = []

    def receive() -> None:  # beside the preparation: the caller's send never waits for it
        try:
            received.append((True, arguments.recv()))
        except EOFError:  # the caller gave up
            received.append((False, None))

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    prepared = _run(prepare)
    if prepared[0]:
        reader.join()
        given, argument = received[0]
        if not given:
            return
        outcome = _run(lambda: task(prepared[1], argument))
    else:
        outcome = prepared
    sender.send(outcome)
    sender.close()
