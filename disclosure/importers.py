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
import re
import unicodedata
import zipfile
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
# PyYAML is pure Python (about 1 MB/s): a bound keeps a hostile file from holding staging up.
# A week's typical cases are a few articles of at most 50 000 characters each.
MAX_YAML_BYTES = 5_000_000
# An XLSX is a zip: openpyxl reads its shared strings whole, so bound what the zip says it holds
# (zipfile never inflates a member beyond its declared size).  50 000 rows are about 50 MB.
MAX_XLSX_UNZIPPED_BYTES = 200_000_000
# Deeper YAML than this is no typical case; PyYAML's composer would hit Python's recursion limit.
MAX_YAML_DEPTH = 20

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
        # Headers, keys and cell snippets come from the file: print them so that a terminal or
        # a log cannot act on them and the problem stays on one line.
        column = self.column if len(self.column) <= 40 else self.column[:40] + "…"
        return f"{shown(self.file)}:{self.line}: {shown(column)}: {shown(self.message)}"


_UNSHOWN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff\U000e0000-\U000e007f]"
)


def shown(text: str) -> str:
    """Controls, line breaks, bidi and zero-width characters as visible escapes (\\x1b, \\u202e)."""
    return _UNSHOWN.sub(
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text
    )


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
    raise ImportFailed([Problem(path.name, 1, "-", "不支持的文件类型（应为 .csv、.xlsx 或 .yaml）")])


def clean_cell(value: str) -> str:
    """NFC, trimmed of ASCII and ideographic spaces; inner text is kept as typed."""
    return unicodedata.normalize("NFC", value).strip(" \t\r\n\u3000\ufeff")


