"""Staging: department rows -> the entries of the next release.

Pure: given the imported tables, what is published on the release date and
the rules, :func:`stage_tables` returns the entries, every error and every
warning.  A batch with any error yields no entries at all; the caller writes
nothing.  Cell-level checks live in :mod:`disclosure._internal.cells`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from disclosure._internal.cells import CellValue, check_cell, check_cells, parse_date
from disclosure.canonical import JSONValue, new_salt
from disclosure.fields import CASE_COLUMNS, COLUMNS, LIST_COLUMNS, CellType, Column
from disclosure.fold import fold_releases
from disclosure.identifiers import find_full_ric
from disclosure.importers import ImportFailed, Problem, Row, Table, read_file
from disclosure.model import (
    REPAIR_REASONS,
    WITHDRAW_REASONS,
    Decision,
    Department,
    Entry,
    Kind,
    Op,
    Publicity,
    Removal,
    Subject,
    SubjectType,
)
from disclosure.release import Release, count_entries, write_release
from disclosure.rules import (
    NotPublished,
    Rules,
    RuleViolation,
    case_publicity,
    licensing_publicity,
    list_publicity,
    parse_amount,
    penalty_publicity,
)
from disclosure.timeliness import DEADLINE_WORKING_DAYS, working_days_between

OPERATIONS = {"新增": Op.PUBLISH, "变更": Op.AMEND, "信用修复": Op.REPAIR, "撤销": Op.WITHDRAW}
_REASON_IDS = {label: reason for reason, label in (*REPAIR_REASONS.items(), *WITHDRAW_REASONS.items())}
_CATEGORIES = {
    "法人及非法人组织": SubjectType.LEGAL,
    "个体工商户": SubjectType.INDIVIDUAL_BUSINESS,
    "自然人": SubjectType.PERSON,
}
# Columns that name the decision a repair or withdrawal refers to.
_IDENTIFYING = {
    "licensing": ("document_number", "authority", "authority_uscc"),
    "penalty": ("document_number", "authority", "authority_uscc"),
    "list": ("list_name", "authority", "authority_uscc"),
    "case": ("case_number", "authority", "authority_uscc"),
}
_OPERATION_REQUIRED = ("operation_date", "operation_basis")
_TABLE_KINDS = {"licensing": Kind.LICENSING, "penalty": Kind.PENALTY, "case": Kind.CASE}
_TABLE_COLUMNS = {
    "licensing": COLUMNS[Kind.LICENSING],
    "penalty": COLUMNS[Kind.PENALTY],
    "list": LIST_COLUMNS,
    "case": CASE_COLUMNS,
}
# A typical case's subjects are checked like the name and code columns of the other tables.
_CASE_SUBJECT_NAME = Column("name", "涉及主体", CellType.NAME)
_CASE_SUBJECT_CODE = Column("code", "涉及主体", CellType.USCC, max_length=18)
# Working days are counted one calendar day at a time: count at most a year back, which
# answers every question staging asks (more than 7? more than 3?) without a decision dated
# 0001-01-01 taking a minute.
_WORKING_DAYS_WINDOW = dt.timedelta(days=366)


def entry_id(kind: Kind, department_code: str, number: str) -> str:
    """Stable, opaque, URL-safe: the same decision re-sent keeps its id and URL."""
    normalized = "".join(unicodedata.normalize("NFKC", number).split())
    digest = hashlib.sha256(
        f"disclosure-id/1\0{kind.value}\0{department_code}\0{normalized}".encode()
    ).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


@dataclass
class StageResult:
    entries: list[Entry]
    errors: list[Problem]
    warnings: list[Problem]
    counts: dict[str, dict[str, int]]
    skipped: int = 0  # valid rows that the rules do not publish


@dataclass
class _Context:
    published: Mapping[str, Decision]
    release_date: dt.date
    rules: Rules
    salt: Callable[[], str]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    seen: dict[str, Row] = field(default_factory=dict)
    skipped: int = 0


def stage_tables(
    tables: list[Table],
    *,
    published: Mapping[str, Decision],
    release_date: dt.date,
    rules: Rules,
    salt: Callable[[], str] = new_salt,
) -> StageResult:
    """Validate and normalise every row; on any error return no entries."""
    ctx = _Context(published=published, release_date=release_date, rules=rules, salt=salt)
    staged: list[tuple[Entry, Kind]] = []
    for table in tables:
        for row in table.rows:
            result = _stage_row(row, ctx)
            if result is not None:
                staged.append(result)
    if ctx.errors:  # a typical case's subjects are checked twice: report each problem once
        return StageResult([], sorted(set(ctx.errors)), sorted(ctx.warnings), {}, ctx.skipped)
    counts = count_entries((entry.op.value, kind.value) for entry, kind in staged)
    return StageResult([e for e, _ in staged], [], sorted(ctx.warnings), counts, ctx.skipped)


def _error(ctx: _Context, row: Row, column: str, message: str) -> None:
    ctx.errors.append(Problem(row.file, row.line, column, message))


def _warn(ctx: _Context, row: Row, column: str, message: str) -> None:
    ctx.warnings.append(Problem(row.file, row.line, column, message))


def _stage_row(row: Row, ctx: _Context) -> tuple[Entry, Kind] | None:
    columns = _TABLE_COLUMNS[row.table]
    op = OPERATIONS.get(row.cells.get("operation", "新增"))
    if op is None:
        _error(ctx, row, "操作", f"应为{'、'.join(OPERATIONS)}之一")
        return None
    values = check_cells(row, columns, lambda column, message: _error(ctx, row, column, message))
    _refuse_full_id_numbers(row, columns, ctx)
    needed: tuple[str, ...]
    if op in (Op.REPAIR, Op.WITHDRAW):
        needed = (*_IDENTIFYING[row.table], *_OPERATION_REQUIRED)
    else:
        needed = tuple(c.id for c in columns if c.required)
    for label in _missing(row, columns, values, needed):
        _error(ctx, row, label, f"{op.label}时此项必填，不能为空")
    kind = _kind_of(row, values, ctx)
    identity = _identity(row, values, kind, ctx)
    if kind is None or identity is None:
        return None
    entry_id_ = entry_id(kind, *identity)
    earlier = ctx.seen.get(entry_id_)
    if earlier is not None:
        _error(
            ctx, row, _number_label(row), f"与 {earlier.file}:{earlier.line} 重复（同一文书号只能出现一次）"
        )
        return None
    ctx.seen[entry_id_] = row
    if op in (Op.REPAIR, Op.WITHDRAW):
        removal = _removal(row, values, op, kind, entry_id_, ctx)
        return None if removal is None else (removal, kind)
    decision = _decision(row, values, op, kind, entry_id_, ctx)
    return None if decision is None else (decision, kind)


def _number_label(row: Row) -> str:
    return {"licensing": "行政许可决定文书号", "penalty": "行政处罚决定书文号", "list": "认定文书号"}.get(
        row.table, "案例编号"
    )


def _refuse_full_id_numbers(row: Row, columns: tuple[Column, ...], ctx: _Context) -> None:
    """Privacy: a full identity-card number in any text refuses the batch."""
    texts = [(c.label, row.cells.get(c.id, "")) for c in columns if c.type in (CellType.TEXT, CellType.NAME)]
    texts.append(("操作依据", row.cells.get("operation_basis", "")))
    texts.extend(("涉及主体", subject.get("name", "")) for subject in row.subjects)
    for label, text in texts:
        if text and (find_full_ric(text) or find_full_ric(_as_read(text))):
            _error(
                ctx,
                row,
                label,
                "含有完整的居民身份证号码：证件号码只能填在证件号码列（公示时将隐去第7至14位）",
            )


def _as_read(text: str) -> str:
    """The text as a reader reads it: full-width folded, invisible characters dropped, digits ASCII.

    So that "３５０１０２…" or a number split by zero-width spaces is still found.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in folded
        if unicodedata.category(ch) != "Cf"
    )


