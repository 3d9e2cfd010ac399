"""Fuzz tests of every importer: a hostile department file is refused cleanly or published inert.

The property, for CSV (UTF-8, UTF-8 with BOM, GB18030), XLSX and YAML alike: staging an
arbitrary file either

(a) refuses the batch: every error is a :class:`Problem` printed on one line as
    ``FILE:LINE: column: message`` (LINE >= 1: the physical line of a CSV, the row of a
    sheet, the item's line in YAML; column non-empty; nothing a terminal would act on),
    no exception but the project's own escapes, and nothing is staged or written; or
(b) accepts it, and every published string is inert: no C0/C1 control character but tab
    (and newline in free text), no lone surrogate, no bidi control, no invisible character
    outside free text, no full identity-card number (even in full-width digits or split by
    zero-width characters), and every value within its column's length limit.

Policy for invisible and bidirectional characters (enforced in ``disclosure._internal.cells``):

- Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are refused in every
  cell, free text included.  Chinese official documents have no use for them, an override can
  make a name or number display in another order than it is stored, and an unbalanced isolate
  still reorders plain-text outputs (CSV downloads, feeds) that ``<bdi>`` on the site cannot
  protect.  One rule for all columns is easier for departments to follow than a split one.
- In every column that is not free text (names, codes, document numbers, dates, choices,
  amounts, ID numbers, a typical case's subjects) every invisible format character (Unicode
  category Cf: U+200B–U+200D, U+FEFF, U+2060, U+200E/U+200F, U+00AD, tag characters …) is
  refused, so two names or numbers that look identical are identical.  A credit code with a
  zero-width space is refused either way (it is no longer 18 characters).
- Free text (违法事实, 正文 …) keeps other format characters as typed (text pasted from web
  pages carries zero-width spaces; emoji carry joiners); the full-ID-number check reads through
  them and through full-width digits, so they cannot hide an identity-card number.
- Lone surrogates (which a YAML escape can make) are refused everywhere.

The site additionally wraps every published value in ``<bdi>``.

Formula-like text (``=…``, ``+…``, ``-…``, ``@…``) is published as its text: it is inert on the
site; neutralising it in spreadsheet downloads is the download writer's job.  A real XLSX
formula cell is refused (never evaluated, never replaced by a cached value the reviewer cannot
see), as is an Excel error value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
import re
import shutil
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from disclosure import importers
from disclosure.canonical import canonical_bytes
from disclosure.fields import CASE_COLUMNS, COLUMNS, CellType, Column
from disclosure.identifiers import find_full_ric, is_valid_uscc
from disclosure.importers import ImportFailed, Problem, read_file
from disclosure.keys import generate_private_key
from disclosure.model import Decision, Entry, Kind, entry_to_json
from disclosure.rules import load_rules
from disclosure.stage import StagingError, stage_files, stage_tables
from disclosure.trust import init_trust_store
from tests.factories import COMPANY, PERSON_ID, case_item, id_number, licensing_row, list_row, penalty_row

pytestmark = pytest.mark.xdist_group("fuzz")

RULES = load_rules()
RELEASE_DAY = dt.date(2026, 11, 16)
SALT = "c2FsdHNhbHRzYWx0c2FsdA"

ROWS = {"penalty": penalty_row, "licensing": licensing_row, "list": list_row}
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def _ric_shaped_code() -> str:
    """A number that is both a valid identity-card number and a valid credit code."""
    for sequence in range(1000):
        number = id_number(f"35010219800101{sequence:03d}")
        if is_valid_uscc(number):
            return number
    raise AssertionError("no identity number in range is also a credit code")


RIC_SHAPED_CODE = _ric_shaped_code()
FULLWIDTH_RIC = PERSON_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
SPLIT_RIC = PERSON_ID[:6] + "\u200b" + PERSON_ID[6:14] + "\u2060" + PERSON_ID[14:]
OLD_RIC = PERSON_ID[:6] + PERSON_ID[8:17]  # the 15-digit form of the same person

# Text that has bitten someone somewhere: markup, template syntax, formulas, invisible and
# bidi characters, controls, CSV quoting, identity numbers in disguise.
SNIPPETS = (
    "<script>alert(1)</script>",
    "</textarea><img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% include '/etc/passwd' %}",
    "{#",
    "${7*7}",
    "=1+1",
    '=HYPERLINK("http://example.invalid","点此")',
    "+86 591",
    "-2+3",
    "@SUM(A1)",
    "\u202e",
    "\u202d",
    "\u202a",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u2060",
    "\u00ad",
    "\U000e0041",
    "\x00",
    "\x07",
    "\x1b[2J",
    "\r",
    "\n",
    "\r\n",
    "\x85",
    "\x9b",
    "\x7f",
    "\u2028",
    "\u2029",
    "\t",
    '"',
    '""',
    ",",
    "；",
    "\\",
    "\u3000",
    "\xa0",
    "１２３",
    "٣",
    PERSON_ID,
    FULLWIDTH_RIC,
    SPLIT_RIC,
    OLD_RIC,
    RIC_SHAPED_CODE,
)
WEIRD_CHARACTERS = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Mn", "So"])
VALUE_FORMS = (
    "0",
    "-1",
    "1e999999999",
    "1e99999",
    "1E-999999",
    "NaN",
    "Infinity",
    "1_000",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "20261112",
    "46338",
    "2026年11月12日",
    "2026-11-12 25:61",
    "新增",
    "变更",
    "撤销",
    "信用修复",
    "自然人",
    "身份证",
    "护照",
)


@st.composite
def hostile_text(draw: st.DrawFn, base: str = "", huge: tuple[int, ...] = (201, 5001, 1_000_001)) -> str:
    """A realistic value with something hostile in it, or something hostile instead of it."""
    snippet = draw(
        st.one_of(
            st.sampled_from(SNIPPETS),
            st.text(WEIRD_CHARACTERS, min_size=1, max_size=4),
            st.text(max_size=20),
        )
    )
    form = draw(st.sampled_from(("insert", "replace", "value", "huge", "text")))
    if form == "insert":
        position = draw(st.integers(0, len(base)))
        return base[:position] + snippet + base[position:]
    if form == "replace":
        return snippet
    if form == "value":
        return draw(st.sampled_from(VALUE_FORMS))
    if form == "huge":
        return draw(st.sampled_from(("长", "A", "\u200b", "1"))) * draw(st.sampled_from(huge))
    return draw(st.text(max_size=60))


@dataclass(frozen=True)
class CsvCase:
    """One or two realistic rows; the last one gets the overrides (header -> value)."""

    table: str
    overrides: dict[str, str]
    encoding: str = "utf-8-sig"
    clean_first_row: bool = False


@st.composite
def csv_cases(draw: st.DrawFn) -> CsvCase:
    table = draw(st.sampled_from(sorted(ROWS)))
    base = ROWS[table]()
    labels = sorted(base) + ["操作", "证件号码", "证件类型", "备注", "公示截止期"]
    keys = draw(st.lists(st.sampled_from(labels), max_size=3, unique=True))
    overrides = {key: draw(hostile_text(base.get(key, ""))) for key in keys}
    return CsvCase(table, overrides, draw(st.sampled_from(ENCODINGS)), draw(st.booleans()))


def csv_rows(case: CsvCase) -> list[dict[str, str]]:
    make = ROWS[case.table]
    rows = [make("榕测试〔2026〕1号", 备注="第一行\n第二行")] if case.clean_first_row else []
    last = make("榕测试〔2026〕2号")
    last.update(case.overrides)
    rows.append(last)
    for row in rows:  # every row has every header, in a stable order
        for header in case.overrides:
            row.setdefault(header, "")
    return rows


def csv_bytes(rows: list[dict[str, str]], encoding: str, headers: list[str] | None = None) -> bytes:
    fieldnames = headers if headers is not None else list(dict.fromkeys(h for row in rows for h in row))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fieldnames)
    for row in rows:
        writer.writerow([row.get(h, "") for h in fieldnames])
    text = buffer.getvalue()
    # Lone surrogates cannot be stored in a text file: UTF-8 gets the bytes an unpaired
    # surrogate would have (invalid UTF-8), GB18030 a replacement.
    errors = "surrogatepass" if encoding.startswith("utf-8") else "replace"
    return text.encode(encoding, errors=errors)


# --- running and checking -----------------------------------------------------------------------


@dataclass
class Outcome:
    errors: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


def stage_one(path: Path, published: dict[str, Decision] | None = None) -> Outcome:
    """read_file + stage_tables; any exception but ImportFailed fails the test."""
    try:
        table = read_file(path)
    except ImportFailed as exc:
        assert exc.problems, "a refusal must say why"
        return Outcome(exc.problems)
    result = stage_tables(
        [table], published=published or {}, release_date=RELEASE_DAY, rules=RULES, salt=lambda: SALT
    )
    return Outcome(result.errors, result.warnings, result.entries)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Module-scoped: hypothesis runs many examples per test; each gets its own folder."""
    return tmp_path_factory.mktemp("fuzz")


