"""The build: verified releases in, a complete site swapped in atomically, byte-identical every time."""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import gc
import gzip
import hashlib
import importlib.metadata
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure import build as build_module
from disclosure import search_index, search_routes
from disclosure._internal import pagefind_postings, tree
from disclosure._internal.states import load_tree_end
from disclosure.build import DEFAULT_CONFIG, BuildError, build_site, generator_fingerprint, verify_site
from disclosure.fold import fold_releases
from disclosure.identifiers import find_full_ric
from disclosure.model import Decision, Kind
from disclosure.site import render as render_module
from disclosure.site import sitemaps
from disclosure.site.bundles import plan_bundles as plan_bundles_here
from disclosure.site.routing import ROUTE_DIR
from disclosure.verify import VerificationError, verify_releases
from tests.conftest import SignedTree, new_tree, stage_and_sign
from tests.factories import COMPANY, SHOP, penalty_row, write_csv
from tests.site_tree import AS_OF, COMPANY_PENALTY_ID, WITHDRAWN_ID, WITHDRAWN_NUMBER, SiteTree
from tests.test_site_render import count_reuse_checks

pytestmark = pytest.mark.xdist_group("site")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def tree_state(root: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's digest and every folder: a build must leave no empty folder a clean one lacks."""
    folders = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_dir())
    return tree_digest(root), folders