def _kind_of(row: Row, values: dict[str, CellValue], ctx: _Context) -> Kind | None:
    if row.table != "list":
        return _TABLE_KINDS[row.table]
    name = values.get("list_name")
    if not isinstance(name, str):
        return None  # already reported as missing
    rule = ctx.rules.lists.get(name)
    if rule is None:
        _error(
            ctx, row, "名单名称", f"名单“{name}”不在规则文件中（已知：{'、'.join(sorted(ctx.rules.lists))}）"
        )
        return None
    return rule.kind


def _identity(
    row: Row, values: dict[str, CellValue], kind: Kind | None, ctx: _Context
) -> tuple[str, str] | None:
    code = values.get("authority_uscc")
    if row.table == "case":
        number = values.get("case_number")
    elif row.table == "list" and "document_number" not in values:
        parts = (
            values.get("list_name"),
            values.get("subject_uscc") or values.get("id_number"),
            values.get("decided"),
        )
        number = "|".join(p for p in parts if isinstance(p, str)) if all(parts) else None
        if number is None and kind is not None:
            _error(
                ctx,
                row,
                "认定文书号",
                "未填写认定文书号时，须有统一社会信用代码（或证件号码）和列入日期以识别记录",
            )
    else:
        number = values.get("document_number")
    if isinstance(code, str) and isinstance(number, str):
        return code, number
    return None


