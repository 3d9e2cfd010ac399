"""disclosure/_internal/route_cache.py: route-key counts kept by number from one build to the next."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from disclosure._internal.route_cache import KEYS_FILE, STALE_KEYS, RouteCounts
from disclosure.site.routing import KeyCounts, RoutedRecord, bundle_route_counts
from tests.test_site_routing import NAMES


def by_key(store: RouteCounts, counts: KeyCounts | None) -> dict[str, int]:
    assert counts is not None
    return {store.keys[i]: c for i, c in zip(counts.ids.tolist(), counts.counts.tolist(), strict=True)}


def test_counts_rebased_on_an_earlier_bundle_equal_counts_from_scratch() -> None:
    rng = random.Random(7)
    districts = ["鼓楼区", "台江区", ""]
    records = [
        RoutedRecord((name, f"榕市监罚〔2026〕{i}号"), districts[i % 3]) for i, name in enumerate(NAMES * 3)
    ]
    store = RouteCounts(None)
    for _ in range(20):
        before = rng.sample(records, 12)
        gone = rng.sample(before, 3)
        new = [r for r in records if r not in before][:4]
        after = [r for r in before if r not in gone] + new
        base = store.numbered(bundle_route_counts(before))
        rebased = store.rebased(base, bundle_route_counts(gone), bundle_route_counts(new))
        assert rebased is not None and rebased.counts.min() > 0  # a key counted to 0 is gone
        assert by_key(store, rebased) == bundle_route_counts(after)
    # A base that cannot have held what left: not rebased, whether its keys are numbered or not.
    base = store.numbered(bundle_route_counts(records[:2]))
    assert store.rebased(base, bundle_route_counts(records[2:3]), {}) is None
    assert store.rebased(base, {"未见过的键": 1}, {}) is None


def test_counts_are_kept_by_number_and_read_back_only_whole(tmp_path: Path) -> None:
    store = RouteCounts(tmp_path)
    counts = store.numbered({"福州": 3, "鑫源": 1})
    store.keep([("b1", counts, {"d1": ["鼓楼区", "福州鑫源"]})])
    again = RouteCounts(tmp_path)
    assert again.keys == ["福州", "鑫源"] and by_key(again, again.counts("b1")) == {"福州": 3, "鑫源": 1}
    assert again.texts("b1") == {"d1": ["鼓楼区", "福州鑫源"]}
    assert again.numbered({"鑫源": 2, "恒泰": 1}).ids.tolist() == [1, 2]  # numbers never change
    kept = orjson.loads((tmp_path / "b1.json").read_bytes())
    for damaged in (
        {**kept, "ids": [0, 7]},  # a number keys.json does not have
        {**kept, "ids": [0, 0]},
        {**kept, "ids": [1, 0]},  # kept in order
        {**kept, "counts": [3, 0]},
        {**kept, "counts": [3]},
        {**kept, "ids": [[0], [1]]},
        {**kept, "ids": ["福州", "鑫源"]},
        {**kept, "epoch": "0"},  # numbers of another keys.json
        {"ids": kept["ids"]},
    ):
        (tmp_path / "b1.json").write_bytes(orjson.dumps(damaged))
        assert RouteCounts(tmp_path).counts("b1") is None, damaged
    (tmp_path / "b1.json").write_bytes(orjson.dumps(kept))
    (tmp_path / KEYS_FILE).write_text('{"epoch": "x", "keys": [1]}')  # damaged: a new epoch
    fresh = RouteCounts(tmp_path)
    assert fresh.keys == [] and fresh.epoch != kept["epoch"] and fresh.counts("b1") is None


def test_only_this_build_s_bundles_are_kept_and_stale_keys_begin_again(tmp_path: Path) -> None:
    store = RouteCounts(tmp_path)
    old = store.numbered({f"旧{i}": 1 for i in range(STALE_KEYS * 1000 + 1000)})
    new = store.numbered({"新": 1})
    store.keep([("old", old, {}), ("new", new, {})])
    store.prune({"old", "new"}, held_keys=len(store.keys))
    assert RouteCounts(tmp_path).counts("old") is not None
    store.prune({"new"}, held_keys=1)  # the old bundle's keys are no longer held
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "new.records.json"]
    again = RouteCounts(tmp_path)
    assert again.keys == [] and again.counts("new") is None  # every bundle is counted again
