"""disclosure/search_routes.py: the routing shards a build rewrites, the counts it keeps, and the
routing process that reads them before the bundles are planned."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from disclosure import search_routes
from disclosure.fold import PublishedLine, fold_releases
from disclosure.model import Decision, decision_from_line
from disclosure.search_routes import (
    SHARD_PROBE,
    planned,
    prepare_routes,
    route_plan,
    start_routes,
    write_routes,
)
from disclosure.site import views
from disclosure.site.bundles import Bundle, plan_bundles
from disclosure.site.views import RecordView, record_view
from disclosure.verify import verify_releases
from tests.conftest import SignedTree
from tests.test_site_bundles import sample_records


def test_routes_rewrite_only_the_shards_that_changed(signed_releases: SignedTree, tmp_path: Path) -> None:
    newest_first = list(reversed(plan_bundles(sample_records(signed_releases), cap=10)))
    folder = tmp_path / "pagefind" / "route"
    shards, _seconds = write_routes(newest_first, folder)
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert shards == len(written) > 1
    (folder / "0.json").write_text("{}")  # a spare's shard that differs
    (folder / f"{shards}.json").write_text("{}")  # one the table no longer has
    for path in folder.iterdir():
        os.utime(path, (0, 0))  # an inode number may be reused; a new file's time is new
    write_routes(newest_first, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == written
    changed = {p.name for p in folder.iterdir() if p.stat().st_mtime > 0}
    assert changed == {"0.json"}  # the others hold the same bytes: not written again


def test_routes_stop_comparing_when_the_first_shards_all_changed(
    signed_releases: SignedTree, tmp_path: Path
) -> None:
    """As after a weekly build's new bundle: none of the first SHARD_PROBE shards is the same, so
    the rest are written without being read, the same ones included; the bytes are right."""
    newest_first = list(reversed(plan_bundles(sample_records(signed_releases), cap=10)))
    folder = tmp_path / "route"
    shards, _seconds = write_routes(newest_first, folder)
    assert shards > SHARD_PROBE + 1
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    for number in range(SHARD_PROBE):
        (folder / f"{number}.json").write_text("{}")
    for path in folder.iterdir():
        os.utime(path, (0, 0))
    write_routes(newest_first, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == written
    assert all(p.stat().st_mtime > 0 for p in folder.iterdir())  # all written, unread


def test_routes_count_each_bundle_once_and_keep_the_counts_by_its_key(
    signed_releases: SignedTree, tmp_path: Path
) -> None:
    newest_first = list(reversed(plan_bundles(sample_records(signed_releases), cap=10)))
    plain, cached, cache = tmp_path / "plain", tmp_path / "cached", tmp_path / "cache"
    write_routes(newest_first, plain)
    (cache / "0123.json").parent.mkdir()
    (cache / "0123.json").write_text("{}")  # a bundle no longer built
    write_routes(newest_first, cached, cache)
    assert _files(cached) == _files(plain)
    assert {p.name for p in cache.iterdir()} == {"keys.json"} | {
        f"{b.key}{suffix}" for b in newest_first for suffix in (".json", ".records.json")
    }
    # Read, not counted again: a bundle's counts emptied by hand empty its keys from the table.
    emptied = cache / f"{newest_first[0].key}.json"
    emptied.write_bytes(orjson.dumps({**orjson.loads(emptied.read_bytes()), "ids": [], "counts": []}))
    write_routes(newest_first, cached, cache)
    assert _files(cached) != _files(plain)
    # A file that will not parse (a build killed while writing it) is counted again.
    emptied.write_text('{"鼓楼')
    write_routes(newest_first, cached, cache)
    assert _files(cached) == _files(plain)
    assert orjson.loads(emptied.read_bytes())


def test_a_changed_bundle_is_counted_from_its_last_version(
    signed_releases: SignedTree, tmp_path: Path
) -> None:
    records = sample_records(signed_releases)
    before = list(reversed(plan_bundles(records, cap=10)))
    cache = tmp_path / "cache"
    write_routes(before, tmp_path / "before", cache)
    changed = max(before, key=lambda b: len(b.records))
    planted = {**_counts(cache, changed.key), "假键": 1}
    # The week: a record gone from the biggest bundle, which is rebuilt under the same name.
    after = [Bundle(b.name, b.records[1:]) if b is changed else b for b in before]
    plain = tmp_path / "plain"
    write_routes(after, plain)
    bases = {b.name: b.key for b in before}
    write_routes(after, tmp_path / "rebased", cache, bases)
    assert _files(tmp_path / "rebased") == _files(plain)
    # Counted from the base, not afresh: a key planted in the base's counts shows in the table.
    new_key = Bundle(changed.name, changed.records[1:]).key
    write_routes(before, tmp_path / "before", cache)  # the base back in the cache (it was pruned)
    _keep_counts(cache, changed.key, planted)
    write_routes(after, tmp_path / "planted", cache, bases)
    assert "假键" in _counts(cache, new_key)
    assert _files(tmp_path / "planted") != _files(plain)
    # A base whose records could not have been in it is not used: counted afresh.
    (cache / f"{new_key}.json").unlink()
    (cache / f"{changed.key}.json").write_text("{}")
    write_routes(after, tmp_path / "fallback", cache, bases)
    assert _files(tmp_path / "fallback") == _files(plain)


def test_a_changed_bundle_parses_only_the_entries_its_base_lacks(
    signed_releases: SignedTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weekly build changes most bundles a little: the routed texts of the records a bundle's
    base held come from the cache, and only the others' entries are parsed (RecordView.entry)."""
    before = list(reversed(plan_bundles(sample_records(signed_releases), cap=10)))
    cache = tmp_path / "cache"
    write_routes(before, tmp_path / "before", cache)
    fold = fold_releases(verify_releases(signed_releases.root), signed_releases.weeks[-1])
    lazy = {view.digest: view for view in map(record_view, fold.published_lines())}
    changed, other = sorted(before, key=lambda b: len(b.records))[-2:]
    moved = lazy[other.records[0].digest]
    after = []  # the week: one record moves from one bundle to another; the rest stay as they were
    for bundle in before:
        kept = tuple(lazy[r.digest] for r in bundle.records[1:])
        if bundle is changed:
            after.append(Bundle(bundle.name, (*kept, moved)))
        else:
            after.append(Bundle(bundle.name, kept) if bundle is other else bundle)
    plain = tmp_path / "plain"
    parsed = {r.digest: r for b in before for r in b.records}
    write_routes([Bundle(b.name, tuple(parsed[r.digest] for r in b.records)) for b in after], plain)
    lines: list[bytes] = []  # the lines whose entries are parsed

    def parse(line: bytes) -> Decision:
        lines.append(line)
        return decision_from_line(line)

    monkeypatch.setattr(views, "decision_from_line", parse)
    views._entry_of.cache_clear()
    write_routes(after, tmp_path / "rebased", cache, {b.name: b.key for b in before})
    assert _files(tmp_path / "rebased") == _files(plain)
    assert set(lines) == {moved.line}


