"""Checking and normalising single cells by their column's type.

Every message is user-facing Chinese; the caller adds file, line and column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from disclosure.fields import OPERATION_COLUMNS, CellType, Column
from disclosure.identifiers import InvalidIdentifier, mask_other_id, mask_ric, validate_ric, validate_uscc
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
        value = _check_cell(column, text, row.cells, report)
        if value is not None:
            values[column.id] = value
    return values


def _check_cell(column: Column, text: str, cells: dict[str, str], report: Report) -> CellValue | None:
    label = column.label
    if len(text) > column.max_length:
        report(label, f"超过长度上限（{len(text)} > {column.max_length} 字）")
        return None
    if _CONTROL.search(text):
        report(label, "含有控制字符")
        return None
    if column.type is not CellType.TEXT and "\n" in text:
        report(label, "不能换行")
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
            return validate_uscc(text)
        case CellType.ID_NUMBER:
            return _mask_id(column, text, cells)
        case CellType.AMOUNT:
            return format(parse_amount(text).normalize(), "f")
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
