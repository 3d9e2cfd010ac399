"""disclosure/_internal/pagefind_index.py: reading real Pagefind 1.5.2 indexes of Chinese search entries."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import libipld
import pytest

from disclosure._internal.pagefind_index import BundleFormatError, page_urls, read_bundle
from disclosure._internal.pagefind_write import write_bundle
from tests.pagefind_pages import Built, S, read, tree


def test_reading_back_gives_the_same_pages(built: Built, tmp_path: Path) -> None:
    pages = read(built.fresh)
    assert len(pages) == len(S) + 1
    assert read(built.full) == pages  # nothing per page is lost or changed by the canonical writer
    assert {p.meta_fields for p in pages.values()} > {("entity", "title")}  # field ids were re-based
    assert any(p.variants for p in pages.values())  # diacritic forms (Société, Müller) survive
    write_bundle(pages.values(), tmp_path / "again", runtime=built.full)
    assert tree(tmp_path / "again") == tree(built.full)


def test_page_urls_are_in_page_number_order(built: Built, tmp_path: Path) -> None:
    """A Pagefind run numbers its pages in its own order (a hash map's), a written bundle by URL."""
    in_run = page_urls(built.fresh)
    assert in_run == list(read(built.fresh))  # read_bundle gives them by page number
    assert in_run != sorted(in_run)  # 41 pages: URL order by chance is one in 41!
    assert page_urls(built.full) == sorted(in_run)
    copy = tmp_path / "run"
    shutil.copytree(built.fresh, copy)
    next((copy / "fragment").iterdir()).unlink()
    with pytest.raises(BundleFormatError, match="No such file"):
        page_urls(copy)


def test_not_a_bundle_fails_loudly(built: Built, tmp_path: Path) -> None:
    with pytest.raises(BundleFormatError, match="pagefind-entry.json"):
        read_bundle(tmp_path)
    with pytest.raises(BundleFormatError, match="sort_values"):
        read_bundle(built.full)
    with pytest.raises(BundleFormatError, match="sort order"):
        read_bundle(built.full, sort_values=lambda filters: {"date": filters.get("区县", ["-"])[0]})
    copy = tmp_path / "old"
    copy.mkdir()
    for name, data in tree(built.full).items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes(data)
    entry = json.loads((copy / "pagefind-entry.json").read_text())
    (copy / "pagefind-entry.json").write_text(json.dumps(entry | {"version": "1.4.0"}))
    with pytest.raises(BundleFormatError, match="1.4.0"):
        read(copy)
    (copy / "pagefind-entry.json").write_text(json.dumps(entry))
    meta = next(copy.glob("*.pf_meta"))
    meta.write_bytes(gzip.compress(b"pagefind_dcd" + libipld.encode_dag_cbor(["1.5.2", [], [], []])))
    with pytest.raises(BundleFormatError, match="six fields"):
        read(copy)
    meta.write_bytes(b"not gzip")
    with pytest.raises(BundleFormatError, match="not gzip"):
        read(copy)
    stream = bytearray((built.full / meta.name).read_bytes())
    stream[12:-8] = bytes(len(stream) - 20)  # a gzip header and end, a corrupt stream between
    meta.write_bytes(bytes(stream))
    with pytest.raises(BundleFormatError, match="not gzip"):
        read(copy)
    chunk = next(copy.glob("index/*.pf_index"))
    meta.write_bytes((built.full / meta.name).read_bytes())
    chunk.write_bytes(
        gzip.compress(b"pagefind_dcd" + libipld.encode_dag_cbor([[["x", [[10_000, [1], []]]]]]))
    )
    with pytest.raises(BundleFormatError):
        read(copy)
    chunk.write_bytes(gzip.compress(b"pagefind_dcd" + b"\xff\x00"))  # gzip and header, then no CBOR
    with pytest.raises(BundleFormatError, match="not CBOR"):
        read(copy)