def all_output_text(root: Path) -> str:
    """Every file's text, Pagefind's gzip-compressed index and fragments decompressed."""
    parts = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if data.startswith(b"pagefind_dcd"):
            data = data[len(b"pagefind_dcd") :]
        parts.append(data.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_site_has_the_fixed_urls(built_site: Path) -> None:
    for url in ("", "search/", "releases/", "releases/000001/", "keys/", "verify/", "repair/", "data/",
                "penalty/", "licensing/", "redlist/", "blacklist/", "case/", f"entity/{COMPANY[1]}/",
                f"penalty/{COMPANY_PENALTY_ID}/"):  # fmt: skip
        assert (built_site / url / "index.html").is_file(), url
    for path in ("feeds/all.atom.xml", "feeds/penalty.atom.xml", "data/penalty.csv", "data/penalty.json",
                 "sitemap.xml", "pagefind/bundles.json", f"penalty/{COMPANY_PENALTY_ID}/record.json"):  # fmt: skip
        assert (built_site / path).is_file(), path


def test_release_files_are_byte_identical(built_site: Path, site_tree: SiteTree) -> None:
    for name in ("manifest.json", "manifest.sig", "manifest.sshsig"):
        assert (built_site / "releases/000002" / name).read_bytes() == (
            site_tree.root / "000002" / name
        ).read_bytes()
    assert not list(built_site.rglob("records.jsonl"))  # it names removed entries


def test_removed_record_keeps_a_neutral_noindex_page(built_site: Path) -> None:
    page = built_site / "penalty" / WITHDRAWN_ID / "index.html"
    html = page.read_text()
    assert "停止公示" in html and "撤销公示" in html and "决定被撤销" in html
    assert '<meta name="robots" content="noindex">' in html
    assert SHOP[0] not in html and SHOP[1] not in html and WITHDRAWN_NUMBER not in html
    assert not (page.parent / "record.json").exists()
    assert "data-pagefind-body" not in html


def test_nothing_about_a_removed_subject_remains_anywhere(built_site: Path) -> None:
    text = all_output_text(built_site)
    for needle in (SHOP[0], SHOP[1], WITHDRAWN_NUMBER, "张记", "温泉路经营的门店"):
        assert needle not in text, needle
    assert not (built_site / "entity" / SHOP[1]).exists()
    sitemaps_text = "".join(path.read_text() for path in built_site.glob("sitemap*.xml"))
    assert WITHDRAWN_ID not in sitemaps_text and COMPANY_PENALTY_ID in sitemaps_text
    # ...while the same check finds what is published (the test can fail).
    assert COMPANY[0] in text and COMPANY[1] in text


def test_verify_site_accepts_the_build_and_catches_tampering(
    built_site: Path, site_tree: SiteTree, tmp_path: Path
) -> None:
    assert verify_site(site_tree.root, built_site) == []
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    record = copy / "penalty" / COMPANY_PENALTY_ID / "record.json"
    record.write_bytes(record.read_bytes().replace("陈建华".encode(), "陈建国".encode()))
    removed_page = copy / "penalty" / WITHDRAWN_ID / "index.html"
    removed_page.write_text(removed_page.read_text().replace("停止公示日期", SHOP[0]))
    faults = "\n".join(verify_site(site_tree.root, copy))
    assert f"penalty/{COMPANY_PENALTY_ID}/record.json: digest" in faults
    assert f"shows '{SHOP[0]}' of removed entry {WITHDRAWN_ID}" in faults


def test_the_build_collects_nothing_here_sets_its_workers_thresholds_and_restores_both(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    real = fold_releases

    def fold(*args: Any, **kwargs: Any) -> Any:
        seen.append((gc.get_threshold(), gc.isenabled()))
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "fold_releases", fold)
    before = gc.get_threshold()
    assert gc.isenabled()
    build_site(site_tree.root, AS_OF, tmp_path / "build")
    assert seen == [(build_module._GC_THRESHOLDS, False)] and before != build_module._GC_THRESHOLDS
    assert gc.get_threshold() == before and gc.isenabled()


def test_a_process_the_build_forks_starts_with_the_build_s_objects_frozen(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked routing process starts with the build's objects frozen out of the cyclic GC
    (forks.collector_paused: its collections would walk them and copy every page they share);
    here nothing stays frozen.  It is forked once the releases are folded, and reads the kept
    counts while this process makes the record views: before the bundles are planned."""
    frozen = tmp_path / "frozen"
    real_prepare, real_plan = search_routes.prepare_routes, plan_bundles_here

    def prepare_routes(*args: Any, **kwargs: Any) -> Any:
        frozen.write_text(str(gc.get_freeze_count()))  # in the routing process
        return real_prepare(*args, **kwargs)

    started: list[bool] = []

    def plan_bundles(*args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + 30
        while not frozen.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        started.append(frozen.exists())
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(search_routes, "prepare_routes", prepare_routes)
    monkeypatch.setattr("disclosure.site.render.plan_bundles", plan_bundles)
    assert gc.get_freeze_count() == 0
    build_site(site_tree.root, AS_OF, tmp_path / "build")
    assert started == [True]  # the routing process was reading before the plan
    assert int(frozen.read_text()) > 10_000 and gc.get_freeze_count() == 0


def test_the_index_step_starts_as_soon_as_the_pages_are_written(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind's runs and the bundle writers start when the flush has written the pages, not after
    the render's bookkeeping (the sitemap, Pelican's end, the files no longer made): a core was idle
    for that long."""
    seen: list[tuple[bool, bool]] = []
    rendered = threading.Event()
    real_start, real_render = search_index.IndexStep.__init__, build_module._run_pelican

    def start(self: search_index.IndexStep, site_dir: Path, *args: Any, **kwargs: Any) -> None:
        seen.append((rendered.is_set(), (site_dir / "sitemap.xml").exists()))
        real_start(self, site_dir, *args, **kwargs)

    def run_pelican(*args: Any, **kwargs: Any) -> None:
        real_render(*args, **kwargs)
        rendered.set()

    monkeypatch.setattr(search_index.IndexStep, "__init__", start)
    monkeypatch.setattr(build_module, "_run_pelican", run_pelican)
    report = build_site(site_tree.root, AS_OF, tmp_path / "site")
    assert seen == [(False, False)]
    assert report.timings["index start"] > 0 and (tmp_path / "site" / "sitemap.xml").is_file()


def test_the_render_is_written_back_while_the_index_step_runs(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap's sync would otherwise wait for every byte the build wrote: a thread starts the
    write-back of the staging folder when the index step starts, and the sync before the swap
    still waits for the rest."""
    calls: list[tuple[str, Path, bool]] = []
    indexed = threading.Event()
    real_sync, real_finish = tree.sync_filesystem, search_index.IndexStep.finish

    def sync_filesystem(root: Path) -> None:
        calls.append((threading.current_thread().name, root, indexed.is_set()))
        real_sync(root)

    def finish(self: search_index.IndexStep, *args: Any, **kwargs: Any) -> Any:
        result = real_finish(self, *args, **kwargs)
        indexed.set()
        return result

    monkeypatch.setattr(build_module, "sync_filesystem", sync_filesystem)
    monkeypatch.setattr(search_index.IndexStep, "finish", finish)
    build_site(site_tree.root, AS_OF, tmp_path / "site")
    ((staging, indexed_then),) = [(root, then) for name, root, then in calls if name == "writeback"]
    assert not indexed_then and staging.name.startswith(".site.building")
    assert [(root, then) for name, root, then in calls if name == threading.main_thread().name] == [
        (staging, True)
    ]


def test_the_writers_loop_is_loaded_while_the_flush_renders(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an incremental build, the bundle writers' compiled loop (numba) is loaded in a thread once
    the flush's workers are started, not by the index step's start before it forks the writers; not
    by a build that writes no bundle; and a first build loads it at the index step's start."""
    loaded: list[tuple[str, bool]] = []
    index_started = threading.Event()
    real_warm, real_init = pagefind_postings.warm, search_index.IndexStep.__init__

    def warm() -> None:
        loaded.append((threading.current_thread().name, index_started.is_set()))
        real_warm()

    def init(self: search_index.IndexStep, *args: Any, **kwargs: Any) -> None:
        index_started.set()
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(build_module, "warm_postings", warm)
    monkeypatch.setattr(search_index.IndexStep, "__init__", init)
    out = tmp_path / "site"
    build_site(site_tree.root, AS_OF.replace(day=17), out)
    assert loaded == []  # the index step's start loads it (search_index's own call)
    index_started.clear()
    build_site(site_tree.root, AS_OF, out)  # week 2 withdraws one penalty, adds one
    assert [(name.startswith("postings"), then) for name, then in loaded] == [(True, False)]
    build_site(site_tree.root, AS_OF, out)  # nothing changed: every bundle is kept
    assert len(loaded) == 1


def test_a_weekly_build_s_pagefind_run_starts_beside_the_flush(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One Pagefind run's search entries (a weekly build's) are written by the build's own process
    once the flush's workers are started, and Pagefind starts on them then, not when the index
    step starts; more than one run's (a full build's at 10^5) are rendered by the workers, and
    Pagefind starts with the index step."""
    started: list[tuple[bool, int]] = []  # the index step started?, the entries there then
    index_started = threading.Event()
    real_runs, real_index = search_index.PagefindRuns.__init__, search_index.IndexStep.__init__

    def runs(
        self: search_index.PagefindRuns, names: list[str], source: Path, *args: Any, **kwargs: Any
    ) -> None:
        entries = sum(1 for name in names for _ in (source / name).rglob("index.html"))
        started.append((index_started.is_set(), entries))
        real_runs(self, names, source, *args, **kwargs)

    def index(self: search_index.IndexStep, *args: Any, **kwargs: Any) -> None:
        index_started.set()
        real_index(self, *args, **kwargs)

    monkeypatch.setattr(search_index.PagefindRuns, "__init__", runs)
    monkeypatch.setattr(search_index.IndexStep, "__init__", index)
    out = tmp_path / "site"
    build_site(site_tree.root, AS_OF.replace(day=17), out)
    index_started.clear()
    build_site(site_tree.root, AS_OF, out)  # week 2 withdraws one penalty, adds one
    first, week = started
    assert first[0] is False and first[1] > 1 and week == (False, 1)
    started.clear()
    index_started.clear()
    monkeypatch.setattr(render_module, "JOB_CAP", first[1] - 1)
    build_site(site_tree.root, AS_OF.replace(day=17), tmp_path / "more")
    assert started == [(True, first[1])]


def test_a_build_whose_caller_exits_leaves_its_data_to_the_exit(site_tree: SiteTree, tmp_path: Path) -> None:
    """The command line exits right after a build (``os._exit``): freeing the build's objects one by
    one would only delay it."""
    left = len(build_module._LEFT_FOR_EXIT)
    build_site(site_tree.root, AS_OF, tmp_path / "kept")
    assert len(build_module._LEFT_FOR_EXIT) == left
    try:
        build_site(site_tree.root, AS_OF, tmp_path / "left", exits_after=True)
        assert len(build_module._LEFT_FOR_EXIT) == left + 1
    finally:
        del build_module._LEFT_FOR_EXIT[left:]


def test_reproducible(site_tree: SiteTree, built_site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_site(site_tree.root, AS_OF, again)
    assert tree_digest(again) == tree_digest(built_site)


def test_as_of_date_applies_expiry_and_removals(site_tree: SiteTree, tmp_path: Path) -> None:
    before = tmp_path / "before"
    build_site(site_tree.root, AS_OF.replace(day=17), before)  # week 1 only: the shop is still published
    assert (before / "penalty" / WITHDRAWN_ID / "record.json").exists()
    assert (before / "entity" / SHOP[1] / "index.html").exists()


def test_failed_build_leaves_the_previous_site(
    site_tree: SiteTree, built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    shutil.copytree(built_site, out)
    before = tree_digest(out)

    def broken(_source: Path, _target: Path) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('索引失败 (simulated)')"]

    monkeypatch.setattr(search_index, "pagefind_command", broken)
    with pytest.raises(BuildError, match="simulated"):
        build_site(site_tree.root, AS_OF, out)
    assert tree_digest(out) == before
    # No staging folder left behind (the lock's file stays); the bundles' route-key counts and the
    # CSV rows stay for the next try (caches).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.lock", ".build.states", "build"]
    generator = generator_fingerprint(DEFAULT_CONFIG)
    assert sorted(p.name for p in (tmp_path / ".build.states").iterdir()) == [
        f"data-{generator}",
        f"routes-{generator}",
    ]


@pytest.mark.parametrize(
    ("module", "name", "said"),
    [
        (render_module, "_encode", "rendering failed: WorkerLost: a forked worker ended"),  # a flush worker
        (search_index, "_edit_bundle", "index failed: a forked worker ended"),  # a bundle writer
        (search_routes, "route_plan", "index failed: a forked process ended without a result"),
        (tree, "_walk_changed", "listing failed: a forked worker ended"),  # a lister of the spare
    ],
)
def test_a_worker_the_kernel_kills_fails_the_build_and_leaves_the_previous_site(
    signed_releases: SignedTree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: object,
    name: str,
    said: str,
) -> None:
    """At 10^6 records the out-of-memory killer ended the flush's workers and the routing process,
    and the build waited for their pages for ever (docs/benchmarks.md, session 32).  Any step's
    forked workers: the render's, the index step's, the listing of the spare."""
    as_of = verify_releases(signed_releases.root)[-1].published
    out = tmp_path / "build"
    build_site(signed_releases.root, as_of, out)
    before = tree_digest(out)
    here = os.getpid()
    real = getattr(module, name)

    def killed(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() == here:  # the build's own process, which renders shares of the flush too
            return real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(module, name, killed)
    monkeypatch.setattr(tree, "LISTING_FORK_AT", 1)  # the small site's spare is listed in forks too
    started = time.monotonic()
    with pytest.raises(BuildError, match=f"{said} .*killed by SIGKILL"):
        # A full build but for the listing's case, which only an incremental one has.
        build_site(signed_releases.root, as_of, out, incremental=module is tree)
    assert time.monotonic() - started < 60
    assert tree_digest(out) == before


@pytest.mark.parametrize("library", build_module.OUTPUT_LIBRARIES)
def test_another_release_of_a_library_that_shapes_the_bytes_is_another_generator(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libdeflate's streams, the pages' markup: the same code with another release of one of these
    may write other bytes, so an incremental build must not start from a site they made."""
    before = generator_fingerprint(DEFAULT_CONFIG)
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: real(name) + ".post1" if name == library else real(name),
    )
    assert generator_fingerprint(DEFAULT_CONFIG) != before


def test_refuses_tampered_or_unsigned_releases(site_tree: SiteTree, built_site: Path, tmp_path: Path) -> None:
    releases = tmp_path / "data_releases"
    shutil.copytree(site_tree.root, releases)
    (releases / "000002" / "manifest.sig").unlink()
    out = tmp_path / "build"
    shutil.copytree(built_site, out)
    before = tree_digest(out)
    with pytest.raises(VerificationError, match="000002: not signed"):
        build_site(releases, AS_OF, out)
    assert tree_digest(out) == before


def _command_line_build(site_tree: SiteTree, out: Path) -> list[str]:
    """``disclosure build`` of the site tree as of AS_OF into ``out``, as a command."""
    return [sys.executable, "-m", "disclosure", "build", "--releases", str(site_tree.root),
            "--as-of", AS_OF.isoformat(), "--out", str(out)]  # fmt: skip


def test_killed_build_leaves_the_previous_site(site_tree: SiteTree, built_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    shutil.copytree(built_site, out)
    before = tree_digest(out)
    command = _command_line_build(site_tree, out)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(".build.building-") for p in tmp_path.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the build never started"
        time.sleep(0.01)
    time.sleep(0.2)  # half-way: rendering or indexing
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert tree_digest(out) == before
    build_site(site_tree.root, AS_OF, out)  # the next build clears the leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".build.lock",
        ".build.spare",
        ".build.states",
        "build",
    ]
    assert len(list((tmp_path / ".build.states").glob("*.json"))) == 1  # the copied site had no state


def test_weeks_of_follow_ups_leave_nothing_removed_in_the_output(
    signed_releases: SignedTree, tmp_path: Path
) -> None:
    """Four sample weeks with amendments, repairs and withdrawals: removed entries vanish everywhere.

    Built week by week into one folder, as the office does: what the last build removed was taken
    out of files and search bundles it edited, not written afresh."""
    as_of = signed_releases.weeks[-1]
    out = tmp_path / "build"
    for week in signed_releases.weeks:
        report = build_site(signed_releases.root, week, out)
    assert report.bundles.get("edited", 0) > 0
    releases = verify_releases(signed_releases.root)
    fold = fold_releases(releases, as_of)
    removed_ids = {r.id for r in fold.removed()}
    assert removed_ids, "the sample history should remove something"
    shown: set[str] = set()
    for record in fold.published():
        shown |= identifying_texts(record.entry)
    needles = {
        text: entry.id
        for release in releases
        for _line, entry in release.entries()
        if isinstance(entry, Decision) and entry.id in removed_ids
        for text in identifying_texts(entry) - shown
    }
    assert needles
    text = all_output_text(out)
    leaks = sorted(f"{needle} ({entry_id})" for needle, entry_id in needles.items() if needle in text)
    assert leaks == []
    # Privacy: the sample sends full identity-card numbers of persons and legal representatives.
    assert find_full_ric(text) == []
    assert "PRIVATE KEY" not in text
    assert verify_site(signed_releases.root, out) == []


def identifying_texts(entry: Decision) -> set[str]:
    values = {entry.subject.name, entry.subject.code or ""}
    for key in ("document_number", "license_number", "case_number", "title", "facts"):
        value = entry.fields.get(key)
        if isinstance(value, str):
            values.add(value)
    return {v for v in values if len(v) >= 4}


def test_refuses_a_tree_holding_a_private_key(site_tree: SiteTree, tmp_path: Path) -> None:
    releases = tmp_path / "data_releases"
    shutil.copytree(site_tree.root, releases)
    (releases / "keys" / "office.key").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...\n")
    with pytest.raises(VerificationError, match="looks like a private key"):
        build_site(releases, AS_OF, tmp_path / "build")
    assert not (tmp_path / "build").exists()


def test_incremental_build_reuses_unchanged_files_and_equals_a_clean_build(
    site_tree: SiteTree, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    first = build_site(site_tree.root, AS_OF.replace(day=17), out)  # week 1 only
    assert first.reused == 0
    assert first.files == sum(len(names) for _, _, names in os.walk(out))
    second = build_site(site_tree.root, AS_OF, out)  # week 2 withdraws one penalty, adds one
    assert second.reused > 0
    assert second.files == sum(len(names) for _, _, names in os.walk(out))  # counted, not walked
    assert second.published == sum(1 for _ in out.glob("*/*/record.json"))
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_digest(out) == tree_digest(clean)
    # A reused page edited in place since its build is rendered again, not trusted.
    page = out / "penalty" / COMPANY_PENALTY_ID / "index.html"
    page.write_text(page.read_text().replace(COMPANY[0], "篡改"))
    third = build_site(site_tree.root, AS_OF, out)
    assert tree_digest(out) == tree_digest(clean)
    # A build that changes nothing reuses every keyed file; the third could not reuse the edited page.
    fourth = build_site(site_tree.root, AS_OF, out)
    assert fourth.reused == third.reused + 1
    # No kind's records changed, so no CSV or JSON is made again: only the /data/ page (dated).
    assert fourth.rendered["data"] == 1 and second.rendered["data"] > 1


def test_a_sitemap_that_needs_fewer_parts_leaves_none_of_the_others(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    monkeypatch.setattr(sitemaps, "URLS_PER_FILE", 10)
    build_site(site_tree.root, AS_OF, out)
    parts = sorted(out.glob("sitemap-*.xml"), key=lambda path: int(path.stem.split("-")[1]))
    assert len(parts) > 2
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    counts = [len(ET.fromstring(part.read_bytes()).findall(f"{ns}url")) for part in parts]
    assert max(counts) == 10 and 0 < counts[-1] <= 10
    index = [loc.text or "" for loc in ET.fromstring((out / "sitemap.xml").read_bytes()).iter(f"{ns}loc")]
    assert [url.rsplit("/", 1)[1] for url in index] == [part.name for part in parts]
    monkeypatch.undo()
    build_site(site_tree.root, AS_OF, out)  # the same records: one part now
    assert [path.name for path in out.glob("sitemap-*.xml")] == ["sitemap-1.xml"]
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_digest(out) == tree_digest(clean)


def test_a_build_without_a_spare_links_the_previous_site_beside_it_and_equals_a_clean_build(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build without a spare (its copy cut short, or lost) links the previous site's files into
    its folder by a process beside the render (``link_files``), and the render keeps them as it
    keeps a spare's.  A file changed since its build is made again, and a removed record's files go."""
    out = tmp_path / "build"
    build_site(site_tree.root, AS_OF.replace(day=17), out)
    shutil.rmtree(tmp_path / ".build.spare")
    page = out / "penalty" / COMPANY_PENALTY_ID / "index.html"
    page.write_text(page.read_text().replace(COMPANY[0], "篡改"))
    counted = tmp_path / "linked"  # written by the forked process
    link_files = tree.link_files

    def counting(source: Path, target: Path, relatives: Any) -> int:
        linked = link_files(source, target, relatives)
        counted.write_text(str(linked))
        return linked

    def not_linked_by_the_render(source: str, target: str) -> None:
        raise AssertionError(f"{target}: should have been linked beside, and kept")

    monkeypatch.setattr(build_module, "link_files", counting)
    monkeypatch.setattr(render_module, "link_file", not_linked_by_the_render)
    second = build_site(site_tree.root, AS_OF, out)  # week 2 withdraws one penalty, adds one
    assert second.reused > 0 and int(counted.read_text()) >= second.reused
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_state(out) == tree_state(clean)
    assert "篡改" not in page.read_text()


def test_a_build_that_replaced_no_usable_site_leaves_its_own_hard_linked_as_the_spare(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build, and the first after new code or settings (another generator), replace no
    site the next build can start from: each leaves its own site, hard-linked, as the spare
    (disclosure/_internal/spare.py), and the next build starts there instead of linking the site."""
    out, spare = tmp_path / "build", tmp_path / ".build.spare"
    page = f"penalty/{COMPANY_PENALTY_ID}/index.html"
    first = build_site(site_tree.root, AS_OF.replace(day=17), out)
    assert "spare copy" in first.timings
    assert os.stat(spare / page).st_ino == os.stat(out / page).st_ino
    assert load_tree_end(out, spare) is not None  # the next listing passes over its unchanged folders
    assert (spare / "latest.json").read_bytes() == (out / "latest.json").read_bytes()
    second = build_site(site_tree.root, AS_OF, out)  # week 2 withdraws one penalty, adds one
    assert "spare" in second.timings and "spare copy" not in second.timings and second.reused > 0
    assert "listing" in second.timings and "listing" not in first.timings  # the spare's, waited for
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_state(out) == tree_state(clean)
    # New code: the site replaced and the spare are another generator's, and both go.
    replaced = os.stat(out).st_ino
    monkeypatch.setattr(build_module, "generator_fingerprint", lambda _config: "feedfacefeedface")
    third = build_site(site_tree.root, AS_OF, out)
    assert "spare" not in third.timings and "spare copy" in third.timings
    assert os.stat(spare).st_ino != replaced and os.stat(spare / page).st_ino == os.stat(out / page).st_ino
    assert not list(tmp_path.glob(".build.building-*"))
    fourth = build_site(site_tree.root, AS_OF + dt.timedelta(days=1), out)
    assert "spare" in fourth.timings and fourth.reused > 0
    build_site(site_tree.root, AS_OF + dt.timedelta(days=1), clean, incremental=False)
    assert tree_state(out) == tree_state(clean)


def test_a_spare_copy_that_fails_fails_nothing(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site is in place when the copy is made: a copy that fails is noted in spare.log, and the
    next build, without a spare, links the site itself and removes what the copy left."""
    out = tmp_path / "build"

    def full_disk(_out: Path, into: Path, _files: Any) -> None:
        (into / "penalty").mkdir()
        raise OSError(errno.ENOSPC, "磁盘已满 (simulated)")

    monkeypatch.setattr(build_module, "leave_spare", full_disk)
    build_site(site_tree.root, AS_OF.replace(day=17), out)
    assert "磁盘已满 (simulated)" in (tmp_path / ".build.states" / "spare.log").read_text(encoding="utf-8")
    assert not (tmp_path / ".build.spare").exists() and list(tmp_path.glob(".build.building-*"))
    monkeypatch.undo()
    second = build_site(site_tree.root, AS_OF, out)
    assert "spare" not in second.timings and second.reused > 0
    assert not list(tmp_path.glob(".build.building-*"))
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_state(out) == tree_state(clean)


def test_from_the_command_line_the_spare_is_copied_beside_and_the_next_build_waits_for_it(
    site_tree: SiteTree, tmp_path: Path
) -> None:
    """The command line leaves the copy to a detached process holding the build lock: the next
    build waits for the lock if the copy is not done, and starts from it."""
    out = tmp_path / "build"
    first = build_site(site_tree.root, AS_OF.replace(day=17), out, background_cleanup=True)
    assert "spare copy" not in first.timings
    second = build_site(site_tree.root, AS_OF, out, background_cleanup=True)
    assert "spare" in second.timings and second.reused > 0
    assert (tmp_path / ".build.states" / "spare.log").read_bytes() == b""  # nothing went wrong


def test_a_build_waits_while_another_holds_the_site_s_lock(site_tree: SiteTree, tmp_path: Path) -> None:
    out = tmp_path / "build"
    held = os.open(tmp_path / ".build.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # as another build, or the spare's copy, holds it
    command = _command_line_build(site_tree, out)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(4)
        assert process.poll() is None and not out.exists()
    finally:
        os.close(held)
    stdout, _ = process.communicate(timeout=300)
    assert process.returncode == 0
    waited = re.search(r"\bwait (\d+\.\d)s", stdout)
    assert waited is not None and float(waited.group(1)) >= 1.0, stdout


def test_a_site_with_nothing_published_still_builds(tmp_path: Path, office_key: Ed25519PrivateKey) -> None:
    root = new_tree(tmp_path / "data_releases", office_key)
    row = penalty_row("榕市监处罚〔2026〕9901号")
    stage_and_sign(root, [write_csv(tmp_path / "p.csv", [row])], AS_OF.replace(day=16), office_key)
    withdraw = {
        **row,
        "操作": "撤销",
        "操作日期": "2026-11-20",
        "操作原因": "决定被撤销",
        "操作依据": "复议决定",
    }
    stage_and_sign(root, [write_csv(tmp_path / "w.csv", [withdraw])], AS_OF.replace(day=23), office_key)
    out = tmp_path / "build"
    report = build_site(root, AS_OF, out)
    assert report.published == 0 and report.removed == 1
    assert (out / "pagefind" / "empty" / "pagefind.js").exists() and (out / "search" / "index.html").exists()
    assert COMPANY[0] not in all_output_text(out)


def test_weekly_build_checks_only_the_new_release_and_equals_a_clean_build(
    releases_copy: Path, tmp_path: Path
) -> None:
    """The build caches the verified history: a new week's build parses that week's lines only."""
    held = tmp_path / "held"
    (releases_copy / "000004").rename(held)
    releases = verify_releases(releases_copy)
    out = tmp_path / "build"
    first = build_site(releases_copy, releases[-1].published, out)
    assert first.parsed == 3
    held.rename(releases_copy / "000004")
    as_of = verify_releases(releases_copy)[-1].published
    weekly = build_site(releases_copy, as_of, out)
    assert weekly.parsed == 1
    clean = build_site(releases_copy, as_of, tmp_path / "clean", incremental=False)
    assert clean.parsed == 4
    assert tree_digest(out) == tree_digest(tmp_path / "clean")
    # A tampered old release is still refused: its hash is checked on every build.
    path = releases_copy / "000001" / "records.jsonl"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n ", 1))
    with pytest.raises(VerificationError, match="000001: records.jsonl sha256"):
        build_site(releases_copy, as_of, out)


def test_each_build_starts_from_the_spare_and_equals_a_clean_build(
    signed_releases: SignedTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weekly and daily builds start from the site two builds back (kept as the spare): each equals a
    clean build, folders included, and the site it replaced is left exactly as it was served.  A
    bundle edited where the spare holds it moves its old index into the build's discard folder."""
    edits = tmp_path / "edits"  # noted by the bundle writers, which may be forked
    edits.mkdir()
    edit = search_index._edit_bundle

    def noted(*args: Any) -> Any:
        folder, trash = args[4], args[6]
        (edits / f"{os.getpid()}-{time.monotonic_ns()}").write_text(f"{folder.is_dir()} {trash}")
        return edit(*args)

    monkeypatch.setattr(search_index, "_edit_bundle", noted)
    weeks = signed_releases.weeks
    dates = [weeks[1], weeks[2], weeks[2] + dt.timedelta(days=1), weeks[3], weeks[3] + dt.timedelta(days=40)]
    out, spare = tmp_path / "build", tmp_path / ".build.spare"
    trees = []
    made: Counter[str] = Counter()
    in_place = 0  # bundles edited in the spare's folder of the same name
    for number, as_of in enumerate(dates):
        served = tree_state(out) if out.exists() else None
        older = {p.name: (p.stat().st_ino, (p / "pagefind-entry.json").read_bytes()) for p in _bundles(spare)}
        report = build_site(signed_releases.root, as_of, out)
        trees.append(os.stat(out).st_ino)
        made.update(report.bundles)
        for bundle in _bundles(out):
            inode, entry = older.get(bundle.name, (0, b""))
            in_place += (
                bundle.stat().st_ino == inode and (bundle / "pagefind-entry.json").read_bytes() != entry
            )
        assert not list(tmp_path.glob(".build.building-*"))  # the spare's outdated bundles went too
        if served is not None:
            assert tree_state(spare) == served  # not one byte of the replaced site changed
            assert report.reused > 0
        clean = tmp_path / f"clean-{number}"
        build_site(signed_releases.root, as_of, clean, incremental=False)
        assert tree_state(out) == tree_state(clean), as_of
    assert trees[2:] == trees[:-2]  # each build from the third on was made in the folder of the one two back
    assert made["edited"] > 0  # search bundles edited from the last site's
    assert in_place > 0
    notes = [path.read_text().split(" ", 1) for path in edits.iterdir()]
    trashes = [trash for there, trash in notes if there == "True"]  # edits into a spare's version
    assert trashes and all(trash.startswith(f"{tmp_path}/.build.building-") for trash in trashes)
    # A clean build does not start from the spare; the one it could not use is deleted.
    build_site(signed_releases.root, dates[-1], out, incremental=False)
    assert os.stat(spare).st_ino == trees[-1]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".build")) == [
        ".build.lock",
        ".build.spare",
        ".build.states",
    ]
    assert len(list((tmp_path / ".build.states").glob("*.json"))) == 2  # the site's and the spare's
    assert len(list((tmp_path / ".build.states").glob("routes-*"))) == 1  # bundles' route keys
    rows = {p.name for p in (tmp_path / ".build.states").glob("data-*/*")}  # CSV rows by kind
    assert rows == {f"{kind.value}.csv.json" for kind in Kind}


def _bundles(site: Path) -> list[Path]:
    folder = site / "pagefind"
    return [p for p in folder.iterdir() if p.is_dir() and p.name != ROUTE_DIR] if folder.exists() else []


@pytest.mark.parametrize("background", [False, True])
def test_a_build_leaves_no_scratch_or_outdated_bundles_behind(
    site_tree: SiteTree, tmp_path: Path, background: bool
) -> None:
    """The search entries and Pagefind's runs (in /dev/shm) and the spare's outdated bundles are
    deleted after the swap: at once, or by a detached process (the command line's choice)."""
    out = tmp_path / "build"
    for as_of in (AS_OF, AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=400)):
        build_site(site_tree.root, as_of, out, background_cleanup=background)

    def ours(scratch: Path) -> bool:
        try:
            return (scratch / "staging").read_text().startswith(str(tmp_path))
        except OSError:  # being deleted
            return True

    def left() -> list[str]:
        folders = (search_index.SHM, tmp_path)
        scratch = [str(s) for f in folders for s in f.glob(f"{search_index.SCRATCH_PREFIX}*") if ours(s)]
        return scratch + [p.name for p in tmp_path.glob(".build.building-*")]

    deadline = time.monotonic() + (30 if background else 0)
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left() == []


def test_a_spare_changed_by_hand_is_put_right(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever was changed, added or removed in the spare since its build ended is found: the
    listing passes over only the record and entity folders whose inode did not change since."""
    out, spare = tmp_path / "build", tmp_path / ".build.spare"
    build_site(site_tree.root, AS_OF.replace(day=17), out)
    # The spare is then the second build's site (the first build's copy), not the first build's,
    # whose files that copy linked after it ended: none of its files is vouched for by the listing.
    build_site(site_tree.root, AS_OF, out)
    build_site(site_tree.root, AS_OF, out)
    passed: dict[str, bool] = {}
    real_passes = tree.Unchanged.passes

    def passes(self: tree.Unchanged, path: str, folder: str) -> bool:
        passed[folder] = real_passes(self, path, folder)
        return passed[folder]

    monkeypatch.setattr(tree.Unchanged, "passes", passes)
    (spare / "stray.html").write_text("不该出现的页面")
    (spare / "junk" / "deeper").mkdir(parents=True)
    page = spare / "penalty" / COMPANY_PENALTY_ID / "index.html"
    page.unlink()  # a new inode: the served page is safe
    page.write_text("篡改")
    (spare / "entity" / COMPANY[1] / "index.html").unlink()
    edited = next(folder for folder in sorted((spare / "entity").iterdir()) if folder.name != COMPANY[1])
    with open(edited / "index.html", "a", encoding="utf-8") as written_in_place:
        written_in_place.write("篡改")  # its folder unchanged: found by the file's own ctime
    bundle = _bundles(spare)[0]
    shutil.rmtree(bundle)
    build_site(site_tree.root, AS_OF, out)
    assert passed[f"entity/{edited.name}"] and not passed[f"penalty/{COMPANY_PENALTY_ID}"]
    assert not passed[f"entity/{COMPANY[1]}"]
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_state(out) == tree_state(clean)


def test_a_build_from_a_spare_stats_only_the_files_its_listing_did_not_vouch_for(
    site_tree: SiteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing of the spare checks the ctime of each record's and entity's files in the
    folders it passes over (tree.Vouched), and the flush stats none of those again."""
    out = tmp_path / "build"
    for _ in range(3):  # the fourth's spare: the second's site, none of its files linked since it ended
        build_site(site_tree.root, AS_OF, out)
    checked = count_reuse_checks(monkeypatch)
    build_site(site_tree.root, AS_OF, out, workers=1)  # the flush in this process
    pages = [
        path for path in tree.list_files(out) if re.fullmatch(r"(entity|penalty)/[^/]+/index\.html", path)
    ]
    stated = {os.path.relpath(path, out.parent).split("/", 1)[1] for path in checked}
    assert len(pages) >= 4 and not stated & set(pages)  # each kept as the listing vouched for it
    clean = tmp_path / "clean"
    build_site(site_tree.root, AS_OF, clean, incremental=False)
    assert tree_state(out) == tree_state(clean)


def test_the_site_folder_has_a_new_folder_s_mode(site_tree: SiteTree, tmp_path: Path) -> None:
    """Not mkdtemp's 0700: a web server running as another user must be able to read the site."""
    (tmp_path / "plain").mkdir()
    out = tmp_path / "build"
    for _ in range(3):  # the third starts from the spare
        build_site(site_tree.root, AS_OF, out)
        assert stat.S_IMODE(os.stat(out).st_mode) == stat.S_IMODE(os.stat(tmp_path / "plain").st_mode)


def test_what_builds_leave_beside_the_demo_site_is_ignored_by_git() -> None:
    """`make site` builds into build/: its spare, states and staging folders must not show in git."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    names = [
        "build/index.html",
        ".build.spare/index.html",
        ".build.states/1.json",
        ".build.building-x1/a",
        ".build.lock",
    ]
    found = subprocess.run(
        ["git", "check-ignore", *names], cwd=root, capture_output=True, text=True, check=False
    )
    assert found.stdout.split() == names
