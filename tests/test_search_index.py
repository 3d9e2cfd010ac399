"""disclosure/search_index.py: stale scratch folders, the bundle writers, and failures that
stop a build.  Whole builds, incremental against clean, are in test_build.py."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from disclosure import search_index
from disclosure._internal.pagefind_write import write_bundle
from disclosure.search_index import (
    SCRATCH_PREFIX,
    PagefindRuns,
    SearchIndexError,
    _read_bundle,
    make_scratch,
    remove_stale_scratch,
)
from disclosure.site.bundles import Bundle
from disclosure.site.render import INDEX_SOURCE
from tests.pagefind_pages import Built, S, tree, write_entries
from tests.pagefind_pages import read as read_bundle_pages


def test_stale_scratch_folders_go_and_live_ones_stay(tmp_path: Path) -> None:
    live, dead = tmp_path / "live", tmp_path / "dead"
    live.mkdir()
    dead.mkdir()
    kept = make_scratch(live)
    gone = make_scratch(dead)
    assert (live / INDEX_SOURCE).resolve() == (
        kept / "entries"
    ).resolve()  # the renderer writes entries there
    dead.rename(tmp_path / "renamed")  # its build was killed and its folder removed
    try:
        remove_stale_scratch((kept.parent, tmp_path))
        assert kept.exists() and not gone.exists()
        assert kept.name.startswith(SCRATCH_PREFIX)
    finally:
        shutil.rmtree(kept)  # in /dev/shm: memory, until a build found its folder gone


def test_an_unreadable_previous_bundle_stops_the_index_step(tmp_path: Path) -> None:
    (tmp_path / "pagefind-entry.json").write_text('{"version": "1.4.0", "languages": {}}')
    with pytest.raises(SearchIndexError, match="1.4.0"):
        _read_bundle(tmp_path)


def test_a_bundle_writer_reads_each_source_once(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bundles that draw on one Pagefind run, with others between them that do not: the run is read
    once, not once for each stretch of bundles that needs it (a weekly build's one run fed 140).
    Each bundle is carved out of the source most of its pages come from, the others' read."""
    reads = _counted_reads(monkeypatch)
    job, other = sorted(read_bundle_pages(built.fresh)), sorted(read_bundle_pages(built.full))
    rebuilt = [
        (Bundle(f"b{number}", ()), {url: where for where, urls in parts for url in urls})
        for number, parts in enumerate(
            [[("job-1", job[:20])], [("full", other[20:40]), ("job-1", job[20:25])], [("job-1", job[40:])]]
        )
    ]
    locations = {"job-1": built.fresh, "full": built.full}
    with search_index._BundleWriters(rebuilt, {}, locations, tmp_path, workers=1) as writers:
        made = writers.finish()
    assert made == {"carved": 3}
    assert sorted(reads) == sorted(
        [("_page_urls", built.fresh), ("_page_urls", built.full), ("_read_bundle", built.fresh)]
    )
    _assert_whole_writes(built, rebuilt, tmp_path)


def test_a_writer_orders_a_run_it_has_read_by_its_pages(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weekly build's newest bundles are carved out of the run the older ones took their new
    pages from: a writer that has read the run's pages takes their order from them, not from the
    run's fragments read again."""
    reads = _counted_reads(monkeypatch)
    job, other = sorted(read_bundle_pages(built.fresh)), sorted(read_bundle_pages(built.full))
    rebuilt = [
        (Bundle("older", ()), {**dict.fromkeys(other[:30], "full"), **dict.fromkeys(job[:5], "job-1")}),
        (Bundle("newest", ()), dict.fromkeys(job[5:], "job-1")),
    ]
    locations = {"job-1": built.fresh, "full": built.full}
    with search_index._BundleWriters(rebuilt, {}, locations, tmp_path, workers=1) as writers:
        assert writers.finish() == {"carved": 2}
    assert reads == [("_page_urls", built.full), ("_read_bundle", built.fresh)]
    _assert_whole_writes(built, rebuilt, tmp_path)


def _counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path]]:
    """The bundle writers' reads of their sources, as they make them (workers=1: in this process)."""
    reads: list[tuple[str, Path]] = []
    for name in ("_read_bundle", "_page_urls"):
        real = getattr(search_index, name)

        def counted(path: Path, name: str = name, real: Any = real) -> Any:
            reads.append((name, path))
            return real(path)

        monkeypatch.setattr(search_index, name, counted)
    return reads


def _assert_whole_writes(built: Built, rebuilt: list[tuple[Bundle, dict[str, str]]], folder: Path) -> None:
    """Each bundle the writers made is the bytes of a whole write of its pages."""
    pages = read_bundle_pages(built.fresh) | read_bundle_pages(built.full)
    for bundle, sources in rebuilt:
        whole = folder / "whole" / bundle.name
        write_bundle([pages[url] for url in sources], whole, runtime=built.fresh, page_tag=bundle.tag)
        assert tree(folder / bundle.name) == tree(whole), bundle.name


