"""disclosure/search_index.py: the routing shards a build rewrites, stale scratch folders, and
failures that stop a build.  Whole builds, incremental against clean, are in test_build.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from disclosure.search_index import (
    SCRATCH_PREFIX,
    SearchIndexError,
    _read_bundle,
    make_scratch,
    remove_stale_scratch,
    write_routes,
)
from disclosure.site.bundles import plan_bundles
from disclosure.site.render import INDEX_SOURCE
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
    remove_stale_scratch((kept.parent, tmp_path))
    assert kept.exists() and not gone.exists()
    assert kept.name.startswith(SCRATCH_PREFIX)


def test_an_unreadable_previous_bundle_stops_the_index_step(tmp_path: Path) -> None:
    (tmp_path / "pagefind-entry.json").write_text('{"version": "1.4.0", "languages": {}}')
    with pytest.raises(SearchIndexError, match="1.4.0"):
        _read_bundle(tmp_path)