def _missing(
    row: Row, columns: tuple[Column, ...], values: Mapping[str, CellValue], ids: tuple[str, ...]
) -> list[str]:
    labels = {c.id: c.label for c in columns}
    labels.update({"operation_date": "操作日期", "operation_basis": "操作依据"})
    return [labels[i] for i in ids if i not in values and i not in _invalid_ids(row, values)]


def _invalid_ids(row: Row, values: Mapping[str, CellValue]) -> set[str]:
    """Cells that were present but refused (already reported): not also 'missing'."""
    return {key for key in row.cells if key not in values}


def _removal(
    row: Row, values: dict[str, CellValue], op: Op, kind: Kind, entry_id_: str, ctx: _Context
) -> Removal | None:
    target = ctx.published.get(entry_id_)
    if target is None or target.kind is not kind:
        _error(ctx, row, _number_label(row), f"{op.label}的记录不在公示中（按文书号和部门代码未找到）")
        return None
    reason_label = row.cells.get("operation_reason") or ("信用修复" if op is Op.REPAIR else "")
    reasons = REPAIR_REASONS if op is Op.REPAIR else WITHDRAW_REASONS
    reason = _REASON_IDS.get(reason_label)
    if reason not in reasons:
        _error(ctx, row, "操作原因", f"{op.label}的原因应为{'、'.join(reasons.values())}之一")
    date = values.get("operation_date")
    if not isinstance(date, str) or reason not in reasons:
        return None
    day = dt.date.fromisoformat(date)
    if day < target.decided:
        _error(ctx, row, "操作日期", f"早于决定日期 {target.decided.isoformat()}")
    if day > ctx.release_date:
        _error(ctx, row, "操作日期", f"晚于发布日期 {ctx.release_date.isoformat()}")
    if op is Op.REPAIR:
        if kind not in (Kind.PENALTY, Kind.BLACKLIST):
            _error(ctx, row, "操作", "信用修复只适用于行政处罚和黑名单")
        elif target.publicity.repairable_from is None:
            _error(ctx, row, "操作", "该名单不适用信用修复，应由认定部门移出（撤销）")
        elif day < target.publicity.repairable_from:
            _error(
                ctx,
                row,
                "操作日期",
                f"未满最短公示期，{target.publicity.repairable_from.isoformat()} 起方可信用修复",
            )
    elif op is Op.WITHDRAW and _working_days(day, ctx.release_date) > 3:
        _warn(ctx, row, "操作日期", "撤销应在3个工作日内完成（行政处罚法第四十八条）")
    basis = values.get("operation_basis")
    if not isinstance(basis, str):
        return None
    return Removal(op=op, id=entry_id_, salt=ctx.salt(), date=day, reason=reason, basis=basis)