def _counts(cache: Path, bundle_key: str) -> dict[str, int]:
    """A bundle's kept route-key counts, by key."""
    keys = orjson.loads((cache / "keys.json").read_bytes())["keys"]
    kept = orjson.loads((cache / f"{bundle_key}.json").read_bytes())
    return {keys[number]: count for number, count in zip(kept["ids"], kept["counts"], strict=True)}


def _keep_counts(cache: Path, bundle_key: str, counts: dict[str, int]) -> None:
    """Keep ``counts`` as the bundle's, numbering new keys as a build would."""
    kept = orjson.loads((cache / "keys.json").read_bytes())
    keys = kept["keys"] + [key for key in counts if key not in kept["keys"]]
    (cache / "keys.json").write_bytes(orjson.dumps({**kept, "keys": keys}))
    ids = [keys.index(key) for key in counts]
    numbered = {"epoch": kept["epoch"], "ids": ids, "counts": list(counts.values())}
    (cache / f"{bundle_key}.json").write_bytes(orjson.dumps(numbered))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _week(signed_releases: SignedTree) -> tuple[list[Bundle], list[Bundle], dict[str, RecordView]]:
    """Last week's bundles (newest first) and this week's: a record gone from the biggest bundle,
    a record moved from the next biggest into it, and one new record (a third bundle's first,
    left out of last week's); with every record's view by digest."""
    fold = fold_releases(verify_releases(signed_releases.root), signed_releases.weeks[-1])
    views = {view.digest: view for view in map(record_view, fold.published_lines())}
    now = list(reversed(plan_bundles(list(views.values()), cap=10)))
    changed, other, third = sorted(now, key=lambda b: len(b.records))[-3:]
    new = third.records[0]
    before, after = [], []
    for bundle in now:
        if bundle is third:
            before.append(Bundle(bundle.name, bundle.records[1:]))
            after.append(bundle)
        elif bundle is changed:
            before.append(bundle)
            after.append(Bundle(bundle.name, (*bundle.records[1:], other.records[0])))
        elif bundle is other:
            before.append(bundle)
            after.append(Bundle(bundle.name, bundle.records[1:]))
        else:
            before.append(bundle)
            after.append(bundle)
    return before, after, {new.digest: new}


