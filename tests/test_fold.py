"""The fold against a naive model, on random histories of publish/amend/repair/withdraw."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.canonical import canonical_bytes
from disclosure.fold import FoldError, fold_releases
from disclosure.model import (
    Decision,
    Department,
    Entry,
    Kind,
    Op,
    Publicity,
    Removal,
    RemovalReason,
    Subject,
    SubjectType,
    entry_to_json,
)
from tests.factories import MemoryRelease

START = dt.date(2026, 1, 5)
IDS = [f"id{n:02d}" for n in range(8)]
DEPARTMENT = Department(name="福州市市场监督管理局", code="11350100MB0134567X")


def decision(
    entry_id: str,
    op: Op,
    kind: Kind,
    decided: dt.date,
    until: dt.date | None,
    status: str = "有效",
    version: int = 0,
) -> Decision:
    return Decision(
        op=op,
        id=entry_id,
        salt=f"salt-{entry_id}-{version}",
        kind=kind,
        subject=Subject(name=f"福州{entry_id}贸易有限公司", code=None, type=SubjectType.LEGAL),
        department=DEPARTMENT,
        decided=decided,
        publicity=Publicity(start=decided, until=until, repairable_from=decided),
        fields={"status": status, "version": str(version)},
    )


def until_after(day: dt.date) -> st.SearchStrategy[dt.date | None]:
    return st.one_of(st.none(), st.integers(0, 60).map(lambda n: day + dt.timedelta(days=n)))


@st.composite
def histories(draw: st.DrawFn) -> list[MemoryRelease]:
    """Valid histories: operations only on entries that the office sees as published."""
    releases: list[MemoryRelease] = []
    live: dict[str, Decision] = {}
    day = START
    for sequence in range(1, draw(st.integers(1, 6)) + 1):
        day += dt.timedelta(days=draw(st.integers(0, 14)))
        items: list[Entry] = []
        touched: set[str] = set()
        for _ in range(draw(st.integers(1, 6))):
            entry_id = draw(st.sampled_from(IDS))
            if entry_id in touched:
                continue
            touched.add(entry_id)
            current = live.get(entry_id)
            if current is not None and current.publicity.until is not None and current.publicity.until < day:
                current = None  # expired: the office sees it as gone
            if current is not None and current.fields.get("status") == "无效":
                current = None
            if current is None:
                kind = draw(st.sampled_from([Kind.PENALTY, Kind.LICENSING, Kind.CASE]))
                until = draw(until_after(day))
                new = decision(entry_id, Op.PUBLISH, kind, day, until, version=sequence)
                items.append(new)
                live[entry_id] = new
                continue
            op = draw(st.sampled_from([Op.AMEND, Op.REPAIR, Op.WITHDRAW]))
            if op is Op.AMEND:
                status = draw(st.sampled_from(["有效", "无效"])) if current.kind is Kind.LICENSING else "有效"
                until = draw(until_after(day))
                new = decision(
                    entry_id, Op.AMEND, current.kind, current.decided, until, status, version=sequence
                )
                items.append(new)
                live[entry_id] = new
            else:
                items.append(Removal(op=op, id=entry_id, salt="s", date=day, reason="error", basis="依据"))
                del live[entry_id]
        if items:
            releases.append(MemoryRelease(len(releases) + 1, day, items))
    return releases


def naive_published(releases: list[MemoryRelease], as_of: dt.date) -> dict[str, tuple[int, Decision]]:
    """The obvious model: replay everything, then filter by the as-of date."""
    current: dict[str, tuple[int, Decision] | None] = {}
    for release in releases:
        if release.published > as_of:
            continue
        for entry in release.items:
            if isinstance(entry, Decision):
                current[entry.id] = (release.sequence, entry)
            elif entry.date <= as_of:
                current[entry.id] = None
    return {
        entry_id: item
        for entry_id, item in current.items()
        if item is not None
        and item[1].publicity.shows_on(as_of)
        and not (item[1].kind is Kind.LICENSING and item[1].fields.get("status") == "无效")
    }


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(-3, 120))
def test_fold_matches_naive_model(releases: list[MemoryRelease], offset: int) -> None:
    as_of = START + dt.timedelta(days=offset)
    result = fold_releases(releases, as_of)
    published = list(result.published())
    expected = naive_published(releases, as_of)
    assert {r.entry.id: (r.release, r.entry) for r in published} == expected
    removed = result.removed()
    assert {r.id for r in removed}.isdisjoint(expected)
    ever = {e.id for r in releases if r.published <= as_of for e in r.items}
    assert {r.id for r in removed} | set(expected) == ever
    for record in published:
        assert record.line == canonical_bytes(entry_to_json(record.entry))
    # The lines found by the states' places alone are the same, with the digests the releases list.
    lines = [(p.line, p.digest, p.release, p.first_release) for p in result.published_lines()]
    assert lines == [(r.line, r.digest, r.release, r.first_release) for r in published]


def test_removal_reasons_and_dates() -> None:
    d = dt.date(2026, 3, 2)
    releases = [
        MemoryRelease(
            1,
            d,
            [
                decision("a", Op.PUBLISH, Kind.PENALTY, d, d + dt.timedelta(days=10)),
                decision("b", Op.PUBLISH, Kind.PENALTY, d, None),
                decision("c", Op.PUBLISH, Kind.PENALTY, d, None),
                decision("d", Op.PUBLISH, Kind.LICENSING, d, None),
            ],
        ),
        MemoryRelease(
            2,
            d + dt.timedelta(days=7),
            [
                Removal(
                    op=Op.REPAIR,
                    id="b",
                    salt="s",
                    date=d + dt.timedelta(days=6),
                    reason="repaired",
                    basis="x",
                ),
                Removal(
                    op=Op.WITHDRAW,
                    id="c",
                    salt="s",
                    date=d + dt.timedelta(days=5),
                    reason="objection",
                    basis="y",
                ),
                decision("d", Op.AMEND, Kind.LICENSING, d, None, status="无效"),
            ],
        ),
    ]
    removed = {r.id: r for r in fold_releases(releases, d + dt.timedelta(days=30)).removed()}
    assert (removed["a"].reason, removed["a"].date) == (RemovalReason.EXPIRED, d + dt.timedelta(days=11))
    assert (removed["b"].reason, removed["b"].category) == (RemovalReason.REPAIRED, "repaired")
    assert (removed["c"].reason, removed["c"].category) == (RemovalReason.WITHDRAWN, "objection")
    assert (removed["d"].reason, removed["d"].date) == (RemovalReason.INVALIDATED, d + dt.timedelta(days=7))
    # Before release 2, b, c and d were still published.
    assert {r.entry.id for r in fold_releases(releases, d).published()} == {"a", "b", "c", "d"}


def test_amend_keeps_first_release_and_out_of_order_operations_fail() -> None:
    d = dt.date(2026, 3, 2)
    first = MemoryRelease(1, d, [decision("a", Op.PUBLISH, Kind.PENALTY, d, None)])
    amended = MemoryRelease(2, d, [decision("a", Op.AMEND, Kind.PENALTY, d, None, version=2)])
    (record,) = fold_releases([first, amended], d).published()
    assert (record.release, record.first_release, record.entry.fields["version"]) == (2, 1, "2")
    with pytest.raises(FoldError, match="published already"):
        fold_releases([first, MemoryRelease(2, d, [decision("a", Op.PUBLISH, Kind.PENALTY, d, None)])], d)
    with pytest.raises(FoldError, match="not published"):
        fold_releases([MemoryRelease(1, d, [Removal(Op.WITHDRAW, "zz", "s", d, "error", "x")])], d)
