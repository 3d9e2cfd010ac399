"""Open data: everything published now, as CSV (for Excel) and JSON, per kind.

CSV is UTF-8 with a BOM so that Excel opens Chinese text correctly, and any
cell that Excel would take for a formula (= + - @, tab, carriage return) is
prefixed with an apostrophe (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import orjson

from disclosure._internal.tree import rewrite_file
from disclosure.fields import COLUMNS
from disclosure.model import Kind
from disclosure.site.views import RecordView

T = TypeVar("T")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FIXED = (("id", "编号"), ("url", "网址"), ("subject_name", "主体名称"), ("subject_code", "统一社会信用代码"),
          ("department", "部门"), ("decided", "决定日期"), ("publicity_from", "公示起始"),
          ("publicity_until", "公示截止"), ("release", "发布批次"), ("digest", "条目摘要(sha256)"))  # fmt: skip


def neutralise_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(record: RecordView, site_url: str) -> dict[str, str]:
    row = {
        "id": record.id,
        "url": site_url + record.url,
        "subject_name": record.subject_name,
        "subject_code": record.subject_code or "",
        "department": record.department,
        "decided": record.decided.isoformat(),
        "publicity_from": record.publicity_from.isoformat(),
        "publicity_until": record.publicity_until.isoformat() if record.publicity_until else "",
        "release": f"{record.release:06d}",
        "digest": record.digest,
    }
    for key, value in record.entry.fields.items():
        if isinstance(value, list):
            value = "；".join(str(v["name"]) if isinstance(v, dict) else str(v) for v in value)
        row[key] = "" if value is None else str(value)
    return row


def kind_csv(
    kind: Kind, records: Sequence[RecordView], site_url: str = "", cache: Path | None = None
) -> Iterator[bytes]:
    """The kind's CSV, in parts (``in_parts``).  ``cache``, if given, is a file of the rows an
    earlier call made, by record (its entry's digest and release): those rows are taken as they
    are, and the file is left holding this call's rows.

    Why: a row is per-cell Python (about 40 microseconds), and a build makes the CSV of every kind
    whose records changed: 4.8 s for all kinds at 10^5 records, 0.8 s with the cache
    (docs/benchmarks.md, session 14).  A row depends on its record, ``site_url`` and the code, and
    the build keeps the cache per generator (states.data_cache), so a cached row is the same bytes.
    """
    columns = [*_FIXED, *((c.id, c.label) for c in COLUMNS[kind] if c.published)]
    known = _cached_rows(cache, site_url) if cache is not None else {}
    line = _CsvLines()
    rows: dict[str, str] = {}
    for record in records:
        key = row_key(record)
        text = known.get(key)
        if text is None:
            row = _row(record, site_url)
            text = line([neutralise_cell(row.get(column, "")) for column, _ in columns])
        rows[key] = text
    if cache is not None and rows != known:
        rewrite_file(cache, orjson.dumps({"site_url": site_url, "rows": rows}))  # the cache's alone
    header = "\ufeff" + line([label for _, label in columns])
    return in_parts([header, *rows.values()], lambda part: "".join(part).encode())


def row_key(record: RecordView) -> str:
    """What a data file holds of a record, as a string: its entry (by digest) and its release.  The
    CSV's row cache is kept by it, and the data files' page key is made of it."""
    return f"{record.digest}{record.release}"


def records_digest(records: Sequence[RecordView]) -> str:
    """What a data file holds of its records, in order: part of its key (render.py)."""
    return hashlib.sha256("".join(f"{row_key(r)}\n" for r in records).encode()).hexdigest()


class _CsvLines:
    """One CSV record at a time, as the csv module writes it (quoting is decided cell by cell, so
    rows written one by one join into the file written at once)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __call__(self, cells: list[str]) -> str:
        self._writer.writerow(cells)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def _cached_rows(cache: Path, site_url: str) -> dict[str, str]:
    """The rows ``kind_csv`` left in ``cache`` for the same ``site_url``; none if it cannot read them."""
    try:
        held = orjson.loads(cache.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not (
        isinstance(held, dict) and held.get("site_url") == site_url and isinstance(held.get("rows"), dict)
    ):
        return {}
    rows: dict[str, str] = held["rows"]
    return rows if all(isinstance(text, str) for text in rows.values()) else {}


def kind_json(records: Sequence[RecordView]) -> Iterator[bytes]:
    """A JSON array of the entries' own canonical lines, with their URLs and digests, in parts.

    Each ``entry`` is the signed line byte for byte, so the file is assembled rather than re-encoded.
    """
    if not records:
        return iter([b"[]\n"])

    def items(part: Sequence[RecordView]) -> bytes:
        return b",\n".join(
            b'{"digest":"%s","entry":%s,"release":%d,"url":%s}'
            % (r.digest.encode(), r.line, r.release, json.dumps(r.url).encode())
            for r in part
        )

    def parts() -> Iterator[bytes]:
        yield b"[\n"
        for number, part in enumerate(in_parts(records, items)):
            yield b",\n" + part if number else part
        yield b"\n]\n"

    return parts()


PART = 2000  # rows a part of a data file holds


def in_parts(items: Sequence[T], encode: Callable[[Sequence[T]], bytes]) -> Iterator[bytes]:
    """``encode`` of ``items`` PART at a time, for a file written part by part.

    Why: a kind's data file is 30-60 MB at 10^5 records, and made whole it was made twice over
    (its rows, then their join) in memory the forked render worker had to fault in afresh.  In
    parts, whose memory is used again, a weekly build's data files at 10^5 took 1.04-1.09 s and
    135,000 page faults, against 1.31-1.41 s and 281,000 (docs/benchmarks.md, session 23).
    """
    for start in range(0, len(items), PART):
        yield encode(items[start : start + PART])
