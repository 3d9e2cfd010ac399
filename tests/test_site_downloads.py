"""Open-data files: Excel-safe CSV, JSON that carries the signed lines."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from disclosure.canonical import sha256_hex
from disclosure.site.downloads import neutralise_cell
from tests.factories import COMPANY


def test_neutralise_formula_like_cells() -> None:
    for value in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("福州鑫源贸易有限公司") == "福州鑫源贸易有限公司"


def test_csv_opens_in_excel_and_lists_what_is_published(built_site: Path) -> None:
    data = (built_site / "data" / "penalty.csv").read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["主体名称"] for r in rows} == {COMPANY[0], "福州闽江楼餐饮管理有限公司"}
    assert all(r["行政处罚决定书文号"] for r in rows)
    for row in rows:
        assert not any(v.startswith(("=", "+", "@")) for v in row.values())


def test_json_lines_hash_to_their_digests(built_site: Path) -> None:
    items = json.loads((built_site / "data" / "penalty.json").read_bytes())
    assert len(items) == 3
    for item in items:
        record_json = (built_site / item["url"].strip("/") / "record.json").read_bytes().rstrip(b"\n")
        assert json.loads(record_json) == item["entry"]
        assert sha256_hex(record_json) == item["digest"]