def _decision(
    row: Row, values: dict[str, CellValue], op: Op, kind: Kind, entry_id_: str, ctx: _Context
) -> Decision | None:
    columns = _TABLE_COLUMNS[row.table]
    required = tuple(c.id for c in columns if c.required)
    current = ctx.published.get(entry_id_)
    if op is Op.PUBLISH and current is not None:
        _error(ctx, row, _number_label(row), "该文书号已在公示中；更新内容请将操作填为“变更”")
        return None
    if op is Op.AMEND and (current is None or current.kind is not kind):
        _error(ctx, row, _number_label(row), "变更的记录不在公示中（按文书号和部门代码未找到）")
        return None
    subject = _subject(row, values, ctx)
    decided_text = values.get("decided")
    if subject is None or not isinstance(decided_text, str) or any(i not in values for i in required):
        return None
    decided = dt.date.fromisoformat(decided_text)
    if decided > ctx.release_date:
        _error(ctx, row, _label(columns, "decided"), f"晚于发布日期 {ctx.release_date.isoformat()}")
        return None
    publicity = _publicity(row, values, kind, decided, ctx)
    if publicity is None:
        return None
    if publicity.until is not None and publicity.until < ctx.release_date:
        _warn(ctx, row, "公示期", f"公示期已于 {publicity.until.isoformat()} 届满，不予公示")
        ctx.skipped += 1
        return None
    if kind is Kind.LICENSING and values.get("status") == "无效" and op is Op.PUBLISH:
        _warn(ctx, row, "当前状态", "当前状态为无效的许可不予公示")
        ctx.skipped += 1
        return None
    if kind in (Kind.LICENSING, Kind.PENALTY) and op is Op.PUBLISH:
        days = _working_days(decided, ctx.release_date)
        if days > DEADLINE_WORKING_DAYS:
            when = f"第{days}" if ctx.release_date - decided <= _WORKING_DAYS_WINDOW else f"超过{days}"
            _warn(ctx, row, _label(columns, "decided"), f"决定后{when}个工作日才公示（应在7个工作日内）")
    if current is not None and (current.subject.name, current.subject.code) != (subject.name, subject.code):
        _warn(ctx, row, "行政相对人名称", f"变更改变了相对人（原为“{current.subject.name}”）")
    department = Department(name=str(values["authority"]), code=str(values["authority_uscc"]))
    fields: dict[str, JSONValue] = {
        c.id: _json(values[c.id]) for c in columns if c.published and c.id in values
    }
    if kind is Kind.CASE:
        fields["subjects"] = [{"name": s["name"], "code": s.get("code")} for s in _case_subjects(row, ctx)]
    return Decision(
        op=op,
        id=entry_id_,
        salt=ctx.salt(),
        kind=kind,
        subject=subject,
        department=department,
        decided=decided,
        publicity=publicity,
        fields=fields,
    )


