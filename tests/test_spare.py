"""The spare a build leaves as a hard-linked copy of its site, when the site it replaced is none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from disclosure._internal.spare import LINKING_PROCESSES, copy_site, leave_spare, main
from disclosure._internal.states import BuildState, load_tree_end, spare_path, write_state, write_tree_end
from disclosure.site.render import Reusable
from disclosure.site.routing import ROUTE_DIR
from disclosure.tally import Tallier
from disclosure.verify import VerifiedHistory

GENERATOR = "0123456789abcdef"
# Enough records for the links to be dealt out to forked processes (split_over_forks' at_least).
MANY = 2100


def site(root: Path, records: int = 3) -> list[str]:
    """A site as a build leaves it: record pages (keyed), a theme file (not keyed), a search bundle,
    the routing table's shards and latest.json; returns the keyed files."""
    keyed = []
    for number in range(records):
        relative = f"penalty/{number:05d}/index.html"
        (root / relative).parent.mkdir(parents=True)
        (root / relative).write_text(f"行政处罚决定书 {number}")
        keyed.append(relative)
    (root / "theme").mkdir()
    (root / "theme" / "site.css").write_text("body{}")
    bundle = root / "pagefind" / "2026-11-16" / "fragment"
    bundle.mkdir(parents=True)
    (bundle / "a.pf_fragment").write_bytes(b"\x1f\x8b fragment")
    (root / "pagefind" / "bundles.json").write_text("[]")
    (root / "pagefind" / ROUTE_DIR).mkdir()
    for shard in range(3):
        (root / "pagefind" / ROUTE_DIR / f"{shard}.json").write_text(f'{{"福州":"{shard}"}}')
    (root / "latest.json").write_text(json.dumps({"as_of": "2026-11-24", "generator": GENERATOR}) + "\n")
    return keyed


def inode(path: Path) -> int:
    return os.stat(path).st_ino


@pytest.mark.parametrize("records", [3, MANY])
def test_the_copy_links_what_a_build_reuses_and_copies_the_routing_shards(
    tmp_path: Path, records: int
) -> None:
    out, into = tmp_path / "site", tmp_path / ".site.building-1"
    out.mkdir()
    into.mkdir()
    keyed = site(out, records)
    assert records < MANY or LINKING_PROCESSES > 1  # the large case runs in forked processes
    held = copy_site(out, into, keyed)
    linked = [*keyed, "pagefind/2026-11-16/fragment/a.pf_fragment", "pagefind/bundles.json", "latest.json"]
    shards = [f"pagefind/{ROUTE_DIR}/{shard}.json" for shard in range(3)]
    assert held == len(linked) + len(shards)
    for relative in linked:
        assert inode(into / relative) == inode(out / relative), relative
    for relative in shards:  # its own, to be written over in place by the next build's routing
        assert (into / relative).read_bytes() == (out / relative).read_bytes()
        assert inode(into / relative) != inode(out / relative) and os.stat(into / relative).st_nlink == 1
    assert not (into / "theme").exists()  # not keyed: the next build writes it afresh anyway


def test_the_copy_becomes_the_spare_only_when_complete(tmp_path: Path) -> None:
    out, into = tmp_path / "site", tmp_path / ".site.building-1"
    out.mkdir()
    into.mkdir()
    keyed = site(out)
    tops = frozenset({"penalty"})
    write_tree_end(out, out, (out / "latest.json").read_text(), tops)
    leave_spare(out, into, keyed)
    spare = spare_path(out)
    assert not into.exists() and inode(spare / keyed[0]) == inode(out / keyed[0])
    site_end, spare_end = load_tree_end(out, out), load_tree_end(out, spare)  # noted for the copy too
    assert site_end is not None and spare_end is not None
    assert spare_end.tops == tops and spare_end.since_ns > site_end.since_ns
    into.mkdir()
    with pytest.raises(OSError):  # a spare is there: the copy is not put over it
        leave_spare(out, into, keyed)
    assert into.is_dir() and inode(spare / keyed[0]) == inode(out / keyed[0])


def test_the_detached_copy_reads_the_site_s_state_or_does_nothing(tmp_path: Path) -> None:
    out, into = tmp_path / "site", tmp_path / ".site.building-1"
    out.mkdir()
    into.mkdir()
    keyed = site(out)
    argv = [str(out), str(into), GENERATOR]
    assert main(argv) == 1  # no state: no spare, and no folder left
    assert not into.exists() and not spare_path(out).exists()
    state = BuildState(
        files={relative: Reusable("k", 1, 1) for relative in keyed[:2]},
        bundles={"2026-11-16": "b" * 64},
        pages={},
        history=VerifiedHistory(("m" * 64,), {}),
        tallier=Tallier(),
    )
    write_state(out, out, (out / "latest.json").read_text(), state)
    into.mkdir()
    assert main([str(out), str(into), "fedcba9876543210"]) == 1  # another generator's state
    into.mkdir()
    assert main(argv) == 0
    spare = spare_path(out)
    assert inode(spare / keyed[1]) == inode(out / keyed[1])
    assert not (spare / keyed[2]).exists()  # what the state lists, and no more
