"""The sample generator: every batch it writes must stage without a single error.

Staging here is the pure :func:`disclosure.stage.stage_tables` over the files
as the importers read them, with in-memory releases for the follow-up weeks:
no keys and no trust store are needed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import yaml

from disclosure.canonical import canonical_bytes
from disclosure.fold import fold_releases
from disclosure.identifiers import find_full_ric, mask_ric, validate_ric, validate_uscc
from disclosure.importers import read_file
from disclosure.model import Decision, Kind, Op, Removal, SubjectType, entry_to_json
from disclosure.rules import load_rules
from disclosure.sample import write_sample
from disclosure.stage import StageResult, stage_tables
from tests.factories import MemoryRelease, code, day, licensing_row, list_row, penalty_row, write_csv

RULES = load_rules()
NEW_RULES = day("2026-04-01")


def stage(paths: list[Path], week: dt.date, published: dict[str, Decision] | None = None) -> StageResult:
    return stage_tables(
        [read_file(p) for p in paths], published=published or {}, release_date=week, rules=RULES
    )


def decisions(result: StageResult) -> list[Decision]:
    return [e for e in result.entries if isinstance(e, Decision)]


def only_lateness(result: StageResult) -> list[str]:
    """Warnings other than late publication (which the sample makes on purpose)."""
    return [str(w) for w in result.warnings if "个工作日才公示" not in w.message]


@pytest.mark.xdist_group("sample")
@pytest.mark.parametrize("week", [day("2026-03-16"), day("2026-04-07"), day("2026-10-26"), day("2027-02-22")])
def test_a_batch_stages_without_errors(tmp_path: Path, week: dt.date) -> None:
    paths = write_sample(tmp_path / "inbox", records=300, seed=3, week=week)
    result = stage(paths, week)
    assert result.errors == []
    assert only_lateness(result) == []
    assert result.skipped == 0
    published = result.counts["publish"]
    assert set(published) == {k.value for k in Kind}
    assert sum(published.values()) == 300 and set(result.counts) == {"publish"}
    assert 120 <= published["licensing"] <= 150 and 100 <= published["penalty"] <= 135
    assert 2 <= published["case"] <= 3
    assert paths == sorted(paths) and all(p.parent == tmp_path / "inbox" for p in paths)


def test_files_come_in_every_format_departments_use(tmp_path: Path) -> None:
    paths = write_sample(tmp_path, records=300, seed=1, week=day("2026-10-26"))
    suffixes = Counter(p.suffix for p in paths)
    assert suffixes[".xlsx"] == 1 and suffixes[".yaml"] == 1 and suffixes[".csv"] >= 10
    encodings = Counter(encoding_of(p.read_bytes()) for p in paths if p.suffix == ".csv")
    assert encodings["utf-8-sig"] and encodings["gb18030"] and encodings["utf-8"]
    workbook = openpyxl.load_workbook(next(p for p in paths if p.suffix == ".xlsx"), read_only=True)
    assert workbook.properties.modified == workbook.properties.created == dt.datetime(2026, 10, 26, 1, 30)
    values = [v for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True) for v in row]
    assert any(isinstance(v, dt.datetime) for v in values)  # real Excel dates, not text
    cases = yaml.safe_load(next(p for p in paths if p.suffix == ".yaml").read_text(encoding="utf-8"))
    assert all(case["正文"].startswith("## ") and case["涉及主体"] for case in cases)


def encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data.decode("gb18030")
        return "gb18030"
    return "utf-8"


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    week = day("2026-11-02")
    first = write_sample(tmp_path / "a", records=250, seed=5, week=week)
    again = write_sample(tmp_path / "b", records=250, seed=5, week=week)
    assert [p.name for p in first] == [p.name for p in again]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    other = write_sample(tmp_path / "c", records=250, seed=6, week=week)
    assert {p.name: p.read_bytes() for p in first} != {p.name: p.read_bytes() for p in other}
    rewritten = write_sample(tmp_path / "a", records=250, seed=5, week=week)  # overwrites its own files
    assert [p.read_bytes() for p in rewritten] == [p.read_bytes() for p in again]


def test_small_batches(tmp_path: Path) -> None:
    week = day("2026-11-16")
    assert write_sample(tmp_path / "none", records=0, seed=1, week=week) == []
    for records in (1, 7, 20):
        result = stage(write_sample(tmp_path / str(records), records=records, seed=1, week=week), week)
        assert result.errors == [] and len(result.entries) == records
    assert result.counts["publish"]["case"] == 1  # at least one typical case from 20 rows


@pytest.mark.xdist_group("sample")
def test_an_archive_spreads_its_decisions_over_the_years_it_covers(tmp_path: Path) -> None:
    week, since = day("2026-11-16"), day("2025-05-12")
    result = stage(write_sample(tmp_path, records=1200, seed=4, week=week, since=since), week)
    assert result.errors == [] and only_lateness(result) == []
    dates = [e.decided for e in decisions(result)]
    assert len(dates) == 1200 and min(dates) >= since and max(dates) <= week
    by_month = Counter((d.year, d.month) for d in dates)
    assert len(by_month) == 19  # every month from 2025-05 to 2026-11
    full_months = [n for (y, m), n in by_month.items() if (y, m) not in ((2025, 5), (2026, 11))]
    assert max(full_months) < 2 * min(full_months)  # evenly: no month holds twice another's
    # What ends soon is what would end in any week of a city's archive: a few short permits, not
    # every short permit of the archive (each a few weeks long from its own decision).
    ends = [e.publicity.until for e in decisions(result) if e.publicity.until]
    assert all(until > week for until in ends)
    assert 0 < sum(until <= week + dt.timedelta(days=7) for until in ends) < 0.01 * len(dates)
    with pytest.raises(ValueError, match="before the week"):
        write_sample(tmp_path / "late", records=10, seed=4, week=week, since=week)


@pytest.mark.xdist_group("sample")
def test_rows_follow_the_rules_and_look_real(tmp_path: Path) -> None:
    week = day("2026-10-26")
    paths = write_sample(tmp_path, records=1000, seed=2, week=week)
    result = stage(paths, week)
    assert result.errors == []
    entries = decisions(result)
    assert all(e.decided <= week for e in entries)
    # ~10% late (more than 7 working days) and ~5% a backlog of 3 to 13 months.
    timely = [e for e in entries if e.kind in (Kind.LICENSING, Kind.PENALTY)]
    late = sum("个工作日才公示" in w.message for w in result.warnings)
    backlog = [e for e in timely if e.decided < week - dt.timedelta(days=85)]
    assert 0.08 * len(timely) <= late <= 0.25 * len(timely)
    assert 0.02 * len(timely) <= len(backlog) <= 0.09 * len(timely)
    assert min(e.decided for e in backlog) >= week - dt.timedelta(days=400)
    # Penalties decided from 2026-04-01 carry their tier: mostly 一般, some 严重, never 轻微 (not published).
    tiers = Counter(
        e.fields.get("severity") for e in entries if e.kind is Kind.PENALTY and e.decided >= NEW_RULES
    )
    assert set(tiers) == {"一般", "严重"} and tiers["一般"] > 2 * tiers["严重"] > 0
    old = [e for e in entries if e.kind is Kind.PENALTY and e.decided < NEW_RULES]
    assert old and all("severity" not in e.fields for e in old)
    # Short licences for the `due` list; open-ended registrations too.
    licences = [e for e in entries if e.kind is Kind.LICENSING]
    assert any(e.publicity.until and e.publicity.until <= week + dt.timedelta(days=30) for e in licences)
    assert any(e.publicity.until is None for e in licences)
    # Subjects: companies, individual businesses, institutions, social and rural organisations, people.
    codes = [e.subject.code for e in entries if e.subject.code]
    assert {c[:2] for c in codes} >= {"91", "92", "12", "52", "93", "N2"}
    assert all(validate_uscc(c) == c and c[2:6] == "3501" for c in codes)
    assert any(e.subject.type is SubjectType.PERSON for e in entries if e.kind is Kind.PENALTY)
    assert any(e.subject.type is SubjectType.PERSON for e in entries if e.kind is Kind.BLACKLIST)
    departments = {e.department.name for e in entries}
    assert {
        "福州市市场监督管理局",
        "福州市生态环境局",
        "福州市交通运输局",
        "福州市中级人民法院",
    } <= departments
    numbers = [str(e.fields.get("document_number") or e.fields["case_number"]) for e in entries]
    assert len(set(numbers)) == len(numbers)
    assert any(re.fullmatch(r"榕市监处罚〔20\d\d〕\d+号", n) for n in numbers)
    assert any("《中华人民共和国食品安全法》第一百二十四条" in str(e.fields.get("basis")) for e in entries)


@pytest.mark.xdist_group("sample")
def test_identity_numbers_are_valid_in_the_input_and_masked_in_the_output(tmp_path: Path) -> None:
    week = day("2026-11-09")
    paths = write_sample(tmp_path, records=600, seed=4, week=week)
    numbers = [
        row.cells[column]
        for table in map(read_file, paths)
        for row in table.rows
        for column in ("id_number", "legal_representative_id_number")
        if column in row.cells
    ]
    assert len(numbers) > 100
    assert all(len(n) == 18 and validate_ric(n) == n for n in numbers)
    result = stage(paths, week)
    assert result.errors == []
    staged = b"\n".join(canonical_bytes(entry_to_json(e)) for e in result.entries).decode()
    assert find_full_ric(staged) == []
    assert not any(n in staged for n in numbers)
    assert mask_ric(numbers[0]) in staged


@pytest.mark.xdist_group("sample")
def test_later_weeks_amend_repair_and_withdraw_what_is_published(tmp_path: Path) -> None:
    weeks = (day("2026-10-26"), day("2026-11-02"), day("2026-11-09"), day("2026-11-16"))
    releases: list[MemoryRelease] = []
    for number, week in enumerate(weeks, start=1):
        published = {r.entry.id: r.entry for r in fold_releases(releases, week).published()}
        paths = write_sample(
            tmp_path / str(week), records=400, seed=number, week=week, published=list(published.values())
        )
        result = stage(paths, week, published)
        assert result.errors == [], week
        assert only_lateness(result) == []
        assert sum(result.counts["publish"].values()) == 400
        releases.append(MemoryRelease(number, week, result.entries))
    assert {"amend", "repair", "withdraw"} <= set(result.counts)
    # ~3% of what is published each, capped at 5% of the week's 400 new rows (20) each.
    counts = {op: sum(kinds.values()) for op, kinds in result.counts.items()}
    expected = min(round(len(published) * 0.03), 400 // 20)
    assert counts["amend"] == counts["withdraw"] == expected
    assert 0 < counts["repair"] <= expected  # fewer when fewer may be repaired yet
    for entry in result.entries:
        if entry.op is Op.PUBLISH:
            continue
        target = published[entry.id]
        if entry.op is Op.AMEND:
            assert target.subject.type is not SubjectType.PERSON
        if entry.op is Op.REPAIR:
            assert isinstance(entry, Removal) and target.publicity.repairable_from is not None
            assert target.kind in (Kind.PENALTY, Kind.BLACKLIST)
            assert target.publicity.repairable_from <= entry.date <= weeks[-1]
    # The whole history folds: nothing amends or removes an entry that is not published.
    after = fold_releases(releases, weeks[-1])
    removed = {r.id for r in after.removed()}
    assert {e.id for e in result.entries if isinstance(e, Removal)} <= removed


def test_follow_ups_do_not_change_the_new_rows(tmp_path: Path) -> None:
    week1, week2 = day("2026-03-16"), day("2026-03-23")
    first = stage(write_sample(tmp_path / "1", records=200, seed=1, week=week1), week1)
    published = list(decisions(first))
    alone = write_sample(tmp_path / "alone", records=200, seed=2, week=week2)
    follow = write_sample(tmp_path / "follow", records=200, seed=2, week=week2, published=published)

    def new_rows(paths: list[Path]) -> list[tuple[str, str]]:
        rows = [r.cells for p in paths for r in read_file(p).rows if "operation" not in r.cells]
        return sorted(
            (c.get("document_number") or c["case_number"], c.get("subject_name") or c["title"]) for c in rows
        )

    assert new_rows(follow) == new_rows(alone)
    assert len(new_rows(alone)) == 200


def test_follow_ups_of_entries_from_other_departments(tmp_path: Path) -> None:
    water = ("福州市水利局", code("11350100MB0309876"))
    rows = [
        penalty_row(
            处罚决定日期="2025-06-03", 处罚有效期="2026-06-02", 失信程度=""
        ),  # repairable since 2026-06-03
        licensing_row(许可机关=water[0], 许可机关统一社会信用代码=water[1], 许可决定日期="2026-11-05"),
        list_row(),
    ]
    tables = [write_csv(tmp_path / f"{n}.csv", [row]) for n, row in enumerate(rows)]
    week = day("2026-11-16")
    first = {e.id: e for e in decisions(stage(tables, week))}
    assert len(first) == 3
    paths = write_sample(tmp_path / "inbox", records=0, seed=1, week=week, published=list(first.values()))
    assert any("11350100MB0309876" in p.name for p in paths) and any(p.suffix == ".xlsx" for p in paths)
    result = stage(paths, week, first)
    assert result.errors == []
    assert Counter(e.op for e in result.entries) == {Op.REPAIR: 1, Op.AMEND: 1, Op.WITHDRAW: 1}