def _working_days(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to ``end``, counting at most the last year of them."""
    return working_days_between(max(start, end - _WORKING_DAYS_WINDOW), end)


def _label(columns: tuple[Column, ...], column_id: str) -> str:
    return next((c.label for c in columns if c.id == column_id), column_id)


def _subject(row: Row, values: dict[str, CellValue], ctx: _Context) -> Subject | None:
    if row.table == "case":
        subjects = _case_subjects(row, ctx)
        if not subjects:
            _error(ctx, row, "涉及主体", "典型案例须列出至少一个涉及主体（名称、统一社会信用代码）")
            return None
        first = subjects[0]
        first_code = first.get("code")
        is_business = first_code is not None and first_code.startswith("92")
        subject_type = SubjectType.INDIVIDUAL_BUSINESS if is_business else SubjectType.LEGAL
        return Subject(name=first["name"], code=first_code, type=subject_type)
    name, code = values.get("subject_name"), values.get("subject_uscc")
    category = values.get("subject_category")
    label = "主体类别" if row.table == "list" else "行政相对人类别"
    if isinstance(category, str):
        subject_type = _CATEGORIES[category]
    elif isinstance(code, str):
        subject_type = SubjectType.INDIVIDUAL_BUSINESS if code.startswith("92") else SubjectType.LEGAL
    elif "id_number" in values:
        subject_type = SubjectType.PERSON
    else:
        _error(ctx, row, label, "无法确定主体类别：须填写统一社会信用代码或证件号码")
        return None
    code_label = "统一社会信用代码" if row.table == "list" else "行政相对人代码_1"
    if subject_type is SubjectType.LEGAL and not isinstance(code, str) and "subject_uscc" not in row.cells:
        _error(ctx, row, code_label, "法人及非法人组织须填写统一社会信用代码")
        return None
    if subject_type is SubjectType.PERSON:
        if isinstance(code, str):
            _error(ctx, row, code_label, "自然人不应有统一社会信用代码")
        if "id_number" not in values and "id_number" not in row.cells:
            _error(ctx, row, "证件号码", "自然人须填写证件类型和证件号码")
        code = None
    if not isinstance(name, str):
        return None
    return Subject(name=name, code=code if isinstance(code, str) else None, type=subject_type)


def _case_subjects(row: Row, ctx: _Context) -> list[dict[str, str]]:
    """Valid subjects; names and codes are checked like the name and code columns of a table."""
    subjects = []
    for subject in row.subjects:
        name = subject.get("name")
        if not name:
            _error(ctx, row, "涉及主体", "主体名称为空")
            continue
        name = _check_subject_part(_CASE_SUBJECT_NAME, name, "名称", row, ctx)
        if name is None:
            continue
        code = subject.get("code")
        if code:
            code = _check_subject_part(_CASE_SUBJECT_CODE, code, f"{name}：", row, ctx)
            if code is None:
                continue
            subject = {"name": name, "code": code}
        subjects.append(subject)
    return subjects


def _check_subject_part(column: Column, text: str, prefix: str, row: Row, ctx: _Context) -> str | None:
    value = check_cell(column, text, {}, lambda label, message: _error(ctx, row, label, prefix + message))
    return value if isinstance(value, str) else None


def _publicity(
    row: Row, values: dict[str, CellValue], kind: Kind, decided: dt.date, ctx: _Context
) -> Publicity | None:
    try:
        if kind is Kind.LICENSING:
            valid_from = _date(values.get("valid_from"))
            valid_until = _date(values.get("valid_until"))
            assert valid_until is not None
            if valid_from is not None and valid_until < valid_from:
                raise RuleViolation("有效期至早于有效期自")
            return licensing_publicity(ctx.rules, decided=decided, valid_until=valid_until)
        if kind is Kind.PENALTY:
            return _penalty_publicity(row, values, decided, ctx)
        if kind is Kind.CASE:
            return case_publicity(ctx.rules, decided=decided)
        _, publicity = list_publicity(
            ctx.rules,
            list_name=str(values["list_name"]),
            decided=decided,
            valid_until=_date(values.get("valid_until")),
        )
        return publicity
    except RuleViolation as exc:
        _error(ctx, row, "公示期", str(exc))
        return None


def _penalty_publicity(
    row: Row, values: dict[str, CellValue], decided: dt.date, ctx: _Context
) -> Publicity | None:
    types = values.get("penalty_types")
    assert isinstance(types, list)
    fine = values.get("fine")
    if "罚款" in types and fine is None:
        _warn(ctx, row, "罚款金额（万元）", "处罚类别含罚款，但未填写罚款金额")
    severity = values.get("severity")
    if severity is not None and decided < ctx.rules.penalty_periods[-1].decided_from:
        _warn(ctx, row, "失信程度", "失信程度适用于2026年4月1日起作出的处罚决定，此前的决定按原规则公示")
        severity = None
    result = penalty_publicity(
        ctx.rules,
        decided=decided,
        penalty_types=[str(t) for t in types],
        severity=severity if isinstance(severity, str) else None,
        fine_wan=parse_amount(fine) if isinstance(fine, str) else None,
        sector_text=f"{values.get('violation_type', '')} {values.get('basis', '')}",
        publicity_until=_date(values.get("publicity_until")),
    )
    if isinstance(result, NotPublished):
        _warn(ctx, row, "处罚类别", result.reason)
        ctx.skipped += 1
        return None
    return result


def _json(value: CellValue) -> JSONValue:
    return value if isinstance(value, str) else [str(v) for v in value]


def _date(value: CellValue | None) -> dt.date | None:
    return parse_date(value) if isinstance(value, str) else None


def currently_published(releases: list[Release], day: dt.date) -> dict[str, Decision]:
    """Id -> current version of every entry published on ``day``."""
    return {record.entry.id: record.entry for record in fold_releases(releases, day).published()}


def stage_files(
    paths: list[Path], *, releases_root: Path, release_date: dt.date, rules: Rules
) -> tuple[Path | None, StageResult]:
    """The I/O edge: read files, check against the verified tree, write the next release.

    Writes nothing unless every file and row is valid.  Files are staged in
    name order, so the same files give the same release whatever the order given.
    """
    from disclosure.verify import VerificationError, check_releases  # the edge needs keys; the core not

    result = check_releases(releases_root)
    if result.faults:
        raise VerificationError(result.faults)
    releases = result.releases
    if releases and release_date < releases[-1].published:
        raise StagingError(
            f"发布日期 {release_date} 早于上一版 {releases[-1].path.name} 的 {releases[-1].published}"
        )
    tables, problems = [], []
    for path in sorted(paths, key=lambda p: p.name):
        try:
            tables.append(read_file(path))
        except ImportFailed as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(path.name, 1, "-", f"无法读取：{exc.strerror}"))
    if problems:
        return None, StageResult([], sorted(problems), [], {})
    staged = stage_tables(
        tables, published=currently_published(releases, release_date), release_date=release_date, rules=rules
    )
    if staged.errors:
        return None, staged
    if not staged.entries:
        raise StagingError("本批次没有可公示的记录，未生成新版本")
    path = write_release(
        releases_root,
        sequence=len(releases) + 1,
        published=release_date,
        previous=releases[-1].manifest_sha256 if releases else None,
        entries=staged.entries,
        counts=staged.counts,
    )
    return path, staged


class StagingError(Exception):
    """The batch as a whole cannot be staged (the message is user-facing)."""
