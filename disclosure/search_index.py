"""The build's index step: the search bundles and the routing table, from the renderer's plan.

Pagefind indexes only the new or changed search entries (in a scratch folder, in memory where
there is some); every bundle that changed is then edited from its previous version or written
whole by ``pagefind_write`` (the same bytes either way); the routing table is made in a process of
its own, started by the build as soon as the bundles are planned.  docs/site.md, "Search".
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import Any

from disclosure._internal.forks import StoppedOnExit, TaskPool, module_dying_with_this_process
from disclosure._internal.pagefind_index import BundleFormatError, IndexedPage, page_urls, read_bundle
from disclosure._internal.pagefind_postings import warm as warm_postings
from disclosure._internal.pagefind_write import edit_bundle, write_bundle
from disclosure._internal.tree import mirror_tree, replace_file
from disclosure.site.bundles import (
    PLACEHOLDER_DIR,
    Bundle,
    index_chunk_size,
    search_entry_sorts,
)
from disclosure.site.render import INDEX_SOURCE, PLACEHOLDER_PAGE, Output
from disclosure.site.routing import ROUTE_DIR

SHM = Path("/dev/shm")
SCRATCH_PREFIX = "disclosure-index-"


class SearchIndexError(Exception):
    """Pagefind failed, or a previous bundle could not be read or edited; the build stops."""


def make_scratch(staging: Path) -> Path:
    """Where the search entries and Pagefind's runs go: memory (/dev/shm) when there is some.

    They are written, indexed once and deleted: on disk each costs a directory, a file and their
    removal (about 0.3 ms together here), in memory almost nothing.  ``staging/INDEX_SOURCE`` is a
    link to it, so the renderer writes the entries as it writes any file.
    """
    try:
        scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=SHM))
    except OSError:
        scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=staging.parent))
    (scratch / "staging").write_text(str(staging))  # whose it is, for remove_stale_scratch
    (scratch / "entries").mkdir()
    (staging / INDEX_SOURCE).symlink_to(scratch / "entries")
    return scratch


class IndexStep(StoppedOnExit):
    """The index step: pagefind/<bundle>/ for every bundle, kept or linked if unchanged, else edited
    or written from indexed pages.  Started as soon as the render has written its pages (Pagefind's
    runs and the bundle writers start here), finished by ``finish()``; ``stop()`` it on giving up.

    Why started apart: what the build does between the render's last file and the index step (the
    flush's bookkeeping, the sitemap, Pelican's end, the files it no longer makes) kept one core
    idle for 0.7 s of a weekly build at 10^5 records; now the runs and the writers use it.

    ``kept`` names the bundles already in ``site_dir`` (a spare's), with their keys; the spare's
    other bundles are moved into ``discard`` (a folder on the same file system), which the caller
    deletes when it suits it: deleting them here took about 1.4 s of a weekly build at 10^5 (some
    200 folders of 400 files).

    Pagefind reads the minimal search entries under INDEX_SOURCE, not the public pages, and only
    the new or changed ones (``IndexWork.jobs``, ``workers`` runs at a time: Pagefind works on one
    core).  Every other bundle is edited from its base, the previous bundle most of its pages were
    in (``edit_bundle``), or written whole by ``write_bundle``, from pages read out of those runs
    and out of the previous site's bundles (those that draw on no run while the runs go on, the
    rest once they have ended: ``_BundleWriters``): the same pages give the same bytes, however
    they were indexed, so an incremental build equals a clean one.
    """

    def __init__(
        self,
        site_dir: Path,
        output: Output,
        previous: Path,
        kept: dict[str, str],
        workers: int,
        scratch: Path,
        discard: Path,
        runs: PagefindRuns | None = None,
    ) -> None:
        self._site_dir, self._bundles = site_dir, output.bundles
        target = site_dir / "pagefind"
        work = output.index_work
        # The runs first, if the build has not started them (``runs``, ``start_runs``): they need
        # only the entries, and the spare's bundles sorted out, the reused ones mirrored, go on
        # beside them.
        self._runs = runs if runs is not None else start_runs(output, scratch, workers)
        self._start = self._runs.started
        source, jobs_dir = self._runs.source, self._runs.target  # in ``scratch``
        self._writers: _BundleWriters | None = None
        try:
            bundles = output.bundles
            keep = {b.name for b in bundles if kept.get(b.name) == b.key and (target / b.name).is_dir()}
            # A spare's older version of a bundle to be edited is edited where it is (edit_bundle).
            # So is its older version of a bundle reused from the previous site (``mirror_tree``).
            stay = keep | {b.name for b, _ in work.rebuilt if b.name in work.bases} | {ROUTE_DIR}
            stay |= set(work.reused)
            target.mkdir(exist_ok=True)
            for entry in os.scandir(target):  # a spare's other bundles, its bundles.json
                if entry.name not in stay:
                    if entry.is_dir(follow_symlinks=False):
                        os.rename(entry.path, discard / entry.name)
                    else:
                        os.unlink(entry.path)
            if not bundles:  # nothing published: one bundle with the placeholder only, so search still loads
                self._bundles = [Bundle(name="empty", records=())]
                (source / "empty" / PLACEHOLDER_DIR).mkdir(parents=True)
                (source / "empty" / PLACEHOLDER_DIR / "index.html").write_text(PLACEHOLDER_PAGE)
                run_pagefind(source / "empty", jobs_dir / "empty")
                pages = _read_bundle(jobs_dir / "empty").values()
                write_bundle(
                    pages,
                    target / "empty",
                    runtime=jobs_dir / "empty",
                    chunk_size=index_chunk_size,
                    page_tag=self._bundles[0].tag,
                )
            for name in work.reused:
                if name not in keep:
                    mirror_tree(previous / "pagefind" / name, target / name)
            rebuilt = [(bundle, sources) for bundle, sources in work.rebuilt if bundle.name not in keep]
            self.made = Counter(kept=len(keep), linked=len(set(work.reused) - keep))
            self._rebuilt = bool(rebuilt)
            locations = {name: jobs_dir / name for name, _ in work.jobs}
            for _bundle, sources in rebuilt:
                for where in set(sources.values()) - set(locations):
                    locations[where] = previous / "pagefind" / where
            ended = self._runs.ended()  # a weekly build's run, started beside the render, may be over
            self._writers = _BundleWriters(
                rebuilt, work.bases, locations, target, workers, self._runs.names, discard, ended
            )
        except BaseException:
            self.stop()
            raise

    def finish(
        self,
        routing: Callable[[], tuple[int, float]],
        timings: dict[str, float],
        meanwhile: Callable[[], object] = lambda: None,
    ) -> Counter[str]:
        """Wait for the runs and the writers, write bundles.json; returns how many bundles were made
        each way.  ``timings`` gets "pagefind" (until the last run ended) and "bundles" (until the
        last bundle was written), both from the first run's start.  ``meanwhile`` is the caller's
        own work, done here before waiting for the runs to end.
        """
        assert self._writers is not None
        try:

            def runs_ended() -> None:
                self._runs.wait_doing(meanwhile)
                timings["pagefind"] = time.perf_counter() - self._start  # for the benchmark

            self.made.update(self._writers.finish(runs_ended))
        finally:
            self.stop()
        if self._rebuilt:
            timings["bundles"] = time.perf_counter() - self._start
        start = time.perf_counter()
        shards, timings["routing"] = routing()
        timings["routing wait"] = time.perf_counter() - start
        newest_first = list(reversed(self._bundles))
        (self._site_dir / INDEX_SOURCE).unlink()
        listing = {
            "bundles": [
                {"name": b.name, "path": b.path, "count": len(b.records), "tag": b.tag} for b in newest_first
            ],
            "route": {"path": f"/pagefind/{ROUTE_DIR}/", "shards": shards},
        }
        replace_file(
            self._site_dir / "pagefind" / "bundles.json",
            (json.dumps(listing, separators=(",", ":")) + "\n").encode(),
        )
        return self.made

    def stop(self) -> None:
        """Stop the writers and the runs still going; harmless once they have ended."""
        if self._writers is not None:
            self._writers.stop()
        self._runs.stop()


class _BundleWriters(StoppedOnExit):
    """The rebuilt bundles, written in ``workers`` forked processes (reading and encoding is
    Python), started here; ``finish()`` returns how many were edited from their base, carved out of
    a source, and written whole.

    ``runs`` are the sources made by Pagefind, still running unless ``runs_ended``.  The bundles that
    draw on none (a weekly build at 10^5: 82 of 217, which only lost records) are handed to the
    writers at once, and written while Pagefind runs on one core; the rest once every run has ended
    (at once too where the runs had ended before the writers started: a weekly build's one run,
    started while the render's workers rendered).  (Handing each
    bundle over as its runs ended slowed a full build, whose runs keep both cores busy: index step
    119 s against 100-108 s.)  The writers take runs of neighbouring bundles, which draw on the same
    few sources, as they come free; each keeps what it read of the last ``KEPT_SOURCES`` sources (a
    weekly build's new entries are in one or two Pagefind runs that most bundles draw on, a few
    pages each, and reading one of 2,087 pages took 0.15 s).  A bundle with a base is edited from it
    (``edit_bundle``): only its pages from elsewhere are read.  A bundle without one (a full
    build's every bundle, a weekly build's newest) is carved the same way out of the source most of
    its pages come from, a Pagefind run that also indexed its neighbours: reading the run's pages
    and writing them whole took twice as long.  A spare's version of a bundle leaves its old index
    chunks and filters in ``discard`` (``edit_bundle``'s ``trash``), for the caller to delete with
    the rest: unlinked one by one, they took 1.2 s of the writers' CPU in a weekly build at 10^5.
    """

    def __init__(
        self,
        rebuilt: list[tuple[Bundle, dict[str, str]]],
        bases: Mapping[str, tuple[str, tuple[str, ...]]],
        locations: dict[str, Path],
        target: Path,
        workers: int,
        runs: Set[str] = frozenset(),
        discard: Path | None = None,
        runs_ended: bool = False,
    ) -> None:
        self._writers: TaskPool[tuple[int, ...], Counter[str]] | None = None
        self._rest: list[tuple[int, ...]] = []
        if not rebuilt:
            return
        read: dict[str, dict[str, IndexedPage]] = {}  # each writer's own, most recently used last
        numbered: dict[str, list[str] | None] = {}  # sources' URLs by page number, the same way

        def source(where: str) -> dict[str, IndexedPage]:
            read[where] = read.pop(where) if where in read else _read_bundle(locations[where])
            return read[where]

        def page_order(where: str) -> list[str] | None:
            """From the source's pages where this writer has read them, else from its fragments:
            a weekly build's newest bundles are carved out of the run the others took pages from."""
            if where in numbered:
                numbered[where] = numbered.pop(where)
            elif where in read and len({page.language for page in read[where].values()}) == 1:
                numbered[where] = list(read[where])  # in page-number order (read_bundle)
            else:
                numbered[where] = _page_urls(locations[where])
            return numbered[where]

        def write(positions: tuple[int, ...]) -> Counter[str]:
            made: Counter[str] = Counter()
            for number in positions:
                bundle, sources = rebuilt[number]
                how, (base, urls) = "edited", bases.get(bundle.name, ("", ()))
                if not base:
                    how, base = "carved", _most_common(sources.values())
                    order = page_order(base)
                    base, urls = (base, tuple(order)) if order is not None else ("", ())
                added = [source(where)[url] for url, where in sources.items() if where != base]
                folder = target / bundle.name
                trash = discard / f"{bundle.name}{_EDITED}" if discard is not None else None
                drop = {url for url in urls if sources.get(url) != base}
                if base and _edit_bundle(locations[base], urls, drop, added, folder, bundle.tag, trash):
                    made[how] += 1
                else:
                    if folder.exists():  # a spare's version it could not be edited from
                        if trash is not None:
                            os.rename(folder, trash)
                        else:
                            shutil.rmtree(folder)
                    added += [source(where)[url] for url, where in sources.items() if where == base]
                    # A run's output has the whole runtime (every language's wasm); a bundle, its own.
                    runtime = min(
                        sources.values(), key=lambda where: (where not in runs, where != base, where)
                    )
                    write_bundle(
                        added,
                        folder,
                        runtime=locations[runtime],
                        chunk_size=index_chunk_size,
                        page_tag=bundle.tag,
                    )
                    made["written"] += 1
                _forget_oldest(read)
                _forget_oldest(numbered)
            return made

        drawn = [set(sources.values()) - {bases.get(bundle.name, ("",))[0]} for bundle, sources in rebuilt]
        costs = [_write_cost(sources, bases.get(bundle.name, ("",))[0]) for bundle, sources in rebuilt]
        free = [number for number, sources in enumerate(drawn) if runs_ended or not sources & runs]
        rest = [number for number, sources in enumerate(drawn) if not runs_ended and sources & runs]
        self._rest = _tasks(rest, drawn, workers, costs)
        warm_postings()  # once, before the forks: each would load the compiled loop again
        self._writers = TaskPool(workers, write)
        try:
            for task in _tasks(free, drawn, workers, costs):
                self._writers.submit(task)
        except BaseException:
            self.stop()
            raise

    def finish(self, runs_ended: Callable[[], object] = lambda: None) -> Counter[str]:
        """``runs_ended`` waits until the runs have ended; then the rest are handed over."""
        made: Counter[str] = Counter()
        if self._writers is None:
            runs_ended()
            return made
        with self._writers as writers:
            runs_ended()
            for task in self._rest:
                writers.submit(task)
            for counts in writers.results():
                made.update(counts)
        return made

    def stop(self) -> None:
        if self._writers is not None:
            self._writers.stop()


# What an edited bundle's name takes in ``discard`` for the files of its spare's version that an
# edit replaces; no bundle's name ends so (bundles.Bundle.name), nor is it the name of anything else
# a spare's pagefind/ holds, which IndexStep moves into ``discard`` under its own name.
_EDITED = ".edited"


def _forget_oldest(kept: dict[str, Any]) -> None:
    """Keep the ``KEPT_SOURCES`` most recently used sources' reads (a dict keeps them in use order)."""
    while len(kept) > KEPT_SOURCES:
        del kept[next(iter(kept))]


def _most_common(sources: Iterable[str]) -> str:
    """The source most pages come from (the first by name of those tied)."""
    counts = Counter(sources)
    return max(sorted(counts), key=counts.__getitem__)


# Sources a bundle writer keeps once read: the runs most bundles of a weekly build draw on, and the
# previous bundle a few of them take pages from; more would hold a full build's runs in memory.
KEPT_SOURCES = 2
# A writer's first task is about 1/(TASKS_PER_WRITER * workers) of the cost of the bundles to
# write, and each next one that part of what is left, down to a floor of MIN_TASK_PART of the
# whole: the tasks handed out last are small, so the writers end together.  Equal tasks left one
# writer alone with a weekly build's newest bundles (those with the week's pages, and the new ones)
# for 2 s at 10^5 (docs/benchmarks.md, session 22).  Each cut between bundles that draw on the same
# source can make both writers read it, so there are no more tasks than that.
TASKS_PER_WRITER = 2
MIN_TASK_PART = 1 / 32
# What a page from another source costs a writer, in pages kept from the bundle's base: it is read,
# decoded and merged, where a kept page is renumbered (measured on a weekly build at 10^5).
ADDED_PAGE_COST = 4


def _write_cost(sources: Mapping[str, str], base: str) -> float:
    """What writing a bundle of ``sources`` (URL -> source) costs, about: its pages, and more for
    those not in ``base`` (for a bundle without one, the source most of its pages come from)."""
    if not base and sources:
        base = _most_common(sources.values())
    return len(sources) + ADDED_PAGE_COST * sum(1 for where in sources.values() if where != base)


def _tasks(
    ready: list[int], drawn: list[set[str]], workers: int, costs: Sequence[float]
) -> list[tuple[int, ...]]:
    """``ready`` (bundle positions, in order) cut into runs of neighbours for the writers, of
    shrinking cost (``costs`` by position; see ``TASKS_PER_WRITER``); a cut moves on, by as much
    as the task's length, to where two neighbours draw on no common source (``drawn``), where
    there is such a place."""
    total = left = sum(costs[number] for number in ready)
    tasks: list[tuple[int, ...]] = []
    start = 0
    while start < len(ready):
        target = max(left / (TASKS_PER_WRITER * workers), total * MIN_TASK_PART)
        nominal, taken = start + 1, costs[ready[start]]
        while nominal < len(ready) and taken + costs[ready[nominal]] <= target:
            taken += costs[ready[nominal]]
            nominal += 1
        apart = (
            cut
            for cut in range(nominal, min(2 * nominal - start, len(ready) - 1) + 1)
            if not drawn[ready[cut - 1]] & drawn[ready[cut]]
        )
        stop = next(apart, nominal)
        tasks.append(tuple(ready[start:stop]))
        left -= sum(costs[number] for number in ready[start:stop])
        start = stop
    return tasks


def _edit_bundle(
    base: Path,
    urls: tuple[str, ...],
    drop: set[str],
    added: list[IndexedPage],
    folder: Path,
    tag: str,
    trash: Path | None,
) -> bool:
    try:
        return edit_bundle(
            base,
            urls,
            drop,
            added,
            folder,
            runtime=base,
            sort_values=search_entry_sorts,
            chunk_size=index_chunk_size,
            page_tag=tag,
            trash=trash,
        )
    except BundleFormatError as exc:
        raise SearchIndexError(f"cannot edit the search index {base.name}: {exc}") from exc


def _page_urls(path: Path) -> list[str] | None:
    try:
        return page_urls(path)
    except BundleFormatError as exc:
        raise SearchIndexError(f"cannot read the search index in {path.name}: {exc}") from exc


def _read_bundle(path: Path) -> dict[str, IndexedPage]:
    try:
        return read_bundle(path, sort_values=search_entry_sorts)
    except BundleFormatError as exc:
        raise SearchIndexError(f"cannot read the search index in {path.name}: {exc}") from exc


def run_pagefind(source: Path, target: Path) -> None:
    """One folder of search entries, into a fresh folder (Pagefind never deletes old fragments)."""
    with PagefindRuns([source.name], source.parent, target.parent) as runs:
        runs.wait()


class PagefindRuns(StoppedOnExit):
    """Pagefind over ``source/<run>`` into ``target/<run>`` for each of ``names``, ``at_once`` runs
    at a time (Pagefind indexes on one core), each in a process of its own started here.

    Processes, not threads waiting on them: the bundle writers are forked while the runs go on,
    and forking a process that has threads can leave a lock held in the child.

    A run's entries are deleted once it has ended while others wait to start (a full build's
    runs; the scratch folder goes after the swap): they are held in /dev/shm, in memory, and the
    runs' output grows beside them, 3.9 and 4.3 GB at 10^6 records (docs/benchmarks.md, session 33).
    """

    def __init__(self, names: Sequence[str], source: Path, target: Path, *, at_once: int = 1) -> None:
        self.names = frozenset(names)
        self.started = time.perf_counter()
        self.source, self.target, self._at_once = source, target, at_once
        self._queue = list(names)
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        target.mkdir(parents=True, exist_ok=True)
        self._start()

    def ended(self) -> bool:
        """Whether every run has ended, without waiting: those that have are checked, and queued
        ones started in their place; a run that failed raises SearchIndexError."""
        for name in [name for name, process in self._running.items() if process.poll() is not None]:
            self._check(name, self._running.pop(name))
            if self._queue:  # a full build's: its entries are not needed again (the class's note)
                shutil.rmtree(self.source / name, ignore_errors=True)
            self._start()
        return not self._running

    def wait(self) -> None:
        """Until every run has ended (``ended``; ``stop()`` kills the rest after a failure)."""
        while not self.ended():
            time.sleep(0.01)

    def wait_doing(self, work: Callable[[], object]) -> None:
        """``work()``, then ``wait()``, the runs going on meanwhile: each queued run is started as
        another ends.  ``work`` runs in a thread, while this one polls the runs.

        Why: only the build's main process polls the runs, and what a full build does there (the
        state the next build starts from, every written file stat'ed) took 4.5 minutes at 10^6
        records, while two runs sat ended and the rest queued (docs/benchmarks.md, session 33).
        The writers are forked by then, so the thread forks nothing after it.
        """
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="meanwhile") as pool:
            done = pool.submit(work)
            while not done.done():
                self.ended()
                concurrent.futures.wait([done], timeout=0.01)
            done.result()
        self.wait()

    def stop(self) -> None:
        """Kill the runs still going (the build failed); harmless once they have ended."""
        self._queue = []
        for process in self._running.values():
            process.kill()
            process.wait()
        self._running = {}

    def _start(self) -> None:
        while self._queue and len(self._running) < self._at_once:
            name = self._queue.pop(0)
            with open(self.target / f"{name}.log", "wb") as log:
                command = pagefind_command(self.source / name, self.target / name)
                self._running[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def _check(self, name: str, process: subprocess.Popen[bytes]) -> None:
        if process.returncode != 0 or not (self.target / name / "pagefind-entry.json").exists():
            said = (self.target / f"{name}.log").read_text(errors="replace")
            raise SearchIndexError(f"Pagefind failed on {name} ({process.returncode}):\n{said}")


def start_runs(output: Output, scratch: Path, workers: int) -> PagefindRuns:
    """Pagefind's runs over the build's new or changed search entries (``IndexWork.jobs``), which
    the render wrote into ``scratch`` (``make_scratch``), ``workers`` at a time."""
    jobs = [name for name, _ in output.index_work.jobs]
    return PagefindRuns(jobs, scratch / "entries", scratch / "jobs", at_once=max(1, workers))


def pagefind_command(source: Path, target: Path) -> list[str]:
    return module_dying_with_this_process(
        "pagefind", ["--site", str(source), "--output-path", str(target), "--silent"]
    )


def remove_stale_scratch(folders: tuple[Path, ...]) -> None:
    """Scratch folders of builds that were killed: those whose staging folder is gone."""
    for folder in folders:
        for scratch in folder.glob(f"{SCRATCH_PREFIX}*"):
            with contextlib.suppress(OSError):
                if not Path((scratch / "staging").read_text()).exists():
                    shutil.rmtree(scratch, ignore_errors=True)
