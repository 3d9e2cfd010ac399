"""Open data: everything published now, as CSV (for Excel) and JSON, per kind.

CSV is UTF-8 with a BOM so that Excel opens Chinese text correctly, and any
cell that Excel would take for a formula (= + - @, tab, carriage return) is
prefixed with an apostrophe (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from disclosure.fields import COLUMNS
from disclosure.model import Kind
from disclosure.site.views import RecordView

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


def kind_csv(kind: Kind, records: Sequence[RecordView], site_url: str = "") -> bytes:
    columns = [*_FIXED, *((c.id, c.label) for c in COLUMNS[kind] if c.published)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in columns])
    for record in records:
        row = _row(record, site_url)
        writer.writerow([neutralise_cell(row.get(key, "")) for key, _ in columns])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def kind_json(records: Sequence[RecordView]) -> bytes:
    """A JSON array of the entries' own canonical lines, with their URLs and digests.

    Each ``entry`` is the signed line byte for byte, so the file is assembled rather than re-encoded.
    """
    items = [
        b'{"digest":"%s","entry":%s,"release":%d,"url":%s}'
        % (r.digest.encode(), r.line, r.release, json.dumps(r.url).encode())
        for r in records
    ]
    return b"[\n" + b",\n".join(items) + b"\n]\n" if items else b"[]\n"