_folders = itertools.count()


def write(scratch: Path, name: str, data: bytes) -> Path:
    folder = scratch / str(next(_folders))
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path


def text_lines(data: bytes) -> int:
    """At least the physical lines a reader may count (YAML also ends a line at NEL, LS and PS)."""
    breaks = (b"\n", b"\r", b"\x85", "\u2028".encode(), "\u2029".encode())
    return sum(data.count(b) for b in breaks) + 1


LINE_FORMAT = re.compile(r"(?P<file>[^\n]+?):(?P<line>[1-9][0-9]*): (?P<column>[^\n]+?): (?P<message>[^\n]+)")
UNSHOWABLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def assert_well_formed(problem: Problem, file: str, last_line: int) -> None:
    text = str(problem)
    assert LINE_FORMAT.fullmatch(text), ascii(text)
    assert text.startswith(f"{file}:{problem.line}: "), ascii(text)
    assert 1 <= problem.line <= last_line, (problem.line, last_line, ascii(text))
    assert problem.column.strip() and problem.message.strip(), ascii(text)
    assert not [ch for ch in text if unicodedata.category(ch) in UNSHOWABLE], ascii(text)
    assert len(text) < 2000, ascii(text[:300])


def check(path: Path, outcome: Outcome, last_line: int) -> None:
    """The property: refused cleanly, or accepted and inert."""
    for problem in (*outcome.errors, *outcome.warnings):
        assert_well_formed(problem, path.name, last_line)
    if outcome.errors:
        assert outcome.entries == []
    for entry in outcome.entries:
        assert_inert(entry)


