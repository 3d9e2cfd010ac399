"""The credit office's tools over the releases: due list, timeliness report, batch preview.

Pure functions of verified releases (and, for the preview, one staged
release); the CLI prints them as tables or JSON and the site draws /stats/.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from disclosure.canonical import JSONValue
from disclosure.fold import ReleaseSource, fold_releases
from disclosure.model import Decision, Kind, Op, Removal
from disclosure.tally import TIMELY_KINDS, DepartmentTimeliness, tally_releases, timeliness
from disclosure.timeliness import is_late

ENDS_SOON_DAYS = 30


@dataclass(frozen=True)
class DueEntry:
    id: str
    kind: Kind
    subject: str
    department: str
    until: dt.date

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "subject": self.subject,
            "department": self.department,
            "until": self.until.isoformat(),
        }


def due_entries(releases: Sequence[ReleaseSource], as_of: dt.date, within_days: int) -> list[DueEntry]:
    """Published entries whose publicity ends within ``within_days`` of ``as_of``, soonest first."""
    horizon = as_of + dt.timedelta(days=within_days)
    due = [
        DueEntry(
            id=r.entry.id,
            kind=r.entry.kind,
            subject=r.entry.subject.name,
            department=r.entry.department.name,
            until=r.entry.publicity.until,
        )
        for r in fold_releases(releases, as_of).published()
        if r.entry.publicity.until is not None and r.entry.publicity.until <= horizon
    ]
    return sorted(due, key=lambda d: (d.until, d.kind.value, d.id))


def timeliness_report(
    releases: Sequence[ReleaseSource], start: dt.date | None = None, end: dt.date | None = None
) -> list[DepartmentTimeliness]:
    """The 7-working-day report over [start, end] (see :func:`disclosure.tally.timeliness`)."""
    return timeliness(tally_releases(releases), start, end)


@dataclass
class Preview:
    """What a staged release would change on the site, and what deserves a second look."""

    changes: Counter[tuple[str, str, str]]  # (op, kind, department) -> count
    warnings: list[str]

    def totals(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (op, _kind, _department), count in self.changes.items():
            totals[op] += count
        return dict(totals)


def preview_release(
    releases: Sequence[ReleaseSource], staged: ReleaseSource, as_of: dt.date | None = None
) -> Preview:
    """Compare a staged (unsigned) release with what is published as of its date (or ``as_of``)."""
    day = as_of or staged.published
    current = {r.entry.id: r.entry for r in fold_releases(releases, day).published()}
    changes: Counter[tuple[str, str, str]] = Counter()
    warnings: list[str] = []
    late_by_department: defaultdict[str, int] = defaultdict(int)
    for _line, entry in staged.entries():
        if isinstance(entry, Decision):
            changes[(entry.op.value, entry.kind.value, entry.department.name)] += 1
            before = current.get(entry.id)
            if entry.op is Op.AMEND and before is not None and before.subject != entry.subject:
                warnings.append(
                    f"变更改变了相对人：{before.subject.name} → {entry.subject.name}（{entry.kind.label} {entry.id}）"
                )
            if (
                entry.op is Op.PUBLISH
                and entry.kind in TIMELY_KINDS
                and is_late(entry.decided, staged.published)
            ):
                late_by_department[entry.department.name] += 1
            continue
        target = current.get(entry.id)
        if target is None:
            warnings.append(f"{entry.op.label}的记录 {entry.id} 不在公示中")
            continue
        changes[(entry.op.value, target.kind.value, target.department.name)] += 1
        if isinstance(entry, Removal) and entry.op is Op.REPAIR and target.publicity.until is not None:
            left = (target.publicity.until - entry.date).days
            if left <= ENDS_SOON_DAYS:
                warnings.append(
                    f"信用修复的记录本就将在 {target.publicity.until.isoformat()} 到期（还剩{left}天）："
                    f"{target.subject.name}（{target.kind.label} {entry.id}）"
                )
    for department, count in sorted(late_by_department.items()):
        warnings.append(f"{department}：{count} 条决定超过7个工作日才公示")
    return Preview(changes=changes, warnings=warnings)
