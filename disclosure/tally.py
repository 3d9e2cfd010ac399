"""Per-release counts the site shows, made in the pass that verifies the entries.

A release's note (what changed, per department) and the timeliness of its
first publications (the 7-working-day rule) depend on the release alone, plus
which department decided an entry that a later release removes.  They are
counted once, while verification parses each line (:class:`Tallier` is its
``on_entry`` observer), and a build keeps them with its cache of verified
history: no later step reads every entry of every release again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from disclosure.fold import ReleaseSource
from disclosure.model import Decision, Entry, Kind, Op
from disclosure.timeliness import is_late

TIMELY_KINDS = (Kind.LICENSING, Kind.PENALTY)  # the kinds the 7-working-day rule applies to


@dataclass
class ReleaseTally:
    sequence: int
    published: dt.date
    total: int = 0
    by_department: dict[str, Counter[str]] = field(default_factory=dict)  # department -> op label -> n
    timely: dict[str, list[int]] = field(default_factory=dict)  # department -> [first publications, late]

    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "published": self.published.isoformat(),
            "total": self.total,
            "by_department": {d: dict(c) for d, c in self.by_department.items()},
            "timely": self.timely,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseTally:
        return cls(
            sequence=data["sequence"],
            published=dt.date.fromisoformat(data["published"]),
            total=data["total"],
            by_department={d: Counter(c) for d, c in data["by_department"].items()},
            timely={d: list(v) for d, v in data["timely"].items()},
        )


@dataclass
class Tallier:
    """Counts entries as they are verified, in release order; resumable from its JSON."""

    tallies: list[ReleaseTally] = field(default_factory=list)
    departments: dict[str, str] = field(default_factory=dict)  # entry id -> deciding department

    def __call__(self, release: ReleaseSource, entry: Entry) -> None:
        if not self.tallies or self.tallies[-1].sequence != release.sequence:
            self.tallies.append(ReleaseTally(release.sequence, release.published))
        tally = self.tallies[-1]
        tally.total += 1
        if isinstance(entry, Decision):
            department = self.departments[entry.id] = entry.department.name
            if entry.op is Op.PUBLISH and entry.kind in TIMELY_KINDS:
                counts = tally.timely.setdefault(department, [0, 0])
                counts[0] += 1
                counts[1] += is_late(entry.decided, release.published)
        else:
            department = self.departments.get(entry.id, "")
        tally.by_department.setdefault(department, Counter())[entry.op.label] += 1

    def aligned(self, releases: Iterable[ReleaseSource]) -> list[ReleaseTally]:
        """One tally per release, in order (a release without entries gets an empty one)."""
        by_sequence = {t.sequence: t for t in self.tallies}
        return [by_sequence.get(r.sequence) or ReleaseTally(r.sequence, r.published) for r in releases]

    def to_json(self) -> dict[str, Any]:
        return {"tallies": [t.to_json() for t in self.tallies], "departments": self.departments}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tallier:
        return cls([ReleaseTally.from_json(t) for t in data["tallies"]], dict(data["departments"]))


def tally_releases(releases: Iterable[ReleaseSource]) -> list[ReleaseTally]:
    """The tallies by reading every entry (for callers without a verification pass at hand)."""
    tallier, releases = Tallier(), list(releases)
    for release in releases:
        for _line, entry in release.entries():
            tallier(release, entry)
    return tallier.aligned(releases)


@dataclass
class DepartmentTimeliness:
    department: str
    total: int = 0
    late: int = 0
    by_month: dict[str, list[int]] = field(default_factory=dict)  # "2026-11" -> [total, late]

    def to_json(self) -> dict[str, Any]:
        return {"department": self.department, "total": self.total, "late": self.late}


def timeliness(
    tallies: Sequence[ReleaseTally], start: dt.date | None = None, end: dt.date | None = None
) -> list[DepartmentTimeliness]:
    """Per department: licensing and penalty decisions first published in [start, end], and how many late.

    Late means published more than 7 working days after the decision, by the
    holiday calendar with its make-up working days.  Counted at first
    publication; amendments do not count again.
    """
    departments: dict[str, DepartmentTimeliness] = {}
    for tally in tallies:
        if (start is not None and tally.published < start) or (end is not None and tally.published > end):
            continue
        month = tally.published.strftime("%Y-%m")
        for name, (total, late) in tally.timely.items():
            report = departments.setdefault(name, DepartmentTimeliness(name))
            report.total += total
            report.late += late
            counts = report.by_month.setdefault(month, [0, 0])
            counts[0] += total
            counts[1] += late
    return sorted(departments.values(), key=lambda d: (-d.late, d.department))