def ric_scan_text(text: str) -> str:
    """What a reader sees: width folded, invisible characters gone, every decimal digit ASCII."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch
        for ch in folded
        if unicodedata.category(ch) != "Cf"
    )


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def strings(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from strings(item, path)


def columns_of(kind: Kind) -> dict[str, Column]:
    return {c.id: c for c in COLUMNS[kind]}


def assert_inert(entry: Entry) -> None:
    canonical_bytes(entry_to_json(entry))  # what write_release does: must not fail
    free_text = {"basis"}
    if isinstance(entry, Decision):
        columns = columns_of(entry.kind)
        free_text = {f"fields.{c.id}" for c in columns.values() if c.type is CellType.TEXT}
        for column_id, value in entry.fields.items():
            if isinstance(value, str) and column_id in columns:
                assert len(value) <= columns[column_id].max_length, (column_id, len(value))
        assert 0 < len(entry.subject.name) <= 200
        assert entry.subject.code is None or len(entry.subject.code) == 18
        assert 0 < len(entry.department.name) <= 200 and len(entry.department.code) == 18
        subjects = entry.fields.get("subjects", [])
        assert isinstance(subjects, list)
        for subject in subjects:
            assert isinstance(subject, dict)
            assert 0 < len(str(subject["name"])) <= 200
    else:
        assert len(entry.basis) <= 1000
    for where, text in strings(entry_to_json(entry)):
        text.encode("utf-8")  # no lone surrogate
        allowed = "\t\n" if where in free_text else "\t"
        controls = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed]
        assert not controls, (where, ascii(text[:200]))
        assert not BIDI_CONTROLS & set(text), (where, ascii(text[:200]))
        if where not in free_text:
            invisible = [ch for ch in text if unicodedata.category(ch) in ("Cf", "Zl", "Zp")]
            assert not invisible, (where, ascii(text[:200]))
        assert not find_full_ric(text), (where, text[:200])
        assert not find_full_ric(ric_scan_text(text)), (where, ascii(text[:200]))


# deadline=None: the time of one example depends on the machine; the tests that guard against
# slow paths time themselves with a generous bound.  DISCLOSURE_FUZZ_SCALE=50 runs a deep campaign.
SCALE = int(os.environ.get("DISCLOSURE_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=150 * SCALE, deadline=None)
SLOW = settings(max_examples=60 * SCALE, deadline=None)  # an XLSX is written and read per example
FEW = settings(max_examples=40 * SCALE, deadline=None)


# --- CSV ------------------------------------------------------------------------------------------


@FUZZ
@given(case=csv_cases())
@example(case=CsvCase("penalty", {"罚款金额（万元）": "1e999999999"}))  # decimal.Overflow escaped
@example(case=CsvCase("penalty", {"罚款金额（万元）": "1e99999"}))  # a 100 000-digit amount
@example(case=CsvCase("penalty", {"罚款金额（万元）": PERSON_ID}))  # an ID number as an amount
@example(case=CsvCase("penalty", {"违法事实": f"身份证{FULLWIDTH_RIC}"}, "gb18030"))
@example(case=CsvCase("penalty", {"违法事实": f"身份证{SPLIT_RIC}"}))
@example(case=CsvCase("penalty", {"行政相对人代码_1": RIC_SHAPED_CODE}))
@example(case=CsvCase("list", {"认定部门统一社会信用代码": RIC_SHAPED_CODE}))
@example(case=CsvCase("penalty", {"行政相对人名称": "福州\u202e司公限有\u202c贸易"}))
@example(case=CsvCase("penalty", {"违法事实": "正常\u2067文字"}))
@example(case=CsvCase("penalty", {"行政处罚决定书文号": "榕市监处罚〔2026〕10\u200b01号"}))
@example(case=CsvCase("licensing", {"许可决定日期": "0001-01-01", "有效期自": "0001-01-01"}))
@example(case=CsvCase("penalty", {"\x1b[31m家庭住址\n": "x"}))
@example(case=CsvCase("penalty", {"行政相对人名称": "某公司\u2028第二行"}))
def test_csv_cells(scratch: Path, case: CsvCase) -> None:
    data = csv_bytes(csv_rows(case), case.encoding)
    path = write(scratch, "部门.csv", data)
    started = time.monotonic()
    outcome = stage_one(path)
    assert time.monotonic() - started < 10, "staging one small file must not take a minute"
    check(path, outcome, text_lines(data))


HEADER_PADS = (" ", "\u3000", "\ufeff", "\u200b", "\t", "\xa0", "\u202e", "\x00", "\n", '"')


@st.composite
def header_edits(draw: st.DrawFn) -> tuple[str, list[tuple[str, int, str]]]:
    table = draw(st.sampled_from(sorted(ROWS)))
    count = len(ROWS[table]())
    edit = st.tuples(
        st.sampled_from(("drop", "duplicate", "blank", "pad", "replace", "fullwidth", "append")),
        st.integers(0, count - 1),
        st.one_of(st.sampled_from(HEADER_PADS), st.text(max_size=8)),
    )
    return table, draw(st.lists(edit, min_size=1, max_size=4))


def edited_headers(headers: list[str], edits: list[tuple[str, int, str]]) -> list[str]:
    headers = list(headers)
    for action, index, text in edits:
        index %= len(headers) or 1
        if not headers:
            headers.append(text)
        elif action == "drop":
            del headers[index]
        elif action == "duplicate":
            headers.insert(index, headers[index])
        elif action == "blank":
            headers[index] = text if not text.strip() else ""
        elif action == "pad":
            headers[index] = text + headers[index] + text
        elif action == "replace":
            headers[index] = text
        elif action == "fullwidth":
            headers[index] = headers[index].replace("(", "（").replace(")", "）").replace("_", "＿")
        else:
            headers.append(text)
    return headers


@FUZZ
@given(edit=header_edits(), encoding=st.sampled_from(ENCODINGS))
@example(edit=("penalty", [("pad", 0, "\ufeff")]), encoding="utf-8-sig")
@example(edit=("penalty", [("duplicate", 3, "")]), encoding="gb18030")
@example(edit=("list", [("blank", 2, "")]), encoding="utf-8")
@example(edit=("licensing", [("replace", 1, "\x1b]0;pwned\x07" + "长" * 5000)]), encoding="utf-8")
def test_csv_headers(scratch: Path, edit: tuple[str, list[tuple[str, int, str]]], encoding: str) -> None:
    table, edits = edit
    row = ROWS[table]()
    headers = edited_headers(list(row), edits)
    values = {h.strip(" \u3000\ufeff"): v for h, v in row.items()}
    data = csv_bytes([{h: values.get(h.strip(" \u3000\ufeff"), "x") for h in headers}], encoding, headers)
    path = write(scratch, "表头.csv", data)
    check(path, stage_one(path), text_lines(data))


@st.composite
def byte_damage(draw: st.DrawFn) -> tuple[str, str, str, int, bytes]:
    table = draw(st.sampled_from(sorted(ROWS)))
    encoding = draw(st.sampled_from((*ENCODINGS, "utf-16", "big5", "latin-1", "shift_jis")))
    action = draw(st.sampled_from(("cut", "cut", "insert", "replace", "none")))
    return table, encoding, action, draw(st.integers(0, 10**6)), draw(st.binary(max_size=8))


def damaged(data: bytes, action: str, position: int, junk: bytes) -> bytes:
    position %= len(data) + 1
    if action == "cut":
        return data[:position]
    if action == "insert":
        return data[:position] + junk + data[position:]
    if action == "replace":
        return data[:position] + junk + data[position + len(junk) :]
    return data


@FUZZ
@given(damage=byte_damage())
@example(damage=("penalty", "utf-8", "cut", 10_000, b""))  # a cut inside a Chinese character
@example(damage=("penalty", "gb18030", "cut", 10_001, b""))
@example(damage=("list", "utf-8-sig", "insert", 40, b"\xff\xfe"))
@example(damage=("licensing", "utf-16", "none", 0, b""))
def test_csv_damaged_bytes(scratch: Path, damage: tuple[str, str, str, int, bytes]) -> None:
    table, encoding, action, position, junk = damage
    row = ROWS[table](违法事实="第一行，\n第二行。") if table == "penalty" else ROWS[table]()
    text = csv_bytes([row], "utf-8").decode("utf-8")
    original = text.encode(encoding, errors="replace")
    data = damaged(original, action, position, junk)
    path = write(scratch, "截断.csv", data)
    check(path, stage_one(path), text_lines(data))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_cut_inside_a_character_says_so(scratch: Path, encoding: str) -> None:
    data = csv_bytes([penalty_row(违法事实="第一行，\n第二行。")], encoding)
    cut = data[: data.index("第二行".encode(encoding)) + 1]
    found = [str(p) for p in stage_one(write(scratch, "t.csv", cut)).errors]
    assert found == ["t.csv:3: -: 文件在一个字符的中间结束，可能被截断，请重新导出"]


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
@example(data=b"\xef\xbb\xbf")
@example(data=b"\n\n\n")
@example(data="行政处罚决定书文号\n\x00".encode())
@example(data=('"' + "x" * 100).encode())
def test_csv_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = write(scratch, "乱码.csv", data)
    check(path, stage_one(path), text_lines(data))


def test_csv_megabyte_cell_is_refused_quickly(scratch: Path) -> None:
    row = penalty_row(违法事实="长" * 1_000_000, 备注="\u200b" * 2_000_000)
    data = csv_bytes([row], "utf-8")
    path = write(scratch, "大.csv", data)
    started = time.monotonic()
    outcome = stage_one(path)
    assert time.monotonic() - started < 10
    check(path, outcome, text_lines(data))
    assert {p.column for p in outcome.errors} == {"违法事实", "备注"}


# --- the policy, spelled out ------------------------------------------------------------------------


def staged_messages(scratch: Path, **overrides: str) -> list[str]:
    path = write(scratch, "p.csv", csv_bytes([penalty_row(**overrides)], "utf-8-sig"))
    outcome = stage_one(path)
    check(path, outcome, 3)
    return [str(p) for p in outcome.errors]


@pytest.mark.parametrize("character", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_refused_even_in_free_text(scratch: Path, character: str) -> None:
    found = staged_messages(scratch, 违法事实=f"当事人{character}销售过期食品")
    assert len(found) == 1 and found[0].startswith("p.csv:2: 违法事实: 含有双向文本控制字符"), found


@pytest.mark.parametrize("character", ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u200e", "\u00ad"])
def test_invisible_characters_are_refused_in_names_and_numbers(scratch: Path, character: str) -> None:
    found = staged_messages(scratch, 行政处罚决定书文号=f"榕市监处罚〔2026〕10{character}01号")
    assert len(found) == 1 and found[0].startswith("p.csv:2: 行政处罚决定书文号: 含有不可见字符"), found
    found = staged_messages(scratch, 行政相对人名称=f"福州鑫源{character}贸易有限公司")
    assert found and found[0].startswith("p.csv:2: 行政相对人名称: 含有不可见字符"), found


def test_a_credit_code_with_a_zero_width_space_is_refused(scratch: Path) -> None:
    found = staged_messages(scratch, 行政相对人代码_1=COMPANY[1][:9] + "\u200b" + COMPANY[1][9:])
    assert found and found[0].startswith("p.csv:2: 行政相对人代码_1: "), found


def test_free_text_keeps_zero_width_characters_but_not_hidden_id_numbers(scratch: Path) -> None:
    assert staged_messages(scratch, 违法事实="网页复制的文字\u200b，表情👨\u200d👩\u200d👧") == []
    for hidden in (SPLIT_RIC, FULLWIDTH_RIC):
        found = staged_messages(scratch, 违法事实=f"当事人身份证号{hidden}")
        assert found == [
            "p.csv:2: 违法事实: 含有完整的居民身份证号码：证件号码只能填在证件号码列（公示时将隐去第7至14位）"
        ]


def test_a_credit_code_that_is_also_an_identity_number_is_refused(scratch: Path) -> None:
    found = staged_messages(scratch, 行政相对人代码_1=RIC_SHAPED_CODE)
    assert found and found[0].startswith("p.csv:2: 行政相对人代码_1: ") and "身份证" in found[0], found


def test_formula_like_text_is_published_as_text(scratch: Path) -> None:
    path = write(scratch, "p.csv", csv_bytes([penalty_row(备注="=1+1", 违法事实="@SUM(A1) +1 -1")], "utf-8"))
    outcome = stage_one(path)
    assert outcome.errors == [] and len(outcome.entries) == 1
    entry = outcome.entries[0]
    assert isinstance(entry, Decision) and entry.fields["remarks"] == "=1+1"


def test_problems_print_hostile_text_escaped_on_one_line() -> None:
    problem = Problem("p\x1b]0;x\x07.csv", 1, "\x1b[2J列\n名\u202e" + "长" * 100, "未知列名\u2028")
    text = str(problem)
    assert "\x1b" not in text and "\n" not in text and "\u202e" not in text and "\u2028" not in text
    assert text.startswith("p\\x1b]0;x\\x07.csv:1: \\x1b[2J列\\n名\\u202e长") and text.endswith(
        "…: 未知列名\\u2028"
    )


# --- follow-up operations against a published entry -----------------------------------------------


@pytest.fixture(scope="module")
def published(scratch: Path) -> dict[str, Decision]:
    path = write(scratch, "first.csv", csv_bytes([penalty_row()], "utf-8"))
    outcome = stage_one(path)
    entry = outcome.entries[0]
    assert outcome.errors == [] and isinstance(entry, Decision)
    return {entry.id: entry}


def followup_row(**overrides: str) -> dict[str, str]:
    base = penalty_row()
    row = {key: base[key] for key in ("行政处罚决定书文号", "处罚机关", "处罚机关统一社会信用代码")}
    row.update(
        {"操作": "撤销", "操作日期": "2026-11-13", "操作原因": "决定被撤销", "操作依据": "榕政复〔2026〕1号"}
    )
    row.update(overrides)
    return row


@st.composite
def followups(draw: st.DrawFn) -> dict[str, str]:
    row = followup_row(操作=draw(st.sampled_from(("撤销", "信用修复", "变更"))))
    keys = draw(st.lists(st.sampled_from(sorted(row)), max_size=2, unique=True))
    return {key: draw(hostile_text(row[key])) for key in keys} | {"操作": row["操作"]}


@FEW
@given(overrides=followups())
@example(overrides={"操作": "撤销", "操作日期": "0001-01-01"})  # counted 739 000 days: 44 s
@example(overrides={"操作": "撤销", "操作依据": f"依据身份证{SPLIT_RIC}"})
@example(overrides={"操作": "撤销", "操作依据": "第一行\n第二行\u202e"})
def test_csv_followups(scratch: Path, published: dict[str, Decision], overrides: dict[str, str]) -> None:
    data = csv_bytes([followup_row(**overrides)], "utf-8-sig")
    path = write(scratch, "跟进.csv", data)
    started = time.monotonic()
    outcome = stage_one(path, published)
    assert time.monotonic() - started < 10
    check(path, outcome, text_lines(data))


# --- XLSX -----------------------------------------------------------------------------------------

CellSpec = tuple[str, object]  # ("text" | "formula" | "number" | "date" | "serial" | "error", value)


@st.composite
def cell_specs(draw: st.DrawFn, base: str) -> CellSpec:
    form = draw(st.sampled_from(("text", "text", "formula", "number", "date", "serial", "error")))
    if form == "text":
        return form, draw(hostile_text(base))
    if form == "formula":
        return form, draw(
            st.sampled_from(("=TODAY()", "=A2", '="榕"&"市监"', "=1/0", '=WEBSERVICE("http://x")'))
        )
    if form == "number":
        return form, draw(st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)))
    if form == "date":
        return form, draw(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)))
    if form == "serial":
        return form, draw(st.one_of(st.integers(-(10**7), 10**9), st.floats(-1e12, 1e12)))
    return form, draw(st.sampled_from(("#N/A", "#VALUE!", "#REF!", "#DIV/0!")))


@st.composite
def xlsx_cases(draw: st.DrawFn) -> tuple[str, dict[str, CellSpec]]:
    table = draw(st.sampled_from(sorted(ROWS)))
    base = ROWS[table]()
    keys = draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True))
    return table, {key: draw(cell_specs(base[key])) for key in keys}


def xlsx_bytes(headers: list[str], rows: list[list[CellSpec]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for column, header in enumerate(headers, start=1):
        sheet.cell(1, column, ILLEGAL_CHARACTERS_RE.sub("", header))
    for number, specs in enumerate(rows, start=2):
        for column, (form, value) in enumerate(specs, start=1):
            cell = sheet.cell(number, column)
            if form == "text":
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value)).encode("utf-8", "replace").decode()
                cell.data_type = "s"  # text that starts with "=" stays text
            elif form == "serial":
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_for(table: str, overrides: dict[str, CellSpec]) -> bytes:
    row: dict[str, str] = ROWS[table]()
    headers = [*row, *(h for h in overrides if h not in row)]
    specs: list[CellSpec] = [overrides.get(header, ("text", row.get(header, ""))) for header in headers]
    return xlsx_bytes(headers, [specs])


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")  # then read as #VALUE!
@SLOW
@given(case=xlsx_cases())
@example(case=("licensing", {"许可决定日期": ("formula", "=TODAY()")}))  # no cached value: silently empty
@example(case=("penalty", {"备注": ("formula", '="榕"&"市监"')}))
@example(case=("penalty", {"备注": ("error", "#N/A")}))  # published "#N/A"
@example(case=("penalty", {"处罚决定日期": ("serial", 10**9)}))  # openpyxl makes it "#VALUE!"
@example(case=("penalty", {"处罚决定日期": ("number", 46336)}))  # a serial without a date format
@example(case=("list", {"列入依据": ("text", "=1+1")}))
def test_xlsx_cells(scratch: Path, case: tuple[str, dict[str, CellSpec]]) -> None:
    table, overrides = case
    path = write(scratch, "部门.xlsx", xlsx_for(table, overrides))
    check(path, stage_one(path), 3)


def test_xlsx_formula_refused_and_text_kept(scratch: Path) -> None:
    path = write(scratch, "f.xlsx", xlsx_for("penalty", {"备注": ("formula", "=A2")}))
    found = [str(p) for p in stage_one(path).errors]
    assert found == ["f.xlsx:2: 备注: 单元格含有公式（=A2）：请复制后“选择性粘贴为数值”再提交"], found
    path = write(scratch, "t.xlsx", xlsx_for("penalty", {"备注": ("text", "=A2")}))
    outcome = stage_one(path)
    assert outcome.errors == [] and isinstance(outcome.entries[0], Decision)
    assert outcome.entries[0].fields["remarks"] == "=A2"


def test_xlsx_error_values_and_date_serials(scratch: Path) -> None:
    path = write(scratch, "e.xlsx", xlsx_for("penalty", {"备注": ("error", "#N/A")}))
    assert [str(p) for p in stage_one(path).errors] == [
        "e.xlsx:2: 备注: 单元格为错误值“#N/A”（公式出错或日期超出范围），请更正后再提交"
    ]
    path = write(scratch, "d.xlsx", xlsx_for("penalty", {"处罚决定日期": ("serial", 46336)}))
    outcome = stage_one(path)
    assert outcome.errors == [] and isinstance(outcome.entries[0], Decision)
    assert outcome.entries[0].decided == dt.date(2026, 11, 10)  # a date-formatted serial is a date
    path = write(scratch, "n.xlsx", xlsx_for("penalty", {"处罚决定日期": ("number", 46336)}))
    assert any("不是有效日期" in str(p) for p in stage_one(path).errors)


@pytest.fixture(scope="module")
def good_xlsx() -> bytes:
    return xlsx_for("penalty", {})


@st.composite
def zip_damage(draw: st.DrawFn) -> tuple[str, str, int, bytes]:
    member = draw(
        st.sampled_from(
            (
                "xl/worksheets/sheet1.xml",
                "xl/sharedStrings.xml",
                "xl/workbook.xml",
                "xl/styles.xml",
                "[Content_Types].xml",
                "xl/_rels/workbook.xml.rels",
                "*whole file*",
            )
        )
    )
    action = draw(st.sampled_from(("cut", "insert", "replace", "delete")))
    return member, action, draw(st.integers(0, 10**6)), draw(st.binary(min_size=1, max_size=12))


def rezipped(original: bytes, member: str, action: str, position: int, junk: bytes) -> bytes:
    if member == "*whole file*":
        return damaged(original, "cut" if action == "delete" else action, position, junk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                if action == "delete":
                    continue
                data = damaged(data, action, position, junk)
            target.writestr(info.filename, data)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl warns about what it repairs in a broken file
@SLOW
@given(damage=zip_damage())
@example(damage=("xl/worksheets/sheet1.xml", "cut", 900, b"x"))  # lazily parsed: broke mid-iteration
@example(damage=("xl/sharedStrings.xml", "delete", 0, b"x"))  # a string index with no table
@example(damage=("xl/worksheets/sheet1.xml", "replace", 700, b'<c r="A9" t="s"><v>999</v></c>'))
@example(damage=("xl/workbook.xml", "cut", 200, b"x"))
@example(damage=("*whole file*", "cut", 100, b"x"))
@example(damage=("*whole file*", "replace", 44341, b"\x00\x00@"))  # "zip file version 6.4"
def test_xlsx_damaged_zip(scratch: Path, good_xlsx: bytes, damage: tuple[str, str, int, bytes]) -> None:
    path = write(scratch, "坏.xlsx", rezipped(good_xlsx, *damage))
    check(path, stage_one(path), 10**6)


def test_xlsx_whose_damaged_header_zipfile_quotes_whole_gets_a_short_message(
    scratch: Path, good_xlsx: bytes
) -> None:
    """A local header claiming a 4,000-byte file name: zipfile's error quotes all those bytes
    (the fuzzer found one of 2,295 characters), and the message keeps 200 of them."""
    data = bytearray(good_xlsx)
    name = b"[Content_Types].xml"
    header = data.rfind(b"PK\x03\x04", 0, data.index(name))  # the member's local header
    data[header + 26 : header + 28] = (4000).to_bytes(2, "little")  # its file name's length
    path = write(scratch, "坏.xlsx", bytes(data))
    outcome = stage_one(path)
    check(path, outcome, 10**6)
    (problem,) = outcome.errors
    assert "无法读取 XLSX 文件" in str(problem) and len(str(problem)) < 300, str(problem)


def test_xlsx_crafted_sheets(scratch: Path, good_xlsx: bytes) -> None:
    """Hand-made sheet XML: cells far apart, a huge declared dimension, an index out of range."""
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml").decode()
    variants = {
        "far.xlsx": sheet.replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'
        ),
        "wide.xlsx": re.sub(r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1:XFD1048576"/>', sheet),
        "index.xlsx": sheet.replace(
            "</sheetData>", '<row r="3"><c r="A3" t="s"><v>99999</v></c></row></sheetData>'
        ),
        "notnumber.xlsx": sheet.replace(
            "</sheetData>", '<row r="3"><c r="A3" t="s"><v>x</v></c></row></sheetData>'
        ),
        "nodims.xlsx": re.sub(r'<dimension ref="[^"]*" ?/>', "", sheet),
    }
    for name, xml in variants.items():
        data = _replace_member(good_xlsx, "xl/worksheets/sheet1.xml", xml.encode())
        path = write(scratch, name, data)
        started = time.monotonic()
        outcome = stage_one(path)
        assert time.monotonic() - started < 10, name
        check(path, outcome, 1_048_576)
        # A cell outside the declared dimension is read (not silently dropped); a declared
        # dimension wider than the data does not make 16 000 empty headers.
        assert bool(outcome.entries) == (name in ("wide.xlsx", "nodims.xlsx")), (name, outcome.errors[:3])


def _replace_member(original: bytes, member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == member else source.read(info))
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore::UserWarning")  # openpyxl warns about what it repairs in a broken file
@FEW
@given(data=st.binary(max_size=400))
@example(data=b"PK\x03\x04")
@example(data=b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
def test_xlsx_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = write(scratch, "乱码.xlsx", data)
    check(path, stage_one(path), 1)


def test_xlsx_zip_bomb_is_refused_unopened(
    scratch: Path, good_xlsx: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "MAX_XLSX_UNZIPPED_BYTES", 1000)  # as if it held gigabytes
    path = write(scratch, "bomb.xlsx", good_xlsx)
    assert [str(p) for p in stage_one(path).errors] == ["bomb.xlsx:1: -: 文件解压后过大（超过 0 MB）"]


def test_xlsx_zip_that_is_not_a_workbook(scratch: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是表格")
    path = write(scratch, "zip.xlsx", buffer.getvalue())
    check(path, stage_one(path), 1)
    workbook = openpyxl.Workbook()
    workbook.create_chartsheet()
    workbook.remove(workbook.worksheets[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = write(scratch, "chart.xlsx", buffer.getvalue())
    outcome = stage_one(path)
    check(path, outcome, 1)
    assert outcome.errors


# --- YAML -----------------------------------------------------------------------------------------

CASE_LABELS = [c.label for c in CASE_COLUMNS]
YAML_HUGE = (201, 1001, 5001)  # PyYAML is slow on long scalars: longer cells are the CSV tests' job
SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)


@st.composite
def yaml_cases(draw: st.DrawFn) -> dict[str, object]:
    item = case_item()
    keys = draw(st.lists(st.sampled_from(CASE_LABELS), max_size=3, unique=True))
    for key in keys:
        item[key] = draw(st.one_of(hostile_text(str(item[key]), YAML_HUGE), SURROGATES))
    if draw(st.booleans()):
        name = draw(hostile_text("福州鑫源贸易有限公司", YAML_HUGE))
        subject_code = draw(st.sampled_from(("91350102MA2YH6TK0H", RIC_SHAPED_CODE, "", "x\u200b")))
        item["涉及主体"] = [{"名称": name, "统一社会信用代码": subject_code}]
    return item


def yaml_bytes(items: object) -> bytes:
    return yaml.safe_dump(items, allow_unicode=True, sort_keys=False).encode("utf-8", "surrogatepass")


@FUZZ
@given(item=yaml_cases())
@example(item=case_item(摘要="x\ud800y"))  # a lone surrogate: staged, then write_release crashed
@example(
    item=case_item(涉及主体=[{"名称": "坏\x1b[2J公司\n第二行", "统一社会信用代码": "91350102MA2YH6TK0H"}])
)
@example(item=case_item(涉及主体=[{"名称": "长" * 100_000}]))
@example(item=case_item(正文="长" * 50_001))
@example(item=case_item(涉及主体=[{"名称": f"张三{PERSON_ID}"}]))
@example(item=case_item(涉及主体=[{"名称": "某公司", "统一社会信用代码": RIC_SHAPED_CODE}]))
@example(item=case_item(正文="## 标题\n\n<script>alert(1)</script>{{ x }}{% y %}"))
def test_yaml_cases(scratch: Path, item: dict[str, object]) -> None:
    # write with surrogatepass: PyYAML escapes what it cannot print, so the file is valid UTF-8
    data = yaml_bytes([item])
    path = write(scratch, "案例.yaml", data)
    check(path, stage_one(path), text_lines(data))


def laughs(levels: int, where: str) -> str:
    lines = ["- &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"- &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    top = f"*l{levels}"
    if where == "key":
        lines.append(f"- {{标题: x, ? {top} : 1}}")
    elif where == "subject key":
        lines.append(f"- {{标题: x, 涉及主体: [{{? {top} : 1}}]}}")
    elif where == "value":
        lines.append(f"- {{标题: {top}}}")
    else:
        lines.append(f"- {{标题: x, 涉及主体: {top}}}")
    return "\n".join(lines) + "\n"


YAML_SHAPES = (
    "",
    "~",
    "标题: 不是列表",
    "just text",
    "42",
    "- 1\n- [2]\n- {标题: x}",
    "- {标题: x, 标题: y}",
    "- {标题: x, title: y}",
    "- {? [a, b] : c}",
    "- {? {a: b} : c}",
    "- &a [*a]",
    "- &a {标题: *a}",
    "- {<<: {标题: x}}",
    "- !!python/object/apply:os.system [echo hi]",
    "- {标题: !!python/name:os.system x}",
    "- {标题: !!binary aGVsbG8=}",
    "--- [a]\n--- [b]",
    "- {标题: '\\x07'}",
    '- {标题: "\\x07\\u202e\\ud800"}',
    "- {涉及主体: {名称: x}}",
    "- {涉及主体: [x, [y], {名称: [z]}, {身份证: 1}]}",
    "- 标题: |\n    多行\n    文本\n  案例编号: x",
    "\t- x",
    "- {标题: x}\n\x07",
    "- {标题: x\n",
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(("shape", "deep", "laughs", "cut", "text")))
    if form == "shape":
        return draw(st.sampled_from(YAML_SHAPES))
    if form == "deep":
        depth = draw(st.integers(1, 3000))
        opener, closer = draw(st.sampled_from((("[", "]"), ("{a: ", "}"), ("- [", "]"))))
        return opener * depth + closer * depth
    if form == "laughs":
        return laughs(
            draw(st.integers(1, 9)), draw(st.sampled_from(("key", "subject key", "value", "subjects")))
        )
    if form == "cut":
        text = yaml_bytes([case_item(), case_item("榕信办案例〔2026〕9号")]).decode("utf-8")
        return text[: draw(st.integers(0, len(text)))]
    return draw(st.text(max_size=200))


@FUZZ
@given(text=yaml_texts())
@example(text="[" * 2000 + "]" * 2000)  # RecursionError escaped
@example(text=laughs(9, "key"))  # repr of a billion-laughs key: out of memory
@example(text=laughs(9, "subject key"))
@example(text="- {标题: x, 标题: y}")  # the second 标题 silently won
@example(text='- {标题: "\\x07\\u202e\\ud800"}')
def test_yaml_structures(scratch: Path, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    path = write(scratch, "案例.yaml", data)
    started = time.monotonic()
    outcome = stage_one(path)
    assert time.monotonic() - started < 10
    check(path, outcome, text_lines(data))


@FEW
@given(data=st.binary(max_size=300))
@example(data=b"\xff\xfe- x")
@example(data=b"- \xe6\xa0")  # cut inside a UTF-8 character
def test_yaml_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    path = write(scratch, "乱码.yml", data)
    check(path, stage_one(path), len(data) + 1)  # GB18030 may decode bytes into any line break


def test_yaml_duplicate_keys_are_refused(scratch: Path) -> None:
    text = (
        yaml_bytes([case_item()])
        .decode()
        .replace("案例类别: 食品安全", "案例类别: 食品安全\n  category: 药品")
    )
    path = write(scratch, "dup.yaml", text.encode())
    found = [str(p) for p in stage_one(path).errors]
    assert len(found) == 1 and re.fullmatch(
        r"dup\.yaml:\d+: category: 字段重复（与“案例类别”相同）", found[0]
    )


# --- the I/O edge writes nothing -------------------------------------------------------------------


@pytest.fixture(scope="module")
def releases_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("releases") / "data_releases"
    init_trust_store(root, generate_private_key().public_key(), dt.date(2026, 1, 1))
    return root


@FEW
@given(case=csv_cases(), suffix=st.sampled_from((".csv", ".xlsx", ".yaml")))
@example(case=CsvCase("penalty", {"罚款金额（万元）": "1e999999999"}), suffix=".csv")
@example(case=CsvCase("penalty", {"违法事实": "\x00"}), suffix=".yaml")
def test_stage_files_writes_nothing_when_refused(
    scratch: Path, releases_root: Path, case: CsvCase, suffix: str
) -> None:
    row = csv_rows(case)[-1]
    if suffix == ".csv":
        data = csv_bytes(csv_rows(case), case.encoding)
    elif suffix == ".xlsx":
        data = xlsx_bytes(list(row), [[("text", value) for value in row.values()]])
    else:  # the same hostile values, in a typical case's fields
        data = yaml_bytes([case_item(**dict(zip(CASE_LABELS, case.overrides.values(), strict=False)))])
    path = write(scratch, f"批次{suffix}", data)
    before = sorted(p.name for p in releases_root.iterdir())
    try:
        written, result = stage_files(
            [path], releases_root=releases_root, release_date=RELEASE_DAY, rules=RULES
        )
    except StagingError:
        written, result = None, None
    after = sorted(p.name for p in releases_root.iterdir())
    if written is None:
        assert after == before
    else:  # accepted: keep the tree empty (an unsigned release would fail the next check)
        shutil.rmtree(written)
    if result is not None:
        check(path, Outcome(result.errors, result.warnings, result.entries), 10**6)
        assert (written is None) == bool(result.errors)