def test_the_routing_process_reads_the_cache_before_the_plan_and_writes_the_same_table(
    signed_releases: SignedTree, tmp_path: Path
) -> None:
    before, after, _new = _week(signed_releases)
    cache = tmp_path / "cache"
    write_routes(before, tmp_path / "last week", cache)
    plain = tmp_path / "plain"
    write_routes(after, plain)  # no cache: every bundle counted from its records
    fold = fold_releases(verify_releases(signed_releases.root), signed_releases.weeks[-1])
    read = tmp_path / "read"

    def published() -> Iterator[PublishedLine]:
        read.write_text(str(os.getpid()))  # in the routing process, before it has the plan
        yield from fold.published_lines()

    folder = tmp_path / "route"
    routing = start_routes(folder, cache, {b.name: b.key for b in before}, published)
    try:
        deadline = time.monotonic() + 30
        while not read.exists():
            assert time.monotonic() < deadline, "the routing process did not prepare on its own"
            time.sleep(0.01)
        routing.give(planned(after))
        shards, _seconds = routing.result()
    finally:
        routing.stop()
    assert int(read.read_text()) != os.getpid()
    assert shards == len(_files(plain)) and _files(folder) == _files(plain)
    # A first build (nothing kept) makes the same table from the published lines alone.
    first = tmp_path / "first"
    routing = start_routes(first, tmp_path / "new cache", {}, fold.published_lines)
    try:
        routing.give(planned(after))
        routing.result()
    finally:
        routing.stop()
    assert _files(first) == _files(plain)


def test_prepared_routes_view_only_the_records_no_kept_bundle_holds(
    signed_releases: SignedTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weekly build's new records are the only ones whose lines are viewed and parsed: a record
    that moved to another bundle keeps the texts its old bundle cached."""
    before, after, new = _week(signed_releases)
    cache = tmp_path / "cache"
    write_routes(before, tmp_path / "last week", cache)
    fold = fold_releases(verify_releases(signed_releases.root), signed_releases.weeks[-1])
    viewed: list[str] = []

    def counting_view(line: PublishedLine) -> RecordView:
        viewed.append(line.digest)
        return record_view(line)

    monkeypatch.setattr(search_routes, "record_view", counting_view)
    bases = {b.name: b.key for b in before}
    sources = prepare_routes(cache, bases.values(), fold.published_lines)
    route_plan(planned(after), tmp_path / "route", sources, bases)
    assert viewed == list(new)
    plain = tmp_path / "plain"
    write_routes(after, plain)
    assert _files(tmp_path / "route") == _files(plain)
