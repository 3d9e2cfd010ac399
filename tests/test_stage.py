"""Staging: validation, privacy, publicity rules, operations on published entries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from disclosure.fields import PENALTY_COLUMNS
from disclosure.importers import read_file
from disclosure.model import Decision, Kind, Op, Removal, SubjectType
from disclosure.rules import load_rules
from disclosure.stage import StageResult, entry_id, stage_tables
from tests.factories import (
    COMPANY,
    COURT,
    MARKET_BUREAU,
    PERSON_ID,
    case_item,
    day,
    licensing_row,
    list_row,
    penalty_row,
    write_csv,
    write_yaml,
)

RULES = load_rules()
RELEASE_DAY = day("2026-11-16")


def stage(
    *paths: Path, published: dict[str, Decision] | None = None, release_date: dt.date = RELEASE_DAY
) -> StageResult:
    return stage_tables(
        [read_file(p) for p in paths], published=published or {}, release_date=release_date, rules=RULES
    )


def only_decision(result: StageResult) -> Decision:
    assert result.errors == []
    assert len(result.entries) == 1
    entry = result.entries[0]
    assert isinstance(entry, Decision)
    return entry


def messages(result: StageResult) -> list[str]:
    return [str(p) for p in result.errors]


def test_penalty_is_normalised_with_publicity_from_new_rules(tmp_path: Path) -> None:
    entry = only_decision(stage(write_csv(tmp_path / "处罚.csv", [penalty_row()])))
    assert entry.op is Op.PUBLISH and entry.kind is Kind.PENALTY
    assert entry.id == entry_id(Kind.PENALTY, MARKET_BUREAU[1], "榕市监处罚〔2026〕1001号")
    assert entry.subject.name == COMPANY[0] and entry.subject.code == COMPANY[1]
    assert entry.subject.type is SubjectType.LEGAL
    assert entry.department.name == MARKET_BUREAU[0]
    assert entry.decided == day("2026-11-10")
    # 一般 tier from 2026-04-01: 3 months to 1 year.
    assert entry.publicity.start == day("2026-11-10")
    assert entry.publicity.until == day("2027-11-09")
    assert entry.publicity.repairable_from == day("2027-02-10")
    assert entry.fields["penalty_types"] == ["罚款", "没收违法所得"]
    assert entry.fields["fine"] == "5"
    assert entry.fields["confiscated"] == "0.086"
    assert "operation" not in entry.fields


def test_id_is_stable_across_resends_and_spacing() -> None:
    a = entry_id(Kind.PENALTY, MARKET_BUREAU[1], "榕市监处罚〔2026〕1001号")
    assert a == entry_id(Kind.PENALTY, MARKET_BUREAU[1], "榕市监处罚 〔2026〕 1001号")
    assert a != entry_id(Kind.LICENSING, MARKET_BUREAU[1], "榕市监处罚〔2026〕1001号")
    assert a.isalnum() and a.islower() and len(a) == 16


def test_old_rules_food_sector_minimum_is_one_year(tmp_path: Path) -> None:
    row = penalty_row(处罚决定日期="2025-06-03", 处罚有效期="2026-06-02", 失信程度="")
    result = stage(write_csv(tmp_path / "p.csv", [row]))
    entry = only_decision(result)
    assert entry.publicity.until == day("2028-06-02")  # at most 3 years
    assert entry.publicity.repairable_from == day("2026-06-03")  # food: at least 1 year
    assert any("7个工作日" in str(w) for w in result.warnings)


def test_old_rules_warning_alone_is_not_published(tmp_path: Path) -> None:
    row = penalty_row(处罚决定日期="2026-03-02", 处罚类别="警告", **{"罚款金额（万元）": ""}, 失信程度="")
    result = stage(write_csv(tmp_path / "p.csv", [row]))
    assert result.errors == [] and result.entries == [] and result.skipped == 1
    assert any("不公示" in str(w) for w in result.warnings)


def test_new_rules_minor_tier_not_published_and_checked_against_types(tmp_path: Path) -> None:
    minor = penalty_row(处罚类别="警告", **{"罚款金额（万元）": ""}, 失信程度="轻微")
    assert stage(write_csv(tmp_path / "a.csv", [minor])).skipped == 1
    wrong = penalty_row(处罚类别="吊销许可证件", 失信程度="轻微")
    result = stage(write_csv(tmp_path / "b.csv", [wrong]))
    assert result.entries == []
    assert any("轻微" in m and "吊销许可证件" in m for m in messages(result))


def test_serious_tier_is_one_to_three_years(tmp_path: Path) -> None:
    entry = only_decision(stage(write_csv(tmp_path / "p.csv", [penalty_row(失信程度="严重")])))
    assert entry.publicity.until == day("2029-11-09")
    assert entry.publicity.repairable_from == day("2027-11-10")


def test_publicity_until_must_fit_the_terms(tmp_path: Path) -> None:
    result = stage(write_csv(tmp_path / "p.csv", [penalty_row(公示截止期="2026-12-01")]))
    assert any("公示截止期应在" in m for m in messages(result))


def test_every_error_is_reported_with_file_line_and_column(tmp_path: Path) -> None:
    rows = [
        penalty_row("榕市监处罚〔2026〕1号", 行政相对人代码_1="91350102MA2YH6TK01"),
        penalty_row("榕市监处罚〔2026〕2号", 处罚决定日期="2026-02-30"),
        penalty_row("榕市监处罚〔2026〕3号", 处罚类别="罚款；打板子"),
        penalty_row("榕市监处罚〔2026〕4号", 违法事实=""),
        penalty_row("榕市监处罚〔2026〕5号", **{"罚款金额（万元）": "五万"}),
        penalty_row("榕市监处罚〔2026〕6号", 处罚决定日期="2026-11-20", 处罚有效期="2027-11-19"),
    ]
    result = stage(write_csv(tmp_path / "市场监管局.csv", rows))
    assert result.entries == []
    found = "\n".join(messages(result))
    assert "市场监管局.csv:2: 行政相对人代码_1: 统一社会信用代码校验位错误" in found
    assert "市场监管局.csv:3: 处罚决定日期: “2026-02-30”不是有效日期" in found
    assert "市场监管局.csv:4: 处罚类别: “打板子”不是可选值" in found
    assert "市场监管局.csv:5: 违法事实: 新增时此项必填" in found
    assert "市场监管局.csv:6: 罚款金额（万元）: 金额“五万”不是数字" in found
    assert "市场监管局.csv:7: 处罚决定日期: 晚于发布日期 2026-11-16" in found


def test_physical_line_numbers_count_multiline_cells(tmp_path: Path) -> None:
    rows = [
        penalty_row("榕市监处罚〔2026〕1号", 违法事实="第一行\n第二行\n第三行"),
        penalty_row("榕市监处罚〔2026〕2号", 行政相对人代码_1="bad"),
    ]
    result = stage(write_csv(tmp_path / "p.csv", rows))
    assert [(p.line, p.column) for p in result.errors] == [(5, "行政相对人代码_1")]


def test_duplicate_document_number_in_batch(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row()])
    assert any("与 p.csv:2 重复" in m for m in messages(stage(path)))


def test_full_identity_number_in_free_text_refuses_batch(tmp_path: Path) -> None:
    rows = [
        penalty_row("榕市监处罚〔2026〕1号"),
        penalty_row("榕市监处罚〔2026〕2号", 违法事实=f"当事人身份证{PERSON_ID}。"),
    ]
    result = stage(write_csv(tmp_path / "p.csv", rows))
    assert result.entries == []
    assert messages(result) == [
        "p.csv:3: 违法事实: 含有完整的居民身份证号码：证件号码只能填在证件号码列（公示时将隐去第7至14位）"
    ]


def test_natural_person_is_masked_and_has_no_code(tmp_path: Path) -> None:
    row = penalty_row(
        行政相对人名称="王某某",
        行政相对人类别="自然人",
        行政相对人代码_1="",
        法定代表人="",
        证件类型="身份证",
        证件号码=PERSON_ID,
    )
    entry = only_decision(stage(write_csv(tmp_path / "p.csv", [row])))
    assert entry.subject.type is SubjectType.PERSON and entry.subject.code is None
    assert entry.fields["id_number"] == PERSON_ID[:6] + "********" + PERSON_ID[14:]
    assert PERSON_ID not in repr(entry)


def test_person_needs_a_valid_id_number(tmp_path: Path) -> None:
    row = penalty_row(
        行政相对人类别="自然人", 行政相对人代码_1="", 证件类型="身份证", 证件号码="350102198001011230"
    )
    found = messages(stage(write_csv(tmp_path / "p.csv", [row])))
    assert any("证件号码: 居民身份证号码无效" in m for m in found)


def test_legal_person_needs_a_credit_code(tmp_path: Path) -> None:
    found = messages(stage(write_csv(tmp_path / "p.csv", [penalty_row(行政相对人代码_1="")])))
    assert any("法人及非法人组织须填写统一社会信用代码" in m for m in found)


def test_legal_representative_id_is_masked(tmp_path: Path) -> None:
    row = penalty_row(法定代表人证件类型="身份证", 法定代表人证件号码=PERSON_ID)
    entry = only_decision(stage(write_csv(tmp_path / "p.csv", [row])))
    assert entry.fields["legal_representative_id_number"] == "350102********" + PERSON_ID[14:]


def test_gb18030_and_english_headers(tmp_path: Path) -> None:
    english = {c.label: c.id for c in PENALTY_COLUMNS}
    row = {english[k]: v for k, v in penalty_row().items()}
    entry = only_decision(stage(write_csv(tmp_path / "p.csv", [row], encoding="gb18030")))
    assert entry.subject.name == COMPANY[0]


def test_xlsx(tmp_path: Path) -> None:
    row = licensing_row()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(row))
    values: list[object] = list(row.values())
    values[list(row).index("许可决定日期")] = dt.datetime(2026, 11, 12)
    sheet.append(values)
    workbook.save(tmp_path / "许可.xlsx")
    entry = only_decision(stage(tmp_path / "许可.xlsx"))
    assert entry.kind is Kind.LICENSING and entry.decided == day("2026-11-12")
    assert entry.publicity.until == day("2031-11-11")


def test_licensing_open_ended_and_invalid(tmp_path: Path) -> None:
    entry = only_decision(stage(write_csv(tmp_path / "l.csv", [licensing_row(有效期至="2099-12-31")])))
    assert entry.publicity.until is None
    result = stage(write_csv(tmp_path / "m.csv", [licensing_row(当前状态="无效")]))
    assert result.entries == [] and result.skipped == 1


def test_unknown_header_and_truncated_file(tmp_path: Path) -> None:
    rows = [{**penalty_row(), "家庭住址": "福州市鼓楼区某路1号"}]
    with pytest.raises(Exception, match="p.csv:1: 家庭住址: 未知列名"):
        read_file(write_csv(tmp_path / "p.csv", rows))
    good = write_csv(tmp_path / "t.csv", [penalty_row(违法事实="第一行，\n第二行，\n第三行。")])
    truncated = tmp_path / "truncated.csv"
    text = good.read_bytes().decode("utf-8-sig")
    truncated.write_bytes(text[: text.index("第二行")].encode("utf-8"))  # cut inside a quoted cell
    with pytest.raises(Exception, match="truncated.csv:2: -: 文件格式错误"):
        read_file(truncated)


def test_lists_take_their_terms_from_the_rules(tmp_path: Path) -> None:
    entry = only_decision(stage(write_csv(tmp_path / "l.csv", [list_row()])))
    assert entry.kind is Kind.BLACKLIST
    assert entry.publicity.until == day("2029-11-04")
    assert entry.publicity.repairable_from == day("2027-11-05")
    red = only_decision(stage(write_csv(tmp_path / "r.csv", [list_row(名单名称="A级纳税人")])))
    assert red.kind is Kind.REDLIST and red.publicity.until == day("2027-11-04")
    debtor = list_row(
        名单名称="失信被执行人",
        主体名称="李某",
        统一社会信用代码="",
        证件类型="身份证",
        证件号码=PERSON_ID,
        认定部门=COURT[0],
        认定部门统一社会信用代码=COURT[1],
        案号="（2026）闽01执123号",
    )
    person = only_decision(stage(write_csv(tmp_path / "d.csv", [debtor])))
    assert person.publicity.until is None and person.subject.type is SubjectType.PERSON
    unknown = stage(write_csv(tmp_path / "u.csv", [list_row(名单名称="诚信之星")]))
    assert any("名单“诚信之星”不在规则文件中" in m for m in messages(unknown))


def test_typical_case_from_yaml(tmp_path: Path) -> None:
    entry = only_decision(stage(write_yaml(tmp_path / "案例.yaml", [case_item()])))
    assert entry.kind is Kind.CASE and entry.subject.code == COMPANY[1]
    assert entry.fields["subjects"] == [{"name": COMPANY[0], "code": COMPANY[1]}]
    assert entry.publicity.until is None
    assert str(entry.fields["body"]).startswith("## 基本案情")


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "c.yaml", [case_item(), case_item("榕信办案例〔2026〕9号", 涉及主体=[])])
    assert any(m.startswith("c.yaml:") and "涉及主体" in m for m in messages(stage(path)))


def published_penalty(tmp_path: Path, **overrides: str) -> tuple[Decision, dict[str, Decision]]:
    entry = only_decision(stage(write_csv(tmp_path / "first.csv", [penalty_row(**overrides)])))
    return entry, {entry.id: entry}


def test_amend_keeps_the_id(tmp_path: Path) -> None:
    first, published = published_penalty(tmp_path)
    row = penalty_row(操作="变更", **{"罚款金额（万元）": "4"}, 处罚内容="罚款人民币4万元")
    again = only_decision(stage(write_csv(tmp_path / "a.csv", [row]), published=published))
    assert again.op is Op.AMEND and again.id == first.id and again.fields["fine"] == "4"


def test_publish_of_a_published_number_is_refused(tmp_path: Path) -> None:
    _, published = published_penalty(tmp_path)
    result = stage(write_csv(tmp_path / "a.csv", [penalty_row()]), published=published)
    assert any("已在公示中" in m for m in messages(result))


def test_repair_only_after_the_minimum_term(tmp_path: Path) -> None:
    first, published = published_penalty(
        tmp_path, 处罚决定日期="2025-06-03", 处罚有效期="2026-06-02", 失信程度=""
    )
    repair = {
        "行政处罚决定书文号": "榕市监处罚〔2026〕1001号",
        "处罚机关": MARKET_BUREAU[0],
        "处罚机关统一社会信用代码": MARKET_BUREAU[1],
        "操作": "信用修复",
        "操作日期": "2026-05-20",
        "操作原因": "信用修复",
        "操作依据": "榕信修〔2026〕15号",
    }
    early = stage(write_csv(tmp_path / "r1.csv", [repair]), published=published)
    assert any("2026-06-03 起方可信用修复" in m for m in messages(early))
    ok = stage(write_csv(tmp_path / "r2.csv", [{**repair, "操作日期": "2026-11-02"}]), published=published)
    assert ok.errors == []
    removal = ok.entries[0]
    assert isinstance(removal, Removal)
    assert (removal.op, removal.id, removal.reason, removal.date) == (
        Op.REPAIR,
        first.id,
        "repaired",
        day("2026-11-02"),
    )
    assert ok.counts == {"repair": {"penalty": 1}}


def test_withdraw_needs_a_published_entry_and_a_reason(tmp_path: Path) -> None:
    first, published = published_penalty(tmp_path)
    withdraw = {
        "行政处罚决定书文号": "榕市监处罚〔2026〕1001号",
        "处罚机关": MARKET_BUREAU[0],
        "处罚机关统一社会信用代码": MARKET_BUREAU[1],
        "操作": "撤销",
        "操作日期": "2026-11-13",
        "操作原因": "决定被撤销",
        "操作依据": "榕政复决字〔2026〕88号行政复议决定",
    }
    ok = stage(write_csv(tmp_path / "w.csv", [withdraw]), published=published)
    assert ok.errors == [] and isinstance(ok.entries[0], Removal) and ok.entries[0].reason == "revoked"
    nothing = stage(write_csv(tmp_path / "w2.csv", [withdraw]))
    assert any("撤销的记录不在公示中" in m for m in messages(nothing))
    no_reason = stage(write_csv(tmp_path / "w3.csv", [{**withdraw, "操作原因": ""}]), published=published)
    assert any("操作原因" in m for m in messages(no_reason))
    licensing_repair = stage(
        write_csv(tmp_path / "w4.csv", [{**withdraw, "操作": "信用修复", "操作原因": "信用修复"}]),
        published=published,
    )
    assert any("方可信用修复" in m for m in messages(licensing_repair))
    future = stage(
        write_csv(tmp_path / "w5.csv", [{**withdraw, "操作日期": "2026-12-01"}]), published=published
    )
    assert any("w5.csv:2: 操作日期: 晚于发布日期" in m for m in messages(future))


def test_expired_rows_are_skipped_with_a_warning(tmp_path: Path) -> None:
    row = licensing_row(许可决定日期="2026-10-01", 有效期自="2026-10-01", 有效期至="2026-11-01")
    result = stage(write_csv(tmp_path / "l.csv", [row]))
    assert result.entries == [] and result.skipped == 1
    assert any("已于 2026-11-01 届满" in str(w) for w in result.warnings)


def test_control_characters_and_overlong_cells_refused(tmp_path: Path) -> None:
    rows = [
        penalty_row("榕市监处罚〔2026〕1号", 违法事实="正常\x07响铃"),
        penalty_row("榕市监处罚〔2026〕2号", 违法事实="长" * 5001),
        penalty_row("榕市监处罚〔2026〕3号", 行政相对人名称="福州\n某公司"),
    ]
    found = messages(stage(write_csv(tmp_path / "p.csv", rows)))
    assert "p.csv:2: 违法事实: 含有控制字符" in found
    assert "p.csv:3: 违法事实: 超过长度上限（5001 > 5000 字）" in found
    assert "p.csv:4: 行政相对人名称: 不能换行" in found
