"""``disclosure build``: verified releases + an as-of date -> the public site, swapped in atomically.

verify -> fold -> render (Pelican with the project's generator and theme) ->
index (Pagefind, extended binary) -> swap.  Everything is produced in a sibling
folder that is not served; only when it is complete does one
``renameat2(RENAME_EXCHANGE)`` put it in place, so a failed or killed build
leaves the previous site exactly as it was.  The output depends only on the
releases and the as-of date.

The site a swap replaces is kept beside it as the spare (``.<out>.spare``), and
the next build starts from it: it keeps what is unchanged there, links from the
served site what changed one build ago, and writes the rest.  A build then costs
what changed, not the 10^5 folders and 4 x 10^5 files of the whole site.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import datetime as dt
import fcntl
import gc
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from disclosure._internal.forks import Beside, WorkerLost, collector_paused
from disclosure._internal.pagefind_postings import warm as warm_postings
from disclosure._internal.spare import leave_spare
from disclosure._internal.states import (
    LATEST_FILE,
    BuildState,
    TreeState,
    data_cache,
    load_spare_state,
    load_state,
    load_tree_end,
    made_by,
    remove_stale_states,
    route_cache,
    spare_path,
    states_dir,
    write_state,
    write_tree_end,
)
from disclosure._internal.tree import (
    TreeListing,
    libc_syncfs,
    link_files,
    remove_empty_folders,
    remove_files,
    replace_file,
    sync_filesystem,
)
from disclosure.canonical import sha256_hex
from disclosure.fold import PublishedRecord, RemovedRecord, fold_releases
from disclosure.model import Decision, Kind
from disclosure.release import Release, fsync_dir
from disclosure.search_index import (
    SHM,
    IndexStep,
    PagefindRuns,
    SearchIndexError,
    make_scratch,
    remove_stale_scratch,
    start_runs,
)
from disclosure.search_routes import planned, start_routes
from disclosure.site.bundles import (
    Bundle,
    indexed_pages,
)
from disclosure.site.render import INDEX_SOURCE, Output, Reusable, SiteInput
from disclosure.site.routing import ROUTE_DIR
from disclosure.tally import Tallier
from disclosure.verify import (
    VerificationError,
    check_releases,
    known_prefix,
    verify_releases,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "pelicanconf.py"
_BUILDING = ".building-"
# The top folders whose record and entity folders the next listing of the site may pass over
# (tree.Unchanged): the renderer's own, where it writes only keyed files (Pelican's pages and the
# theme are elsewhere); a build that wrote a file without a key in one leaves it out.
_PASSABLE_TOPS = frozenset({kind.value for kind in Kind} | {"entity"})
# The files of a record's and an entity's folder (render.py), which the listing of the spare checks
# in the folders it passes over (tree.Vouched): the flush then need not stat them.
_FOLDER_FILES = frozenset({"index.html", "record.json"})
# The cyclic GC's thresholds in a build's forked workers (its main process collects nothing:
# forks.collector_paused).  Python's defaults (700, 10, 10) made 15 full collections of a daily
# build at 10^5 over the 10^6 objects it holds (5.5 s); these, 1.6 s (docs/benchmarks.md, session 9).
_GC_THRESHOLDS = (10_000, 10, 100)


class BuildError(Exception):
    pass


@dataclass
class BuildReport:
    out: Path
    as_of: dt.date
    releases: int
    published: int
    removed: int
    files: int = 0
    reused: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    rendered: dict[str, int] = field(default_factory=dict)  # files made (not linked), by type
    bundles: dict[str, int] = field(default_factory=dict)  # search bundles kept, linked, edited, written
    parsed: int = 0  # releases whose every line was checked (the others were, by an earlier build)

    def __str__(self) -> str:
        steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.timings.items())
        made = ", ".join(f"{kind} {count}" for kind, count in sorted(self.rendered.items()))
        bundles = ", ".join(f"{how} {count}" for how, count in self.bundles.items())
        return (
            f"built {self.out} as of {self.as_of}: {self.releases} releases, {self.published} records "
            f"published, {self.removed} removed, {self.files} files, {self.reused} unchanged ({steps})"
            f"\nrendered: {made}; search bundles: {bundles}; releases parsed: {self.parsed}"
        )


class _Steps:
    """Times each step; shows a rich spinner on a terminal and stays quiet otherwise."""

    def __init__(self, show: bool) -> None:
        self.timings: dict[str, float] = {}
        self.show = show

    @contextlib.contextmanager
    def step(self, name: str, label: str) -> Iterator[None]:
        """Time the block; a forked worker of it that ended (``WorkerLost``: the kernel's
        out-of-memory killer) fails the build, named by the step."""
        start = time.perf_counter()
        try:
            if self.show:
                from rich.console import Console

                with Console(stderr=True).status(label):
                    yield
            else:
                yield
        except WorkerLost as exc:
            raise BuildError(f"{name} failed: {exc}") from exc
        self.timings[name] = time.perf_counter() - start


def build_site(
    releases_root: Path,
    as_of: dt.date,
    out: Path,
    *,
    progress: bool = False,
    config: Path = DEFAULT_CONFIG,
    incremental: bool = True,
    workers: int | None = None,
    background_cleanup: bool = False,
    exits_after: bool = False,
) -> BuildReport:
    """Build the site; raises VerificationError (bad releases) or BuildError, leaving ``out`` untouched.

    With ``incremental`` (the default) the build starts from the spare, keeps the files whose
    inputs did not change there, links from ``out`` those that changed one build ago and renders
    the rest; the bytes are the same either way.  Without ``incremental`` the build starts from an
    empty folder and renders everything.
    ``background_cleanup`` leaves deleting a spare the build could not use to a detached process
    (the CLI's choice).  ``exits_after`` says the caller exits right after (the CLI, which leaves
    by ``os._exit``): the build's data is then left for the exit to drop, not freed object by
    object (0.4 s after the swap at 10^5 records).
    """
    steps = _Steps(progress)
    out = out.absolute()
    thresholds = gc.get_threshold()
    gc.set_threshold(*_GC_THRESHOLDS)  # for the forked workers (collector_paused)
    try:
        with collector_paused(), _build_lock(out, steps) as lock:
            return _build(
                releases_root,
                as_of,
                out,
                steps,
                lock,
                config,
                incremental,
                workers,
                background_cleanup,
                exits_after,
            )
    finally:
        gc.set_threshold(*thresholds)


# The data of builds whose caller exits right after (build_site's ``exits_after``).
_LEFT_FOR_EXIT: list[object] = []


def _build(
    releases_root: Path,
    as_of: dt.date,
    out: Path,
    steps: _Steps,
    lock: int,
    config: Path,
    incremental: bool,
    workers: int | None,
    background_cleanup: bool,
    exits_after: bool,
) -> BuildReport:
    generator = generator_fingerprint(config)
    spare_dir = spare_path(out)
    spare_tree: tuple[list[str], list[str]] | None = None
    # The spare is listed in processes of their own while the states load (1-3 s at 10^5 records).
    listing = incremental and spare_dir.is_dir()  # no fork for a first or --full build
    unchanged = load_tree_end(out, spare_dir) if listing else None
    lister = (
        TreeListing(spare_dir, skip=frozenset({"pagefind"}), unchanged=unchanged, vouch=_FOLDER_FILES)
        if listing
        else None
    )
    # The listers go on while the releases are verified and folded: since session 28 they also
    # check the files they vouch for (tree.Vouched), and the state step had waited for them.
    with lister or contextlib.nullcontext():
        with steps.step("state", "读取上次构建的记录……"):
            previous = load_state(out, out, generator) if incremental else None
            spare = load_spare_state(out, spare_dir, generator, previous) if incremental else None
        with steps.step("verify", "核验发布批次……"):
            known = previous.history if previous else None
            resumes = known is not None and known_prefix(releases_root, known) == len(known.manifests)
            tallier = previous.tallier if previous and resumes else Tallier()
            verification = check_releases(releases_root, known=known if resumes else None, on_entry=tallier)
            if verification.faults:  # refuses unsigned or tampered releases
                raise VerificationError(verification.faults)
            releases = verification.releases
            assert verification.trust is not None  # no fault: the trust store loaded
            trust = verification.trust
        with steps.step("fold", "按日期计算公示状态……"):
            fold = fold_releases(releases, as_of, verified=verification.states)
            removed = len(fold.removed())
        if spare is not None and lister is not None:
            with steps.step("listing", "列出上次替换下的网站……"):
                spare_tree = lister.result()
    _remove_stale_builds(out)  # (out.parent was made for the build lock)
    staging = _building_folder(out)
    scratch: Path | None = None
    # The spare's outdated search bundles go here, to be deleted after the swap (in the background
    # from the command line); a build cut short leaves it to the next, as it does its staging folder.
    discard: Path | None = None
    # The routing process, forked now that the releases are folded: it reads what an earlier build
    # kept while this process makes the record views, then the table once the bundles are planned.
    routing = start_routes(
        staging / "pagefind" / ROUTE_DIR,
        route_cache(out, generator, fresh=not incremental),
        previous.bundles if previous else {},
        fold.published_lines,
    )
    # Without a spare, the previous site's files are linked into the staging folder beside the
    # render's first steps, which keep one core busy: the folder then starts as a spare would.
    copy: Beside[int] | None = None
    linked: dict[str, Reusable] = {}  # what it links: the previous site's keyed files

    def start_routing(bundles: Sequence[Bundle]) -> None:
        """The routing table needs only the bundle plan: it is made beside the rest of the build
        (one core of Python for 10-25 s at 10^5, which would otherwise hold up a daily build), by
        the routing process started once the releases were folded (``start_routes``)."""
        routing.give(planned(reversed(bundles)))

    compiling: Beside[None] | None = None
    loading: concurrent.futures.Future[None] | None = None
    indexing: IndexStep | None = None
    runs: PagefindRuns | None = None
    workers = workers or min(2, os.cpu_count() or 1)

    def load_postings(output: Output) -> None:
        """While the flush's workers render, this process only waits for them: the bundle writers'
        compiled loop is loaded then, in a thread, where the index step's start loaded it before it
        could fork the writers (numba, 0.5-0.9 s at 10^5 records; docs/benchmarks.md, session 27).
        Not where no bundle is to be written: importing numba would cost the build for nothing.
        Nor in a build without a previous site (a first or full one), whose render's workers hold
        the most memory and whose index step takes a minute: the loop's 117 MB are loaded once they
        have ended, at the index step's start, as before."""
        nonlocal loading
        if loading is not None or not output.index_work.rebuilt or output.previous is None:
            return
        compiled = compiling

        def load() -> None:
            if compiled is not None:
                compiled.result()  # compiled, or loaded from numba's cache, by then
            warm_postings()

        executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="postings")
        loading = executor.submit(load)
        executor.shutdown(wait=False)  # its thread ends with the task

    def start_pagefind(output: Output) -> None:
        """A weekly build's new search entries are written while the flush's workers render the
        rest (render_site): Pagefind indexes them beside the render, where it would start only at
        the index step's."""
        nonlocal runs
        assert scratch is not None
        runs = start_runs(output, scratch, workers)

    def start_index(output: Output) -> None:
        """The index step starts as soon as the render's pages are written (``IndexStep``), and
        their write-back to the disk with it (``_start_writeback``)."""
        nonlocal indexing, discard
        start = time.perf_counter()
        _start_writeback(staging)
        if loading is not None:
            loading.result()  # the thread is done before the writers are forked
        elif compiling is not None:
            compiling.result()
        discard = _building_folder(out)
        assert scratch is not None
        kept = spare.bundles if spare else {}
        try:
            indexing = IndexStep(staging, output, out, kept, workers, scratch, discard, runs)
        except SearchIndexError as exc:
            raise BuildError(str(exc)) from exc
        steps.timings["index start"] = time.perf_counter() - start

    try:
        # The bundle writers' compiled loop (pagefind_postings) is compiled, or loaded from numba's
        # cache, in a process beside the render: the first build after an install would otherwise
        # compile it in the index step (6-10 s of one core).
        compiling = Beside(warm_postings)
        emptied: set[str] = set()  # folders that lost files, removed at the end if empty
        if spare is not None:
            with steps.step("spare", "整理上次替换下的网站……"):
                os.rename(spare_dir, staging)  # over the empty folder: the spare is now this build's
                assert spare_tree is not None
                emptied = _remove_untracked(staging, spare, *spare_tree)
        elif previous is not None:
            linked = previous.files
            copy = Beside(lambda: link_files(out, staging, linked))
        scratch = make_scratch(staging)
        rows = data_cache(out, generator, fresh=not incremental)
        rows.mkdir(parents=True, exist_ok=True)
        site = SiteInput(
            releases=releases,
            fold=fold,
            trust=trust,
            releases_root=releases_root,
            tallies=tallier.aligned(releases),
            previous=out if previous else None,
            reusable=previous.files if previous else {},
            base=spare.files if spare else linked,
            vouched=lister.vouched if spare is not None and lister is not None else frozenset(),
            base_ready=copy.result if copy else None,
            previous_bundles=previous.bundles if previous else {},
            previous_pages=previous.pages if previous else {},
            workers=workers,
            data_cache=rows,
            bundles_planned=start_routing,
            pages_started=load_postings,
            entries_written=start_pagefind,
            pages_written=start_index,
        )
        with steps.step("render", "生成页面……"):
            _run_pelican(site, staging, config)
            assert site.result is not None
            steps.timings.update(site.result.timings)
            applied = next((r for r in reversed(releases) if r.published <= as_of), None)
            latest = {
                "as_of": as_of.isoformat(),
                "release": applied.sequence if applied else None,
                "manifest_sha256": applied.manifest_sha256 if applied else None,
                "generator": generator,
            }
            latest_text = json.dumps(latest, sort_keys=True) + "\n"
            replace_file(staging / LATEST_FILE, latest_text.encode())
            emptied |= site.result.remove_undeclared()
            reused = len(site.result.reused)
            rendered = site.result.rendered_by_type()
        result = site.result
        passable: frozenset[str] = frozenset()
        rendered_files = 0  # the site's files but its search index, counted by write_next_state

        def write_next_state() -> None:
            """The state the next build starts from, written while Pagefind and the bundle writers
            run: it needs only the render's files and the bundles' plan (1-1.5 s of this process
            at 10^5 records, which the swap step waited for until session 22).  The site's files
            but its search index are counted then too, for the report."""
            state = BuildState(
                files=result.stat_keys(),
                bundles={b.name: b.key for b in result.bundles},
                pages=indexed_pages(result.bundles),
                history=verification.history(),
                tallier=tallier,
            )
            # It names the new latest.json: if the swap never happens, it does not match the site
            # in place, and the next build simply renders everything.
            write_state(out, staging, latest_text, state, replaces=previous)
            nonlocal passable, rendered_files
            unkeyed = {path.split("/", 1)[0] for path in result.written if path not in result.keys}
            passable = _PASSABLE_TOPS - unkeyed
            rendered_files = _count_rendered(staging, result)

        with steps.step("index", "建立搜索索引……"):
            # Started when the pages were written, with the folder for the spare's old bundles.
            assert indexing is not None and discard is not None
            try:
                bundles = indexing.finish(routing.result, steps.timings, meanwhile=write_next_state)
            except SearchIndexError as exc:
                raise BuildError(str(exc)) from exc
        remove_empty_folders(staging, emptied)
        write_tree_end(out, staging, latest_text, passable)  # its last change to a folder was made
        files = rendered_files + _count_search_files(staging)
        published = sum(len(bundle.records) for bundle in site.result.bundles)  # one per record
        with steps.step("swap", "替换网站……"):
            os.chmod(staging, _folder_mode())  # mkdtemp made it private to this user
            sync_filesystem(staging)
            replaced = _swap_into_place(staging, out)
            kept_spare = _keep_as_spare(replaced, out, generator, background_cleanup=background_cleanup)
            remove_stale_states(out)
        if not kept_spare:
            _leave_spare(out, result.keys, generator, lock, steps, background=background_cleanup)
        # The search entries and Pagefind's runs too: some 10^4 files in a weekly build at 10^5, whose
        # removal (0.4 s) held up the command after the swap.
        _delete(discard, scratch, background=background_cleanup)
        scratch = None
    except BaseException:
        for beside in (indexing, runs, routing, copy, compiling):
            if beside is not None:
                beside.stop()  # before the folder it writes to goes
        for leftover in (staging, discard):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
        with contextlib.suppress(OSError):
            remove_stale_states(out)  # a state written for the staging folder
        raise
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if exits_after:
        _LEFT_FOR_EXIT.append((previous, spare, site, fold, verification, linked))
    return BuildReport(
        out=out,
        as_of=as_of,
        releases=len(fold.releases),
        published=published,
        removed=removed,
        files=files,
        reused=reused,
        timings=steps.timings,
        rendered=dict(rendered),
        bundles=dict(bundles),
        parsed=len(releases) - verification.reused,
    )


