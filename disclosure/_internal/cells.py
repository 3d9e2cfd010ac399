"""Checking and normalising single cells by their column's type.

Every message is user-facing Chinese; the caller adds file, line and column.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from disclosure.fields import OPERATION_COLUMNS, CellType, Column
from disclosure.identifiers import (
    InvalidIdentifier,
    find_full_ric,
    mask_other_id,
    mask_ric,
    validate_ric,
    validate_uscc,
)
from disclosure.importers import Row
from disclosure.rules import RuleViolation, parse_amount

CellValue = str | list[str]
Report = Callable[[str, str], None]

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2})?$")
# C0/C1 controls other than tab and newline; they have no place in a disclosure.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates (a YAML escape can make one): not text; writing the release would fail.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi embeddings, overrides and isolates: they make text display in another order than it is
# stored.  Refused in every column (see tests/test_importers_fuzz.py for the policy).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Default-ignorable code points (Unicode DerivedCoreProperties) besides category Cf: drawn as
# nothing, so a name or number holding one looks identical to one that does not.
_DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
_LINE_BREAK = re.compile("[\n\u2028\u2029]")
# Amounts are 万元: from 0.000001 (0.01 元) up to 10^12 万元; beyond is a typo or an attack
# (an exponent of a million digits would be printed out in full).
_AMOUNT_MAX_EXPONENT = 12
_AMOUNT_MIN_EXPONENT = -6
_MULTI_SEPARATORS = re.compile(r"[；;、，,]")
_RESIDENT_ID_TYPES = ("身份证", "居民身份证")


def parse_date(text: str) -> dt.date:
    """A real calendar date, in the forms departments type; raises ValueError."""
    text = _TIME_SUFFIX.sub("", text.strip())
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    raise ValueError(text)


def check_cells(row: Row, columns: tuple[Column, ...], report: Report) -> dict[str, CellValue]:
    """Every cell present, checked and normalised; refused cells are reported and left out."""
    values: dict[str, CellValue] = {}
    for column in (*columns, *OPERATION_COLUMNS):
        text = row.cells.get(column.id)
        if text is None:
            continue
        value = check_cell(column, text, row.cells, report)
        if value is not None:
            values[column.id] = value
    return values


def check_cell(column: Column, text: str, cells: dict[str, str], report: Report) -> CellValue | None:
    """One cell checked and normalised as its column says; a refused cell is reported, None returned."""
    label = column.label
    if len(text) > column.max_length:
        report(label, f"超过长度上限（{len(text)} > {column.max_length} 字）")
        return None
    if _SURROGATE.search(text):
        report(label, "含有无效字符（孤立的代理码位），请检查文件编码")
        return None
    if _CONTROL.search(text):
        report(label, "含有控制字符")
        return None
    if bidi := _BIDI_CONTROL.search(text):
        report(
            label,
            f"含有双向文本控制字符（{_code_point(bidi.group())}），会使文字显示顺序与实际内容不一致，请删除",
        )
        return None
    if column.type is not CellType.TEXT and _LINE_BREAK.search(text):
        report(label, "不能换行")
        return None
    if column.type is not CellType.TEXT and (invisible := _invisible(text)):
        report(
            label, f"含有不可见字符（{_code_point(invisible)}），看起来相同的名称或编号可能实际不同，请删除"
        )
        return None
    try:
        return _normalise(column, text, cells)
    except (InvalidIdentifier, RuleViolation) as exc:
        report(label, str(exc))
    except ValueError:
        report(label, f"“{_clip(text)}”不是有效日期（应为 YYYY-MM-DD 等格式的真实日期）")
    return None


def _normalise(column: Column, text: str, cells: dict[str, str]) -> CellValue:
    match column.type:
        case CellType.DATE:
            return parse_date(text).isoformat()
        case CellType.USCC:
            return _check_uscc(text)
        case CellType.ID_NUMBER:
            return _mask_id(column, text, cells)
        case CellType.AMOUNT:
            return format(_amount(text).normalize(), "f")
        case CellType.CHOICE:
            if text not in column.choices:
                raise RuleViolation(f"“{_clip(text)}”不是可选值（{'、'.join(column.choices)}）")
            return text
        case CellType.MULTI_CHOICE:
            chosen = list(dict.fromkeys(p.strip() for p in _MULTI_SEPARATORS.split(text) if p.strip()))
            wrong = [p for p in chosen if p not in column.choices]
            if wrong or not chosen:
                raise RuleViolation(f"“{_clip('、'.join(wrong))}”不是可选值（{'、'.join(column.choices)}）")
            return chosen
        case _:
            return text


def _check_uscc(text: str) -> str:
    """A valid credit code that is not also a valid identity-card number (privacy first)."""
    code = validate_uscc(text)
    if find_full_ric(code):
        raise InvalidIdentifier(
            "该代码同时是有效的居民身份证号码，为保护个人信息不予公示：自然人的证件号码应填在证件号码列"
        )
    return code


def _amount(text: str) -> Decimal:
    value = parse_amount(text)
    if value and not _AMOUNT_MIN_EXPONENT <= value.adjusted() <= _AMOUNT_MAX_EXPONENT:
        raise RuleViolation(f"金额“{_clip(text)}”超出合理范围（单位为万元）")
    return value


def _invisible(text: str) -> str:
    """The first invisible character: format characters (Cf) and other default-ignorables."""
    found = _DEFAULT_IGNORABLE.search(text)
    if found:
        return found.group()
    return next((ch for ch in text if unicodedata.category(ch) == "Cf"), "")


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def _mask_id(column: Column, text: str, cells: dict[str, str]) -> str:
    """Check a resident ID number and return it masked; other documents are masked too."""
    type_key = "legal_representative_id_type" if column.id.startswith("legal_representative") else "id_type"
    id_type = cells.get(type_key)
    compact = "".join(text.split()).upper()
    if id_type in _RESIDENT_ID_TYPES or (id_type is None and re.fullmatch(r"\d{17}[\dX]|\d{15}", compact)):
        return mask_ric(validate_ric(compact))
    return mask_other_id(compact)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