def test_a_spare_bundle_edited_in_place_leaves_its_old_index_in_the_discard(
    built: Built, tmp_path: Path
) -> None:
    """A weekly build edits some 200 bundles where the spare holds them: each one's old index
    chunks and filters go into the build's discard folder, which the build deletes after the swap,
    and the bundle is the one a whole write gives."""
    pages = read_bundle_pages(built.full)
    urls = sorted(pages)
    write_bundle(pages.values(), tmp_path / "base" / "b0", runtime=built.full, page_tag="b0")
    spare = tmp_path / "site" / "b0"  # last week's bundle, as the spare holds it
    shutil.copytree(tmp_path / "base" / "b0", spare, copy_function=os.link)
    old = {f"{folder}/{path.name}" for folder in ("index", "filter") for path in (spare / folder).iterdir()}
    discard = tmp_path / "discard"
    discard.mkdir()
    rebuilt = [(Bundle("b0", ()), dict.fromkeys(urls[1:], "base"))]
    bases = {"b0": ("base", tuple(urls))}
    locations = {"base": tmp_path / "base" / "b0"}
    with search_index._BundleWriters(rebuilt, bases, locations, tmp_path / "site", 1, discard=discard) as w:
        assert w.finish() == {"edited": 1}
    assert {
        str(path.relative_to(discard / "b0.edited")) for path in (discard / "b0.edited").rglob("*.pf_*")
    } == old
    write_bundle([pages[url] for url in urls[1:]], tmp_path / "whole", runtime=built.full, page_tag="b0")
    assert tree(spare) == tree(tmp_path / "whole")


