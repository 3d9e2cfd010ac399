"""Bundle planning: time slices, bounded size, tags that tell merged results apart, stable keys."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter

from disclosure._internal.pagefind_index import PAGE_TAG
from disclosure.fold import fold_releases
from disclosure.site.bundles import indexed_pages, plan_bundles, plan_index_work
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
    assert [b.name for b in parts] == ["2026-11-02-p1", "2026-11-02-p2", "2026-11-02-p3", "2026-11-02-p4"]
    # cap // 8 == 1: any id may end a part, once it holds 3/4 of the cap
    assert [len(b.records) for b in parts] == [7, 7, 7, 4]


def crowded_day(records: list[RecordView], count: int) -> list[RecordView]:
    """``count`` distinct records decided on one day, made from the fixture's."""
    return [
        dataclasses.replace(
            records[i % len(records)], id=f"{i:06d}x", url=f"/penalty/{i:06d}x/", decided=dt.date(2026, 11, 2)
        )
        for i in range(count)
    ]


def test_a_record_coming_or_going_changes_only_its_own_part_of_a_crowded_day(
    signed_releases: SignedTree,
) -> None:
    day = crowded_day(sample_records(signed_releases), 600)
    before = plan_bundles(day, cap=40)
    assert 15 <= len(before) <= 20 and all(30 <= len(b.records) <= 40 for b in before[:-1])
    keys = {b.key for b in before}
    for changed in (day[:300] + day[301:], [*day, crowded_day(day, 601)[-1]]):  # one gone, one new
        after = plan_bundles(changed, cap=40)
        assert sum(len(b.records) for b in after) == len(changed)
        assert len([b for b in after if b.key not in keys]) <= 2, "parts cut by count would all change"


def test_a_renumbered_part_is_edited_from_its_old_self_with_no_entry_indexed_again(
    signed_releases: SignedTree,
) -> None:
    day = crowded_day(sample_records(signed_releases), 600)
    before = plan_bundles(day[100:], cap=40)
    after = plan_bundles(day, cap=40)  # a hundred records with the smallest ids: new parts first
    work = plan_index_work(after, {b.name: b.key for b in before}, indexed_pages(before), cap=40)
    old = {b.key: b.name for b in before}
    renamed = [b for b in after if b.key in old and old[b.key] != b.name]
    assert len(renamed) >= len(before) // 2  # the cuts resync
    assert not set(work.reused) & {b.name for b in renamed}  # its pages' fragments carry its name
    rebuilt = dict((bundle.name, sources) for bundle, sources in work.rebuilt)
    for bundle in renamed:
        assert set(rebuilt[bundle.name].values()) == {old[bundle.key]} == {work.bases[bundle.name][0]}
    assert sorted(r.url for _, records in work.jobs for r in records) == sorted(r.url for r in day[:100])


def test_tags_tell_bundles_apart_and_stay_with_their_names(signed_releases: SignedTree) -> None:
    records = sample_records(signed_releases)
    bundles = plan_bundles(records, cap=1)  # a bundle a record: a few hundred tags
    assert len({b.tag for b in bundles}) == len(bundles)
    assert all(re.fullmatch(PAGE_TAG, b.tag) for b in bundles)  # what a fragment name may carry
    fewer = {b.name: b.tag for b in plan_bundles(records[1:], cap=1)}
    assert all(fewer.get(b.name, b.tag) == b.tag for b in bundles)  # a bundle keeps its tag as it changes
    day = crowded_day(records, 30)
    assert [b.tag for b in plan_bundles(day, cap=10)] == [f"20261102p{n}" for n in range(1, 6)]


def test_keys_change_only_where_records_change(signed_releases: SignedTree) -> None:
    records = sample_records(signed_releases)
    before = {b.name: b.key for b in plan_bundles(records)}
    newest = max(records, key=lambda r: r.decided)
    after = {b.name: b.key for b in plan_bundles([r for r in records if r is not newest])}
    changed = {name for name in before if before[name] != after.get(name)}
    assert len(changed) == 1 and changed <= {b.name for b in plan_bundles(records) if newest in b.records}


def test_index_work_of_a_full_build_packs_every_entry_into_capped_jobs(signed_releases: SignedTree) -> None:
    bundles = plan_bundles(sample_records(signed_releases), cap=40)
    work = plan_index_work(bundles, {}, {}, cap=40)
    assert work.reused == () and [b for b, _ in work.rebuilt] == bundles
    indexed = [r.url for _, records in work.jobs for r in records]
    assert sorted(indexed) == sorted(r.url for b in bundles for r in b.records)  # each entry once
    assert all(len(records) <= 40 for _, records in work.jobs)
    for bundle, sources in work.rebuilt:
        assert set(sources) == {r.url for r in bundle.records}


def test_index_work_reindexes_only_changed_entries(signed_releases: SignedTree) -> None:
    records = sample_records(signed_releases)
    before = plan_bundles(records, cap=40)
    changed = records[len(records) // 2]
    amended = dataclasses.replace(changed, digest="0" * 64)  # a new version of the entry
    after = plan_bundles([amended if r is changed else r for r in records], cap=40)
    work = plan_index_work(after, {b.name: b.key for b in before}, indexed_pages(before), cap=40)
    assert [[r.url for r in records] for _, records in work.jobs] == [[changed.url]]
    ((bundle, sources),) = work.rebuilt
    assert changed.url in {r.url for r in bundle.records} and len(work.reused) == len(after) - 1
    assert sources[changed.url] == "job-1"
    assert {where for url, where in sources.items() if url != changed.url} == {bundle.name}
    # It is edited from its previous version, all of whose pages it names.
    (old,) = [b for b in before if b.name == bundle.name]
    assert work.bases == {bundle.name: (bundle.name, tuple(sorted(r.url for r in old.records)))}
    # Records that move to another bundle are read from where they were indexed, not indexed again.
    regrouped = plan_bundles(records, cap=25)
    work = plan_index_work(regrouped, {b.name: b.key for b in before}, indexed_pages(before), cap=25)
    assert work.jobs == ()
    old_home = {r.url: b.name for b in before for r in b.records}
    for bundle, sources in work.rebuilt:
        assert all(sources[r.url] == old_home[r.url] for r in bundle.records)
        # The base is the previous bundle most of its pages come from.
        base, urls = work.bases[bundle.name]
        homes = Counter(old_home[r.url] for r in bundle.records)
        assert homes[base] == max(homes.values())
        assert urls == tuple(sorted(url for url, home in old_home.items() if home == base))
    assert plan_index_work(before, {}, {}, cap=40).bases == {}  # a full build: nothing to edit from


def test_each_bundle_reads_its_new_entries_from_one_job(signed_releases: SignedTree) -> None:
    bundles = plan_bundles(sample_records(signed_releases), cap=40)
    work = plan_index_work(bundles, {}, {}, cap=40)
    for bundle, sources in work.rebuilt:
        assert len({sources[r.url] for r in bundle.records}) == 1
