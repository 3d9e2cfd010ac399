"""Due list, timeliness report and batch preview, on releases held in memory."""

from __future__ import annotations

import dataclasses
import datetime as dt

from disclosure.model import Decision, Department, Kind, Op, Publicity, Removal, Subject, SubjectType
from disclosure.office import due_entries, preview_release, timeliness_report
from tests.factories import MemoryRelease

MARKET = Department(name="福州市市场监督管理局", code="11350100MB0134567X")
FIRE = Department(name="福州市消防救援支队", code="11350100MB1782341X")


def penalty(
    entry_id: str,
    decided: dt.date,
    until: dt.date | None,
    department: Department = MARKET,
    op: Op = Op.PUBLISH,
    name: str = "福州鑫源贸易有限公司",
) -> Decision:
    return Decision(
        op=op,
        id=entry_id,
        salt="s",
        kind=Kind.PENALTY,
        subject=Subject(name=name, code="91350102MA2YH6TK0X", type=SubjectType.LEGAL),
        department=department,
        decided=decided,
        publicity=Publicity(start=decided, until=until, repairable_from=decided + dt.timedelta(days=90)),
        fields={},
    )


def test_due_lists_what_ends_within_the_window_soonest_first() -> None:
    d = dt.date(2026, 11, 2)
    release = MemoryRelease(
        1,
        d,
        [
            penalty("late", d, dt.date(2026, 12, 20)),
            penalty("soon", d, dt.date(2026, 11, 30)),
            penalty("never", d, None),
            penalty("gone", d, dt.date(2026, 11, 10)),
        ],
    )
    due = due_entries([release], dt.date(2026, 11, 24), 30)
    assert [(e.id, e.until) for e in due] == [
        ("soon", dt.date(2026, 11, 30)),
        ("late", dt.date(2026, 12, 20)),
    ]
    assert due[0].to_json() == {
        "id": "soon",
        "kind": "penalty",
        "subject": "福州鑫源贸易有限公司",
        "department": MARKET.name,
        "until": "2026-11-30",
    }


def test_timeliness_follows_the_holiday_calendar() -> None:
    # Decided 30 Sept, published 12 Oct: 4 working days (1-7 Oct holiday, Sat 10 Oct a make-up
    # working day). Counting Monday to Friday would say 8, i.e. late.
    on_time = penalty("a", dt.date(2026, 9, 30), None)
    late = penalty("b", dt.date(2026, 9, 18), None, department=FIRE)
    release = MemoryRelease(
        1, dt.date(2026, 10, 12), [on_time, late, penalty("c", dt.date(2026, 10, 9), None)]
    )
    amended = MemoryRelease(2, dt.date(2026, 10, 19), [dataclasses.replace(on_time, op=Op.AMEND)])
    report = timeliness_report([release, amended])
    assert [r.to_json() for r in report] == [
        {"department": FIRE.name, "total": 1, "late": 1},
        {"department": MARKET.name, "total": 2, "late": 0},
    ]
    assert report[0].by_month == {"2026-10": [1, 1]}
    assert timeliness_report([release], start=dt.date(2026, 10, 13)) == []


def test_preview_counts_changes_and_warns() -> None:
    d = dt.date(2026, 11, 9)
    first = MemoryRelease(
        1,
        d,
        [
            penalty("a", dt.date(2026, 1, 5), dt.date(2026, 12, 1)),
            penalty("b", dt.date(2026, 10, 30), None),
        ],
    )
    staged = MemoryRelease(
        2,
        dt.date(2026, 11, 16),
        [
            Removal(
                op=Op.REPAIR,
                id="a",
                salt="s",
                date=dt.date(2026, 11, 12),
                reason="repaired",
                basis="榕信修〔2026〕3号",
            ),
            penalty("b", dt.date(2026, 10, 30), None, op=Op.AMEND, name="福州鑫隆贸易有限公司"),
            penalty("c", dt.date(2026, 10, 1), None, department=FIRE),
        ],
    )
    preview = preview_release([first], staged)
    assert preview.totals() == {"repair": 1, "amend": 1, "publish": 1}
    assert preview.changes[("publish", "penalty", FIRE.name)] == 1
    text = "\n".join(preview.warnings)
    assert "变更改变了相对人：福州鑫源贸易有限公司 → 福州鑫隆贸易有限公司" in text
    assert "本就将在 2026-12-01 到期" in text
    assert f"{FIRE.name}：1 条决定超过7个工作日才公示" in text