def test_bundles_that_draw_on_no_run_are_written_while_pagefind_runs(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weekly build's bundles that only lose pages need no Pagefind run (82 of 217 at 10^5): they
    are written while the run goes on.  Here the run waits for one of them, and fails after 10 s."""
    out = tmp_path / "out"
    written = out / "early" / "pagefind-entry.json"
    real = search_index.pagefind_command

    def waiting(source: Path, target: Path) -> list[str]:
        wait = f'for i in $(seq 1000); do [ -e "{written}" ] && exec "$@"; sleep 0.01; done; exit 7'
        return ["sh", "-c", wait, "sh", *real(source, target)]

    monkeypatch.setattr(search_index, "pagefind_command", waiting)
    write_entries(tmp_path / "entries" / "job-1", S[:10])
    old = sorted(read_bundle_pages(built.full))[20:40]
    rebuilt = [
        (Bundle("early", ()), dict.fromkeys(old, "full")),
        (Bundle("late", ()), {entry.url: "job-1" for entry in S[:10]}),
    ]
    with PagefindRuns(["job-1"], tmp_path / "entries", tmp_path / "jobs") as runs:
        locations = {"full": built.full, "job-1": tmp_path / "jobs" / "job-1"}
        with search_index._BundleWriters(rebuilt, {}, locations, out, 2, runs.names) as writers:
            made = writers.finish(runs.wait)
    assert made == {"carved": 2}
    assert sorted(read_bundle_pages(out / "early")) == old
    assert sorted(read_bundle_pages(out / "late")) == sorted(entry.url for entry in S[:10])


def test_where_the_runs_ended_before_the_writers_every_bundle_is_handed_over_at_once(
    built: Built, tmp_path: Path
) -> None:
    """A weekly build's one run, started beside the render, may be over when the writers start:
    the bundles that draw on it are then written at once, not after a wait for the runs."""
    write_entries(tmp_path / "entries" / "job-1", S[:10])
    out = tmp_path / "out"
    rebuilt = [(Bundle("late", ()), {entry.url: "job-1" for entry in S[:10]})]
    with PagefindRuns(["job-1"], tmp_path / "entries", tmp_path / "jobs") as runs:
        runs.wait()
        locations = {"job-1": tmp_path / "jobs" / "job-1"}
        with search_index._BundleWriters(rebuilt, {}, locations, out, 2, runs.names, runs_ended=True) as w:
            deadline = time.monotonic() + 30
            while not (out / "late" / "pagefind-entry.json").exists():  # finish() not called yet
                assert time.monotonic() < deadline, "the bundle waited for finish()"
                time.sleep(0.01)
            assert w.finish() == {"carved": 1}


def test_a_failed_pagefind_run_names_its_folder_and_what_it_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = search_index.pagefind_command

    def failing(source: Path, target: Path) -> list[str]:
        if target.name == "job-1":
            return real(source, target)
        return [sys.executable, "-c", "print('索引出错'); raise SystemExit(3)"]

    monkeypatch.setattr(search_index, "pagefind_command", failing)
    write_entries(tmp_path / "job-1", S[:3])
    with (
        pytest.raises(SearchIndexError, match=r"job-2 \(3\):\n索引出错"),
        PagefindRuns(["job-1", "job-2"], tmp_path, tmp_path / "jobs", at_once=2) as runs,
    ):
        runs.wait()


def test_queued_runs_start_while_the_build_does_its_own_work_meanwhile(tmp_path: Path) -> None:
    """A full build writes the next build's state while the runs go on (4.5 minutes at 10^6
    records): the queued runs must start as others end, not once that work is done."""
    for number in (1, 2, 3):
        write_entries(tmp_path / "entries" / f"job-{number}", S[3 * number : 3 * number + 3])
    last = tmp_path / "jobs" / "job-3" / "pagefind-entry.json"
    seen: list[bool] = []

    def work() -> None:
        deadline = time.monotonic() + 60
        while not last.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(last.exists())

    with PagefindRuns(["job-1", "job-2", "job-3"], tmp_path / "entries", tmp_path / "jobs") as runs:
        runs.wait_doing(work)  # one run at a time: the third starts only once two have ended
    assert seen == [True]
    # The entries of a run that ended while others waited are let go (memory, in /dev/shm).
    assert sorted(path.name for path in (tmp_path / "entries").iterdir()) == ["job-3"]
    with (
        pytest.raises(ValueError, match="状态写不了"),
        PagefindRuns(["job-1"], tmp_path / "entries", tmp_path / "again") as runs,
    ):
        runs.wait_doing(lambda: int("状态写不了"))


def test_stopping_pagefind_runs_kills_those_still_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"
    pids.mkdir()

    def slow(_source: Path, target: Path) -> list[str]:
        code = f"import os, time; open('{pids}/' + str(os.getpid()), 'w').close(); time.sleep(60)"
        return [sys.executable, "-c", code]

    monkeypatch.setattr(search_index, "pagefind_command", slow)
    runs = PagefindRuns(["job-1", "job-2", "job-3"], tmp_path, tmp_path / "jobs", at_once=2)
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2:
        assert time.monotonic() < deadline, "the runs did not start"
        time.sleep(0.01)
    runs.stop()
    assert len(list(pids.iterdir())) == 2  # two at once; the third never started
    for pid in pids.iterdir():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid.name), 0)


def test_writer_tasks_cut_where_neighbours_share_no_source() -> None:
    """A full build's bundles draw on runs that span two or three of them: a cut between two that
    share a run would make both writers read it (a second each)."""
    drawn = [{"job-1"}, {"job-1"}, {"job-1", "job-2"}, {"job-2"}, {"job-3"}, {"job-3"}, {"job-4"}, {"job-4"}]
    tasks = search_index._tasks(list(range(8)), drawn, workers=1, costs=[1] * 8)  # half of what is left
    assert [number for task in tasks for number in task] == list(range(8))  # each once, in order
    assert tasks == [(0, 1, 2, 3), (4, 5), (6,), (7,)]
    shared = [{"job-1"}] * 8  # a weekly build's run, which most bundles draw on: cut where due
    assert search_index._tasks(list(range(8)), shared, 1, [1] * 8) == [(0, 1, 2, 3), (4, 5), (6,), (7,)]
    assert search_index._tasks([], shared, workers=2, costs=[]) == []


def test_writer_tasks_shrink_so_the_costly_last_bundles_go_to_both_writers() -> None:
    """A weekly build's newest bundles hold the week's pages: in tasks of equal length, one writer
    took them all while the other had ended."""
    shared = [{"job-1"}] * 14
    costs = [1] * 10 + [5] * 4
    tasks = search_index._tasks(list(range(14)), shared, workers=2, costs=costs)
    assert tasks == [(0, 1, 2, 3, 4, 5, 6), (7, 8, 9), (10,), (11,), (12,), (13,)]
    # the floor: no task is cut smaller than MIN_TASK_PART of the whole, however little is left
    many = search_index._tasks(list(range(64)), [{"job-1"}] * 64, workers=2, costs=[1] * 64)
    assert min(len(task) for task in many[:-1]) == 2  # (the last is what remains)


def test_a_page_from_another_source_costs_a_writer_more_than_a_kept_one() -> None:
    sources = {"/a/": "base", "/b/": "base", "/c/": "job-1"}
    assert search_index._write_cost(sources, "base") == 3 + search_index.ADDED_PAGE_COST
    assert search_index._write_cost(sources, "") == 3 + search_index.ADDED_PAGE_COST  # carved from "base"