# The libraries whose releases may change the output's bytes where our code does not: the search
# bundles' gzip streams (libdeflate), the pages' markup (Jinja2, Markdown, nh3) and Pelican's pages.
# A site built with other versions is another generator's, and the next build starts over, as
# after new code: an incremental build must equal a clean one byte for byte.
OUTPUT_LIBRARIES = ("deflate", "Jinja2", "Markdown", "nh3", "pelican")


def generator_fingerprint(config: Path) -> str:
    """A digest of everything that shapes the output besides the data: code, theme, settings,
    pages, and the versions of ``OUTPUT_LIBRARIES``."""
    package = Path(__file__).parent
    base = config.parent
    named = [(f"disclosure/{p.relative_to(package)}", p) for p in sorted(package.rglob("*.py"))]
    named += [(config.name, config)]
    for folder in (base / "theme", base / "content"):
        named += [(str(p.relative_to(base)), p) for p in sorted(folder.rglob("*")) if p.is_file()]
    digest = hashlib.sha256()
    for name, path in named:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in OUTPUT_LIBRARIES:
        digest.update(f"{library}=={importlib.metadata.version(library)}\0".encode())
    return digest.hexdigest()[:16]


def _remove_untracked(tree: Path, spare: TreeState, files: list[str], folders: list[str]) -> set[str]:
    """Remove the spare's files (``files``, listed with its ``folders``) that its state does not key
    (Pelican's pages, the theme, unkeyed pages: all written afresh) before anything is written;
    returns their folders.  Its search bundles are sorted out by ``search_index.index_bundles``."""
    emptied = remove_files(tree, (relative for relative in files if relative not in spare.files))
    holding = {os.path.dirname(relative) for relative in files}
    return emptied | {folder for folder in folders if folder not in holding}  # and those with no file