def _decode(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            if _cut_inside_last_character(data, exc):
                # Not the other encoding: a file that ends inside a character was cut short.
                # (GB18030 would read a cut UTF-8 file as plausible but wrong Chinese.)
                line = data.count(b"\n", 0, exc.start) + 1
                raise ImportFailed(
                    [Problem(path.name, line, "-", "文件在一个字符的中间结束，可能被截断，请重新导出")]
                ) from exc
    raise ImportFailed([Problem(path.name, 1, "-", "文件编码无法识别（应为 UTF-8 或 GB18030）")])


def _cut_inside_last_character(data: bytes, exc: UnicodeDecodeError) -> bool:
    """Everything decodes but an incomplete character at the very end."""
    return exc.end == len(data) and exc.reason in ("unexpected end of data", "incomplete multibyte sequence")


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


def _rows_to_table(
    file: str, records: Iterator[tuple[int, list[str]]], problems: list[Problem] | None = None
) -> Table:
    """Map the header row, then collect the rows; ``problems`` may also get cell problems from ``records``."""
    problems = [] if problems is None else problems
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

    if _unzipped_size(path) > MAX_XLSX_UNZIPPED_BYTES:
        raise ImportFailed(
            [Problem(path.name, 1, "-", f"文件解压后过大（超过 {MAX_XLSX_UNZIPPED_BYTES // 1_000_000} MB）")]
        )
    try:
        # data_only=False: a formula cell reads as its formula, so it can be refused rather
        # than replaced by a cached value that nobody reviewed (or by nothing, if none is cached).
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken zip/xml
        raise ImportFailed([Problem(path.name, 1, "-", _unreadable_xlsx(exc))]) from exc
    try:
        if not workbook.worksheets:
            raise ImportFailed([Problem(path.name, 1, "-", "XLSX 文件中没有工作表")])
        sheet = workbook.worksheets[0]
        # The declared dimension may be wrong or huge: read only the cells that are there.
        sheet.reset_dimensions()
        problems: list[Problem] = []
        return _rows_to_table(path.name, _xlsx_records(path.name, sheet, problems), problems)
    finally:
        workbook.close()


def _unzipped_size(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return 0  # not a zip (or one zipfile cannot read, e.g. a damaged version field): openpyxl says so


def _xlsx_records(file: str, sheet: Any, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """Rows as text; formulas and error values are reported and read as empty.

    The sheet is parsed lazily while rows are read, so a broken sheet fails here, not on load.
    """
    headers: list[str] = []
    number = 0
    try:
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for position, cell in enumerate(cells, start=1):
                column = headers[position - 1] if position <= len(headers) else ""
                problem = _xlsx_problem(cell.data_type, cell.value)
                if problem:
                    problems.append(Problem(file, number, column or f"第{position}列", problem))
                    values.append("")
                else:
                    values.append(_xlsx_cell(cell.value))
            if number == 1:
                headers = [clean_cell(v) for v in values]
            yield number, values
    except Exception as exc:  # a broken sheet or string table: openpyxl raises many types
        raise ImportFailed([Problem(file, number + 1, "-", _unreadable_xlsx(exc))]) from exc


# How much of the library's own words an unreadable XLSX's message keeps: zipfile's can quote
# whole damaged headers as bytes (2,000 characters and more), which no one reading the error needs.
XLSX_REASON_LENGTH = 200


def _unreadable_xlsx(exc: Exception) -> str:
    """The message for an XLSX that openpyxl or zipfile could not read: what they said, cut short."""
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if len(reason) > XLSX_REASON_LENGTH:
        reason = reason[: XLSX_REASON_LENGTH - 1] + "…"
    return f"无法读取 XLSX 文件（文件可能已损坏）：{reason}"


def _xlsx_problem(data_type: str, value: Any) -> str:
    if data_type == "f":
        formula = _clip(str(getattr(value, "text", value)))  # an ArrayFormula keeps its text apart
        return f"单元格含有公式（{formula}）：请复制后“选择性粘贴为数值”再提交"
    if data_type == "e":
        return f"单元格为错误值“{value}”（公式出错或日期超出范围），请更正后再提交"
    return ""


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
    data = path.read_bytes()
    if len(data) > MAX_YAML_BYTES:
        raise ImportFailed([Problem(path.name, 1, "-", f"文件过大（超过 {MAX_YAML_BYTES // 1_000_000} MB）")])
    text = _decode(path, data)
    try:
        # compose, not load: nodes only, no tag is ever constructed (and aliases stay shared).
        root = yaml.compose(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        raise ImportFailed([Problem(path.name, _yaml_error_line(text, exc), "-", _yaml_error(exc))]) from exc
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
        seen: dict[str, str] = {}
        for key_node, value_node in item.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):  # never str() it: an alias may be huge
                problems.append(Problem(path.name, key_line, "-", "字段名应为文本"))
                continue
            key = _normalize_header(key_node.value)
            if key in ("涉及主体", SUBJECTS_KEY):
                key = "涉及主体"
            column = index.get(key)
            if column is not None or key == "涉及主体":
                name = column.id if column is not None else SUBJECTS_KEY
                if name in seen:  # as with a repeated CSV header: which one is meant?
                    problems.append(
                        Problem(path.name, key_line, key_node.value, f"字段重复（与“{seen[name]}”相同）")
                    )
                    continue
                seen[name] = key_node.value
            if key == "涉及主体":
                row.subjects = _yaml_subjects(path.name, value_node, problems)
                continue
            if column is None:
                problems.append(Problem(path.name, key_line, key_node.value, "未知字段"))
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
            if not isinstance(key_node, yaml.ScalarNode):  # never str() it: an alias may be huge
                problems.append(Problem(file, key_node.start_mark.line + 1, "涉及主体", "字段名应为文本"))
                continue
            key = _SUBJECT_KEYS.get(key_node.value)
            if key is None or not isinstance(value_node, yaml.ScalarNode):
                problems.append(
                    Problem(
                        file, key_node.start_mark.line + 1, "涉及主体", f"未知字段“{_clip(key_node.value)}”"
                    )
                )
            elif clean_cell(value_node.value):
                subject[key] = clean_cell(value_node.value)
        subjects.append(subject)
    return subjects


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader's composer with a nesting limit (it recurses once per level)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_YAML_DEPTH:
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = event.start_mark if isinstance(event.start_mark, yaml.error.Mark) else None
            raise yaml.composer.ComposerError(None, None, f"嵌套超过 {MAX_YAML_DEPTH} 层", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_error_line(text: str, exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)  # a ReaderError: an unacceptable character
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return 1


def _yaml_error(exc: yaml.YAMLError) -> str:
    """One line, without PyYAML's multi-line excerpt of the file."""
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"YAML 格式错误：不允许的字符 U+{exc.character:04X}"
            if isinstance(exc.character, int)
            else "YAML 格式错误"
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [str(p) for p in (exc.context, exc.problem) if p]
        return "YAML 格式错误：" + _clip("；".join(parts) or "无法解析")
    return "YAML 格式错误：" + _clip(str(exc))


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
