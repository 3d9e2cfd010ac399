"""Open-data files: Excel-safe CSV, JSON that carries the signed lines."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import orjson
import pytest

from disclosure.canonical import sha256_hex
from disclosure.fold import fold_releases
from disclosure.model import Kind
from disclosure.site import downloads
from disclosure.site.downloads import neutralise_cell
from disclosure.site.views import RecordView, newest_first, record_view
from disclosure.verify import verify_releases
from tests.factories import COMPANY
from tests.site_tree import AS_OF, SiteTree

SITE_URL = "https://credit.fuzhou.example.cn"


def kind_csv(*args: object) -> bytes:
    """The CSV file as written: its parts, joined."""
    return b"".join(downloads.kind_csv(*args))  # type: ignore[arg-type]


def penalties(site_tree: SiteTree) -> list[RecordView]:
    fold = fold_releases(verify_releases(site_tree.root), AS_OF)
    return [r for r in newest_first(record_view(r) for r in fold.published()) if r.kind is Kind.PENALTY]


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


def test_csv_rows_kept_from_an_earlier_build_give_the_same_file(site_tree: SiteTree, tmp_path: Path) -> None:
    """The row cache: the same bytes as without it, and rows are taken from it, not made again."""
    records = penalties(site_tree)
    assert len(records) >= 2
    plain = kind_csv(Kind.PENALTY, records, SITE_URL)
    cache = tmp_path / "penalty.csv.json"
    assert kind_csv(Kind.PENALTY, records, SITE_URL, cache) == plain  # none cached yet
    held = orjson.loads(cache.read_bytes())
    assert held["site_url"] == SITE_URL and len(held["rows"]) == len(records)
    assert kind_csv(Kind.PENALTY, records, SITE_URL, cache) == plain  # all cached
    # A cached row is used as it is: mark one, and the file shows the mark.
    key = f"{records[0].digest}{records[0].release}"
    held["rows"][key] = held["rows"][key].replace(COMPANY[0], "缓存之行")
    cache.write_bytes(orjson.dumps(held))
    assert "缓存之行" in kind_csv(Kind.PENALTY, records, SITE_URL, cache).decode("utf-8-sig")
    # A record whose release differs (an amendment re-published) is made again; the cache is left
    # holding this call's rows only.
    moved = [dataclasses.replace(records[0], release=records[0].release + 1), *records[1:]]
    assert kind_csv(Kind.PENALTY, moved, SITE_URL, cache) == kind_csv(Kind.PENALTY, moved, SITE_URL)
    assert key not in orjson.loads(cache.read_bytes())["rows"]


def test_a_csv_row_cache_for_another_site_or_unreadable_is_not_used(
    site_tree: SiteTree, tmp_path: Path
) -> None:
    records = penalties(site_tree)
    cache = tmp_path / "penalty.csv.json"
    kind_csv(Kind.PENALTY, records, "https://elsewhere.example.cn", cache)
    assert kind_csv(Kind.PENALTY, records, SITE_URL, cache) == kind_csv(Kind.PENALTY, records, SITE_URL)
    for junk in (b"{not json", b"[1, 2]", b'{"site_url": "%s", "rows": {"x": 1}}' % SITE_URL.encode()):
        cache.write_bytes(junk)
        assert kind_csv(Kind.PENALTY, records, SITE_URL, cache) == kind_csv(Kind.PENALTY, records, SITE_URL)
        assert orjson.loads(cache.read_bytes())["site_url"] == SITE_URL  # rewritten whole


def test_data_files_are_made_in_parts_that_join_into_the_whole(
    site_tree: SiteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data file is made PART rows at a time (a kind's is tens of MB at 10^5 records); the parts,
    written one after the other, are the bytes of the file made at once."""
    records = penalties(site_tree)
    whole_csv, whole_json = kind_csv(Kind.PENALTY, records, SITE_URL), b"".join(downloads.kind_json(records))
    monkeypatch.setattr(downloads, "PART", 1)
    csv_parts = list(downloads.kind_csv(Kind.PENALTY, records, SITE_URL))
    json_parts = list(downloads.kind_json(records))
    assert len(csv_parts) == len(records) + 1  # the header, then a row a part
    assert len(json_parts) > len(records)
    assert b"".join(csv_parts) == whole_csv and b"".join(json_parts) == whole_json
    assert [item["digest"] for item in json.loads(whole_json)] == [r.digest for r in records]
    assert b"".join(downloads.kind_json([])) == b"[]\n"