def _run_pelican(site: SiteInput, output: Path, config: Path) -> None:
    from pelican import Pelican
    from pelican.settings import read_settings

    if not config.is_file():
        raise BuildError(f"Pelican settings not found: {config}")
    base = config.parent
    settings = read_settings(
        str(config),
        override={
            "PATH": str(base / "content"),
            "THEME": str(base / "theme"),
            "OUTPUT_PATH": str(output),
            "DISCLOSURE_SITE": site,
        },
    )
    site.site_url = str(settings.get("SITEURL") or "").rstrip("/")
    logging.getLogger("pelican").setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            Pelican(settings).run()
    except BuildError:  # the index step's start (SiteInput.pages_written) says what went wrong
        raise
    except Exception as exc:
        raise BuildError(f"rendering failed: {type(exc).__name__}: {exc}") from exc


def _count_rendered(site_dir: Path, output: Output) -> int:
    """The site's files but its search index, without walking the 10^5 folders of record pages
    (seconds at that size): the renderer knows what it wrote, and whatever else is there (Pelican's
    pages, the theme's files) is walked.  Counted while the bundle writers run (0.2 s at 10^5
    records, which the swap waited for until session 29)."""
    ours = {path for path in output.written if not path.startswith(f"{INDEX_SOURCE}/")}
    top = {path.split("/", 1)[0] for path in ours}
    count = len(ours)
    for entry in os.scandir(site_dir):
        if entry.name in top or entry.name in ("pagefind", INDEX_SOURCE):
            continue
        if entry.is_dir():
            count += sum(len(names) for _, _, names in os.walk(entry.path))
        else:
            count += 1
    return count


