"""Read department files into rows of cells keyed by column id.

Departments send CSV (UTF-8, UTF-8 with BOM or GB18030), XLSX, and YAML for
typical cases.  Importers only read and map headers; every check of a cell's
content is staging's.  Each row keeps its file and physical line so that an
error can say ``FILE:LINE: column: message``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from disclosure.fields import CASE_COLUMNS, COLUMNS, KIND_MARKERS, LIST_COLUMNS, Column, header_index
from disclosure.fields import normalize_header as _normalize_header
from disclosure.model import Kind

# Cells can legitimately be long (违法事实, a case's body), but not unbounded.
MAX_CELL_BYTES = 1_000_000
csv.field_size_limit(MAX_CELL_BYTES * 4)

SUBJECTS_KEY = "subjects"
_SUBJECT_KEYS = {"名称": "name", "name": "name", "统一社会信用代码": "code", "code": "code"}


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning, printed as ``FILE:LINE: column: message``."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


@dataclass
class Row:
    file: str
    line: int
    table: str  # "licensing", "penalty", "list" or "case"
    cells: dict[str, str]
    subjects: list[dict[str, str]] = field(default_factory=list)  # typical cases only


@dataclass
class Table:
    file: str
    table: str
    columns: dict[str, Column]  # column id -> column, for the headers present
    rows: list[Row]


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def read_file(path: Path) -> Table:
    """Read one department file; raises :class:`ImportFailed` with every problem found."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    raise ImportFailed([Problem(path.name, 0, "-", "不支持的文件类型（应为 .csv、.xlsx 或 .yaml）")])


def clean_cell(value: str) -> str:
    """NFC, trimmed of ASCII and ideographic spaces; inner text is kept as typed."""
    return unicodedata.normalize("NFC", value).strip(" \t\r\n\u3000\ufeff")


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed([Problem(path.name, 1, "-", "文件编码无法识别（应为 UTF-8 或 GB18030）")])


def _map_headers(file: str, headers: list[str]) -> tuple[str, list[Column | None], list[Problem]]:
    """Find the table from its headers and map each header to a column."""
    normalized = [_normalize_header(h) for h in headers]
    table = ""
    for marker, name in KIND_MARKERS:
        if _normalize_header(marker) in normalized:
            table = name
            break
    if not table:
        return (
            "",
            [],
            [
                Problem(
                    file, 1, "-", "无法识别表格类型：缺少行政许可决定文书号、行政处罚决定书文号或名单名称列"
                )
            ],
        )
    columns = {"licensing": COLUMNS[Kind.LICENSING], "penalty": COLUMNS[Kind.PENALTY], "list": LIST_COLUMNS}
    index = header_index(columns[table])
    problems: list[Problem] = []
    mapped: list[Column | None] = []
    seen: dict[str, str] = {}
    for position, (header, key) in enumerate(zip(headers, normalized, strict=True), start=1):
        if not key:
            problems.append(Problem(file, 1, f"第{position}列", "列名为空"))
            mapped.append(None)
            continue
        column = index.get(key)
        if column is None:
            problems.append(Problem(file, 1, header, "未知列名（只接受国家标准字段，防止公开非公示信息）"))
        elif column.id in seen:
            problems.append(Problem(file, 1, header, f"列重复（与“{seen[column.id]}”相同）"))
            column = None
        else:
            seen[column.id] = header
        mapped.append(column)
    return table, mapped, problems


def _rows_to_table(file: str, records: Iterator[tuple[int, list[str]]]) -> Table:
    problems: list[Problem] = []
    first = next(records, None)
    if first is None:
        raise ImportFailed([Problem(file, 1, "-", "文件为空")])
    table, mapped, header_problems = _map_headers(file, [clean_cell(h) for h in first[1]])
    problems.extend(header_problems)
    if not table:
        raise ImportFailed(problems)
    rows: list[Row] = []
    for line, values in records:
        if not any(clean_cell(v) for v in values):
            continue
        if len(values) > len(mapped):
            problems.append(Problem(file, line, "-", f"本行有{len(values)}列，表头只有{len(mapped)}列"))
            continue
        cells = {
            column.id: clean_cell(value)
            for column, value in zip(mapped, values, strict=False)
            if column is not None and clean_cell(value)
        }
        rows.append(Row(file=file, line=line, table=table, cells=cells))
    if problems:
        raise ImportFailed(problems)
    present = {c.id: c for c in mapped if c is not None}
    return Table(file=file, table=table, columns=present, rows=rows)


