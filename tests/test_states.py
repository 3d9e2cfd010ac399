"""Build states: kept per site folder by inode, used only by the same generator for the same build."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from disclosure._internal.states import (
    BuildState,
    TreeState,
    data_cache,
    load_spare_state,
    load_state,
    load_tree_state,
    remove_stale_states,
    route_cache,
    spare_path,
    write_state,
)
from disclosure.site.render import Reusable
from disclosure.tally import Tallier
from disclosure.verify import VerifiedHistory

GENERATOR = "0123456789abcdef"


def made(tree: Path, generator: str = GENERATOR) -> tuple[str, BuildState]:
    """A folder as a build leaves it: its latest.json, and a state describing it."""
    tree.mkdir()
    latest = json.dumps({"as_of": "2026-11-24", "generator": generator}) + "\n"
    (tree / "latest.json").write_text(latest)
    page = tree / "penalty" / "x" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("行政处罚决定书")
    stat = page.stat()
    state = BuildState(
        files={"penalty/x/index.html": Reusable("k1", stat.st_size, stat.st_mtime_ns)},
        bundles={"2026-11-16": "b" * 64},
        pages={"/penalty/x/": ("2026-11-16", "d" * 64)},
        history=VerifiedHistory(("m" * 64,), {}),
        tallier=Tallier(),
    )
    return latest, state


def test_a_state_follows_its_folder_through_renames(tmp_path: Path) -> None:
    out, staging = tmp_path / "site", tmp_path / ".site.building-1"
    latest, state = made(staging)
    write_state(out, staging, latest, state)
    staging.rename(out)  # the swap
    assert load_state(out, out, GENERATOR) == state
    out.rename(spare_path(out))  # the next swap
    assert load_state(out, spare_path(out), GENERATOR) == state
    assert load_tree_state(out, spare_path(out), GENERATOR) == TreeState(state.files, state.bundles)
    assert load_state(out, out, GENERATOR) is None  # no folder there now
    assert load_tree_state(out, out, GENERATOR) is None


def test_the_spare_is_read_from_the_notes_of_the_build_that_replaced_it(tmp_path: Path) -> None:
    """A weekly build reads the site's state and takes the spare's from it: the spare's own
    state is not read (0.6-0.8 s at 10^5 records)."""
    out, staging, spare = tmp_path / "site", tmp_path / ".site.building-1", spare_path(tmp_path / "site")
    old_latest, old = made(out)
    old.files["penalty/y/index.html"] = Reusable("k-y", 9, 1)  # the new build drops it
    old.files["penalty/z/index.html"] = Reusable("k-z", 5, 1)  # and makes it again
    write_state(out, out, old_latest, old)
    previous = load_state(out, out, GENERATOR)
    assert previous is not None and previous.latest == old_latest
    new_latest, new = made(staging)
    new_latest = new_latest.replace("11-24", "12-01")
    (staging / "latest.json").write_text(new_latest)
    new.files["penalty/z/index.html"] = Reusable("k-z", 5, 2)
    new.files["penalty/w/index.html"] = Reusable("k-w", 7, 2)  # new this build
    write_state(out, staging, new_latest, new, replaces=previous)
    os.rename(out, spare)  # the swap, and the replaced site kept as the spare
    os.rename(staging, out)
    os.unlink(tmp_path / ".site.states" / f"{os.stat(spare).st_ino}.json")  # never read
    site = load_state(out, out, GENERATOR)
    assert site is not None and site == new
    taken = load_spare_state(out, spare, GENERATOR, site)
    assert taken == TreeState(old.files, old.bundles) and taken.latest == old_latest
    assert load_spare_state(out, spare, "fedcba9876543210", site) is None  # another generator's
    (spare / "latest.json").write_text(old_latest.replace("11-24", "11-23"))  # not that site
    assert load_spare_state(out, spare, GENERATOR, site) is None  # its own state, which is gone
    assert load_spare_state(out, spare, GENERATOR, None) is None


def test_a_spare_without_notes_is_read_from_its_own_state(tmp_path: Path) -> None:
    out = tmp_path / "site"
    spare = spare_path(out)
    latest, state = made(spare)
    write_state(out, spare, latest, state)  # (a first build's site: it replaced none)
    site_latest, site_state = made(out)
    site_latest = site_latest.replace("11-24", "12-01")  # a later build
    (out / "latest.json").write_text(site_latest)
    write_state(out, out, site_latest, site_state)
    site = load_state(out, out, GENERATOR)
    assert site is not None and site.replaced is None
    assert load_spare_state(out, spare, GENERATOR, site) == TreeState(state.files, state.bundles)


def test_a_spare_copied_from_the_site_takes_the_site_s_state(tmp_path: Path) -> None:
    """The spare a build leaves when it replaced none it could use is the site itself, hard-linked
    (disclosure/_internal/spare.py): its latest.json is the site's, and it has no state of its own."""
    out = tmp_path / "site"
    latest, state = made(out)
    write_state(out, out, latest, state)
    spare = spare_path(out)
    spare.mkdir()
    os.link(out / "latest.json", spare / "latest.json")
    site = load_state(out, out, GENERATOR)
    assert site is not None and site.replaced is None
    taken = load_spare_state(out, spare, GENERATOR, site)
    assert taken == TreeState(state.files, state.bundles) and taken.latest == latest
    (spare / "latest.json").unlink()
    (spare / "latest.json").write_text(latest.replace("11-24", "11-23"))  # another build's copy
    assert load_spare_state(out, spare, GENERATOR, site) is None  # and it has no state