def _count_search_files(site_dir: Path) -> int:
    """The search index's files, bundle by bundle (each one a few flat folders)."""
    count = 0
    for bundle in os.scandir(site_dir / "pagefind"):
        if not bundle.is_dir():
            count += 1  # bundles.json
            continue
        for item in os.scandir(bundle.path):
            count += len(os.listdir(item.path)) if item.is_dir() else 1
    return count


@contextlib.contextmanager
def _build_lock(out: Path, steps: _Steps) -> Iterator[int]:
    """Hold the lock on ``out``'s builds (``.<out>.lock``, flock): two builds of one site would take
    the same spare.  A build started while another, or the spare copy one left running, holds it
    waits, and the wait is a step of its own.  Yields the lock's file descriptor."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out.with_name(f".{out.name}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with steps.step("wait", "等待上一次构建完成……"):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def _remove_stale_builds(out: Path) -> None:
    """Leftovers of builds that were killed before their swap, and their scratch folders."""
    for stale in out.parent.glob(f".{out.name}{_BUILDING}*"):
        shutil.rmtree(stale, ignore_errors=True)
    remove_stale_scratch((SHM, out.parent))


def _folder_mode() -> int:
    """The mode ``mkdir`` gives a new folder under the current umask (a web server must read the site)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o777 & ~umask