def _read_csv(path: Path) -> Table:
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)

    def records() -> Iterator[tuple[int, list[str]]]:
        start = 1
        try:
            for values in reader:
                yield start, values
                start = reader.line_num + 1
        except csv.Error as exc:
            problem = Problem(path.name, start, "-", f"文件格式错误（可能被截断或引号未闭合）：{exc}")
            raise ImportFailed([problem]) from exc

    return _rows_to_table(path.name, records())


def _read_xlsx(path: Path) -> Table:
    import openpyxl  # imported here: loading it costs ~0.3 s that CSV-only runs need not pay

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip/xml
        raise ImportFailed([Problem(path.name, 1, "-", f"无法读取 XLSX 文件：{exc}")]) from exc
    try:
        sheet = workbook.worksheets[0]

        def records() -> Iterator[tuple[int, list[str]]]:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_xlsx_cell(v) for v in values]

        return _rows_to_table(path.name, records())
    finally:
        workbook.close()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _read_yaml(path: Path) -> Table:
    text = _decode(path, path.read_bytes())
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ImportFailed([Problem(path.name, line, "-", f"YAML 格式错误：{exc}")]) from exc
    if root is None:
        raise ImportFailed([Problem(path.name, 1, "-", "文件为空")])
    if not isinstance(root, yaml.SequenceNode):
        raise ImportFailed([Problem(path.name, 1, "-", "典型案例文件应为案例列表（YAML 序列）")])
    index = header_index(CASE_COLUMNS)
    problems: list[Problem] = []
    rows: list[Row] = []
    for item in root.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(Problem(path.name, line, "-", "每个案例应为键值映射"))
            continue
        row = Row(file=path.name, line=line, table="case", cells={})
        for key_node, value_node in item.value:
            key = _normalize_header(str(key_node.value))
            key_line = key_node.start_mark.line + 1
            if key in ("涉及主体", SUBJECTS_KEY):
                row.subjects = _yaml_subjects(path.name, value_node, problems)
                continue
            column = index.get(key)
            if column is None:
                problems.append(Problem(path.name, key_line, str(key_node.value), "未知字段"))
            elif not isinstance(value_node, yaml.ScalarNode):
                problems.append(Problem(path.name, key_line, column.label, "应为文本"))
            elif clean_cell(value_node.value):
                row.cells[column.id] = clean_cell(value_node.value)
        rows.append(row)
    if problems:
        raise ImportFailed(problems)
    present = {c.id: c for c in CASE_COLUMNS}
    return Table(file=path.name, table="case", columns=present, rows=rows)


def _yaml_subjects(file: str, node: yaml.Node, problems: list[Problem]) -> list[dict[str, str]]:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(file, line, "涉及主体", "应为列表"))
        return []
    subjects = []
    for item in node.value:
        if not isinstance(item, yaml.MappingNode):
            problems.append(
                Problem(file, item.start_mark.line + 1, "涉及主体", "每个主体应为{名称, 统一社会信用代码}")
            )
            continue
        subject: dict[str, str] = {}
        for key_node, value_node in item.value:
            key = _SUBJECT_KEYS.get(str(key_node.value))
            if key is None or not isinstance(value_node, yaml.ScalarNode):
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, "涉及主体", f"未知字段“{key_node.value}”")
                )
            elif clean_cell(value_node.value):
                subject[key] = clean_cell(value_node.value)
        subjects.append(subject)
    return subjects
