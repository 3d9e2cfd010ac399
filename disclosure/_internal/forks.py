"""Split a range of work over forked processes that share the caller's data.

Rendering pages and writing search bundles are Python (one core each) over data the parent has
already built: views, lazy page makers, bundle plans.  A forked child sees all of it without
pickling, so only the bounds of its share travel; exceptions raised in a child come back to the
parent as with any :class:`multiprocessing.pool.Pool`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

Task = Callable[[int, int], None]

_TASK: Task | None = None  # set only while a pool runs; the children inherit it at fork


def split_over_forks(count: int, workers: int, task: Task, *, at_least: int = 2) -> None:
    """Call ``task(start, stop)`` over ``[0, count)``: in ``workers`` forked processes, each one share,
    when there are two workers or more, ``count >= at_least`` and the platform can fork; else here."""
    global _TASK
    if workers < 2 or count < at_least or "fork" not in multiprocessing.get_all_start_methods():
        task(0, count)
        return
    bounds = [count * i // workers for i in range(workers + 1)]
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.starmap(_run_share, zip(bounds, bounds[1:], strict=False))
    finally:
        _TASK = None


def _run_share(start: int, stop: int) -> None:
    assert _TASK is not None, "split_over_forks sets the task before forking"
    _TASK(start, stop)