def _start_writeback(root: Path) -> None:
    """Start writing out what the render wrote under ``root``, in a thread, while the index step runs.

    Why: the kernel writes dirty pages back only when they are 30 s old or a tenth of memory, so
    the swap step's sync waited for all of a build's writes: at 10^5 records 0.4 s of a steady
    weekly build and 1.0-1.1 s of the first, whose render writes some 400 MB (the data files 200 MB
    of them); the index step adds some 30 MB.
    The sync before the swap still waits for everything; this only gets most of it out of the way.
    libc is looked up here: a dlopen in the thread could hold the loader's lock as the bundle
    writers are forked, and their copy of it would stay locked.
    """
    libc_syncfs()
    threading.Thread(target=sync_filesystem, args=(root,), name="writeback", daemon=True).start()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the kernel or libc cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def _swap_into_place(staging: Path, out: Path) -> Path | None:
    """Put ``staging`` in place of ``out``; returns where the replaced site now is (None if there was none)."""
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a directory")
    if not out.exists():
        os.rename(staging, out)
        replaced = None
    elif _exchange(staging, out):
        replaced = staging
    else:  # rename twice: a short window without a site, never a half-written one
        replaced = out.with_name(f".{out.name}{_BUILDING}old")
        os.rename(out, replaced)
        os.rename(staging, out)
    fsync_dir(out.parent)
    return replaced