def test_a_state_is_refused_for_another_generator_or_another_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    latest, state = made(out)
    write_state(out, out, latest, state)
    assert load_state(out, out, "fedcba9876543210") is None
    assert load_tree_state(out, out, "fedcba9876543210") is None
    (out / "latest.json").write_text(latest.replace("11-24", "11-25"))  # a build whose state never landed
    assert load_state(out, out, GENERATOR) is None
    assert load_tree_state(out, out, GENERATOR) is None


@pytest.mark.parametrize(
    "state_text",
    [
        "[]",
        "null",
        '"latest"',
        '{"latest": LATEST, "files": [], "bundles": {}}',
        '{"latest": LATEST, "pages": []}',
    ],
)
def test_a_state_that_is_json_of_another_shape_is_not_used(tmp_path: Path, state_text: str) -> None:
    """Valid JSON, but not a state as write_state writes it: the build starts over, it does not crash."""
    out = tmp_path / "site"
    latest, state = made(out)
    write_state(out, out, latest, state)
    path = next((tmp_path / ".site.states").glob("*.json"))
    path.write_text(state_text.replace("LATEST", json.dumps(latest)))
    assert load_state(out, out, GENERATOR) is None
    assert load_tree_state(out, out, GENERATOR) is None


@pytest.mark.parametrize("part", ["pages", "bundles", "history"])
def test_a_state_with_a_part_of_another_shape_is_not_used(tmp_path: Path, part: str) -> None:
    out = tmp_path / "site"
    latest, state = made(out)
    write_state(out, out, latest, state)
    path = next((tmp_path / ".site.states").glob("*.json"))
    written = json.loads(path.read_text())
    written[part] = ["不是对象"]
    path.write_text(json.dumps(written))
    assert load_state(out, out, GENERATOR) is None


def test_a_latest_json_of_another_shape_is_not_used(tmp_path: Path) -> None:
    out = tmp_path / "site"
    _latest, state = made(out)
    (out / "latest.json").write_text("[]\n")
    write_state(out, out, "[]\n", state)
    assert load_state(out, out, GENERATOR) is None
    assert load_tree_state(out, out, GENERATOR) is None


def test_only_the_site_s_and_the_spare_s_states_are_kept(tmp_path: Path) -> None:
    out, spare, gone = tmp_path / "site", tmp_path / ".site.spare", tmp_path / ".site.building-2"
    for tree in (out, spare, gone):
        latest, state = made(tree)
        write_state(out, tree, latest, state)
    (tmp_path / ".site.state.json").write_text("{}")  # the single state of earlier versions
    kept = {f"{os.stat(tree).st_ino}.json" for tree in (out, spare)}
    os.rename(gone, tmp_path / "elsewhere")
    remove_stale_states(out)
    assert {p.name for p in (tmp_path / ".site.states").iterdir()} == kept
    assert not (tmp_path / ".site.state.json").exists()


@pytest.mark.parametrize("cache", [route_cache, data_cache])
def test_caches_are_kept_per_generator_and_dropped_for_a_fresh_build(
    tmp_path: Path, cache: Callable[..., Path]
) -> None:
    out = tmp_path / "site"
    mine = cache(out, GENERATOR, fresh=False)
    other = cache(out, "fedcba9876543210", fresh=False)
    for folder in (mine, other):
        folder.mkdir(parents=True)
        (folder / "k.json").write_text('{"鼓楼":1}')
    assert cache(out, GENERATOR, fresh=False) == mine
    assert (mine / "k.json").exists() and not other.exists()  # another generator's keys may differ
    cache(out, GENERATOR, fresh=True)
    assert not mine.exists()  # a full build counts every bundle again
