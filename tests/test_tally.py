"""Release tallies: the same counts whether made in verification, resumed from a cache, or read afresh."""

from __future__ import annotations

import json
from pathlib import Path

from disclosure.tally import Tallier, tally_releases, timeliness
from disclosure.verify import check_releases, verify_releases
from tests.conftest import SignedTree


def test_verification_pass_counts_what_a_separate_read_counts(signed_releases: SignedTree) -> None:
    tallier = Tallier()
    result = check_releases(signed_releases.root, on_entry=tallier)
    read = tally_releases(result.releases)
    assert tallier.aligned(result.releases) == read
    assert [t.total for t in read] == [r.manifest.entries.__len__() for r in result.releases]
    # Every follow-up is counted under the department that decided the entry, never under "".
    assert all("" not in t.by_department for t in read)
    assert sum(sum(c.values()) for t in read for c in t.by_department.values()) == sum(t.total for t in read)


def test_resumed_tallier_equals_a_fresh_one(signed_releases: SignedTree, tmp_path: Path) -> None:
    releases = verify_releases(signed_releases.root)
    first = Tallier()
    for release in releases[:2]:
        for _line, entry in release.entries():
            first(release, entry)
    resumed = Tallier.from_json(json.loads(json.dumps(first.to_json(), ensure_ascii=False)))
    for release in releases[2:]:
        for _line, entry in release.entries():
            resumed(release, entry)
    assert resumed.aligned(releases) == tally_releases(releases)


def test_timeliness_sums_first_publications_per_department(signed_releases: SignedTree) -> None:
    tallies = tally_releases(verify_releases(signed_releases.root))
    report = timeliness(tallies)
    assert report, "the sample has licensing and penalty decisions"
    assert sum(d.total for d in report) == sum(n for t in tallies for n, _late in t.timely.values())
    for department in report:
        assert 0 <= department.late <= department.total
        assert sum(m[0] for m in department.by_month.values()) == department.total
    late_first = [(-d.late, d.department) for d in report]
    assert late_first == sorted(late_first)
    assert timeliness(tallies, start=tallies[-1].published) == timeliness(tallies[-1:])