def _keep_as_spare(replaced: Path | None, out: Path, generator: str, *, background_cleanup: bool) -> bool:
    """The replaced site becomes the spare the next build starts from, if this generator made it;
    a spare this build did not start from (another generator's, or a clean build's) is deleted, and
    so is a replaced site of another generator.  False when no spare was kept."""
    spare = spare_path(out)
    unused = []
    if spare.exists():
        unused.append(_building_folder(out))
        os.rename(spare, unused[-1])  # a name the next build clears if this deletion is cut short
    kept = False
    if replaced is not None:
        if made_by(replaced, generator):
            os.rename(replaced, spare)
            kept = True
        else:
            unused.append(replaced)  # its name is a leftover's already
    if unused:
        _delete(*unused, background=background_cleanup)
    return kept


def _leave_spare(
    out: Path, files: Iterable[str], generator: str, lock: int, steps: _Steps, *, background: bool
) -> None:
    """The new site, hard-linked, as the spare (``disclosure._internal.spare``): made here, or by a
    detached process that holds the build ``lock`` until the spare is in place, from the command
    line.  The site is in place by now, so what goes wrong fails nothing: it is written to
    ``spare.log`` in the states folder, and the next build, finding no spare, links the site
    itself (a copy cut short is a leftover it removes)."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); from disclosure._internal.spare import main; main(sys.argv[2:])"
    with open(states_dir(out) / "spare.log", "w", encoding="utf-8") as log:
        try:
            into = _building_folder(out)
            if not background:
                with steps.step("spare copy", "保留网站副本……"):
                    leave_spare(out, into, files)
                return
            subprocess.Popen(
                [sys.executable, "-c", code, str(PROJECT_ROOT), str(out), str(into), generator],
                pass_fds=(lock,),
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        except OSError:
            traceback.print_exc(file=log)


def _building_folder(out: Path) -> Path:
    """A new folder named as a build's (``.<out>.building-*``), which the next build removes if it
    is still there (``_remove_stale_builds``)."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}{_BUILDING}", dir=out.parent))


