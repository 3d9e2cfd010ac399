"""Bundle planning: time slices, bounded size, weights that order merged results, stable keys."""

from __future__ import annotations

import dataclasses
import datetime as dt

from disclosure.fold import fold_releases
from disclosure.site.bundles import plan_bundles
from disclosure.site.views import RecordView, record_view
from disclosure.verify import verify_releases
from tests.conftest import SignedTree


def sample_records(signed_releases: SignedTree) -> list[RecordView]:
    fold = fold_releases(verify_releases(signed_releases.root), signed_releases.weeks[-1])
    return [record_view(r) for r in fold.published()]


def test_months_days_and_parts(signed_releases: SignedTree) -> None:
    records = sample_records(signed_releases)
    bundles = plan_bundles(records)
    assert sum(len(b.records) for b in bundles) == len(records)
    assert len(bundles) == len({r.decided.year for r in records})  # under the cap: a bundle a year
    small = plan_bundles(records, cap=10)
    assert all(len(b.records) <= 10 for b in small)
    assert {len(b.name) for b in small} >= {4, 10}  # whole years beside years split down to days
    for older, newer in zip(small, small[1:], strict=False):  # time slices, oldest first
        assert max(r.decided for r in older.records) <= min(r.decided for r in newer.records)
    many_on_one_day = [dataclasses.replace(r, decided=dt.date(2026, 11, 2)) for r in records[:25]]
    parts = plan_bundles(many_on_one_day, cap=10)
    assert [b.name for b in parts] == ["2026-11-02-p1", "2026-11-02-p2", "2026-11-02-p3"]


def test_weights_put_every_newer_record_above_every_older_one(signed_releases: SignedTree) -> None:
    bundles = plan_bundles(sample_records(signed_releases))
    for older, newer in zip(bundles, bundles[1:], strict=False):
        # ranks inside a bundle are 1..n (the placeholder takes 0)
        assert newer.weight * 1 > older.weight * len(older.records)


def test_keys_change_only_where_records_change(signed_releases: SignedTree) -> None:
    records = sample_records(signed_releases)
    before = {b.name: b.key for b in plan_bundles(records)}
    newest = max(records, key=lambda r: r.decided)
    after = {b.name: b.key for b in plan_bundles([r for r in records if r is not newest])}
    changed = {name for name in before if before[name] != after.get(name)}
    assert len(changed) == 1 and changed <= {b.name for b in plan_bundles(records) if newest in b.records}