def _delete(*paths: Path, background: bool) -> None:
    """Remove folders; in the background they no longer delay the command (the next build
    removes whatever a background deletion did not finish)."""
    if background:
        code = "import shutil, sys; [shutil.rmtree(p, ignore_errors=True) for p in sys.argv[1:]]"
        subprocess.Popen([sys.executable, "-c", code, *map(str, paths)], start_new_session=True)
    else:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)


# --- checking a built site ------------------------------------------------------------------------

_DIGEST_IN_PAGE = re.compile(r'<code class="digest">([0-9a-f]{64})</code>')


def verify_site(releases_root: Path, site: Path) -> list[str]:
    """Every record page and record.json matches a signed entry digest; nothing removed is shown."""
    faults: list[str] = []
    releases = verify_releases(releases_root)
    try:
        latest = json.loads((site / LATEST_FILE).read_text())
        as_of = dt.date.fromisoformat(latest["as_of"])
    except (OSError, ValueError, KeyError) as exc:
        return [f"{site / LATEST_FILE}: cannot read the build's as-of date ({exc})"]
    signed = {digest for release in releases for digest in release.manifest.entries}
    fold = fold_releases(releases, as_of)
    published = {record.digest: record for record in fold.published()}
    published_ids = {record.entry.id for record in published.values()}
    for kind in Kind:
        kind_dir = site / kind.value
        if not kind_dir.is_dir():
            faults.append(f"{kind.value}/: missing")
            continue
        for record_dir in sorted(kind_dir.iterdir()):
            page = record_dir / "index.html"
            record_json = record_dir / "record.json"
            if record_dir.name in ("page", "district", "department", "year") or not page.exists():
                continue
            entry_id = record_dir.name
            if not record_json.exists():
                if entry_id in published_ids:
                    faults.append(f"{kind.value}/{entry_id}/: published but record.json is missing")
                continue
            line = record_json.read_bytes().rstrip(b"\n")
            digest = sha256_hex(line)
            where = f"{kind.value}/{entry_id}/record.json"
            if digest not in signed:
                faults.append(f"{where}: digest {digest[:16]} is in no signed manifest")
            elif digest not in published:
                faults.append(f"{where}: shows an entry that is not published on {as_of}")
            shown = set(_DIGEST_IN_PAGE.findall(page.read_text(encoding="utf-8")))
            if shown != {digest}:
                faults.append(f"{kind.value}/{entry_id}/: page does not show the digest of its record.json")
    faults += _removed_leaks(site, fold.removed(), releases, published)
    return faults


def _removed_leaks(
    site: Path, removed: list[RemovedRecord], releases: list[Release], published: dict[str, PublishedRecord]
) -> list[str]:
    """Removed entries' names, codes and document numbers must appear nowhere in the HTML."""
    removed_ids = {r.id for r in removed}
    if not removed_ids:
        return []
    still_shown: set[str] = set()
    for record in published.values():
        still_shown |= _identifying(record.entry)
    needles: dict[str, str] = {}
    for release in releases:
        for _line, entry in release.entries():
            if isinstance(entry, Decision) and entry.id in removed_ids:
                for text in _identifying(entry) - still_shown:
                    needles[text] = entry.id
    faults = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".json", ".csv", ".xml") or path.is_dir():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle, entry_id in needles.items():
            if needle in text:
                faults.append(f"{path.relative_to(site)}: shows {needle!r} of removed entry {entry_id}")
    return faults


def _identifying(entry: Decision) -> set[str]:
    values = {entry.subject.name, entry.subject.code or ""}
    for key in ("document_number", "license_number", "case_number", "title"):
        value = entry.fields.get(key)
        if isinstance(value, str):
            values.add(value)
    return {v for v in values if len(v) >= 4}
