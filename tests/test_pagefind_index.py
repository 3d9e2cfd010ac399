"""disclosure/_internal/pagefind_index.py against real Pagefind 1.5.2 runs on Chinese search entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2
import pytest

from disclosure._internal.pagefind_index import (
    BundleFormatError,
    IndexedPage,
    edit_bundle,
    read_bundle,
    write_bundle,
)
from disclosure.site.bundles import search_entry_sorts
from disclosure.site.filters import sort_date

COMPANIES = [
    "华夏建材有限公司", "长江物流股份有限公司", "南山食品加工厂", "东方医药连锁有限公司",
    "新城房地产开发有限公司", "金桥餐饮管理有限公司", "绿源环保科技有限公司", "恒通运输有限公司",
    "Société Générale（重庆）咨询有限公司", "Müller精密机械有限公司",
]  # fmt: skip
ACTS = [
    "未按规定办理排污许可证擅自排放污水", "销售超过保质期的食品", "超越经营范围从事危险化学品经营",
    "未取得施工许可证擅自施工", "未落实安全生产责任制度", "发布虚假广告宣传产品功效",
    "逃避缴纳税款", "擅自改变房屋用途",
]  # fmt: skip
DEPARTMENTS = ["市场监督管理局", "生态环境局", "住房和城乡建设局", "税务局"]
DISTRICTS = ["江北区", "渝中区", "南岸区"]


@dataclass(frozen=True)
class Entry:
    url: str
    title: str
    district: str
    department: str
    decided: dt.date
    entity: str | None
    body: str


def _entries(prefix: str, count: int, seed: int) -> list[Entry]:
    entries = []
    for i in range(count):
        n = seed * 1000 + i
        company = COMPANIES[n % len(COMPANIES)]
        act = ACTS[(n // 3) % len(ACTS)]
        decided = dt.date(2026, 1 + n % 6, 1 + (n * 7) % 5)  # few dates: equal sort values
        entity = None if n % 5 == 0 else f"91500{n:013d}"  # some pages lack a meta field
        body = (
            f"当事人{company}于{decided.year}年{decided.month}月{decided.day}日{act}，"
            f"违反了有关法律法规的规定，决定给予警告并处罚款{1 + n % 47}万元。文书编号渝{n}号"
        )
        entries.append(
            Entry(
                f"/{prefix}/{n}/",
                f"{company}{act}案",
                DISTRICTS[n % 3],
                DEPARTMENTS[n % 4],
                decided,
                entity,
                body,
            )
        )
    return entries


PLACEHOLDER = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>-</title></head><body>'
    '<main data-pagefind-body>pagefindplaceholder<span data-pagefind-sort="date[data-value]" '
    'data-value="0"></span></main></body></html>\n'
)


def _html(entry: Entry) -> str:
    """Shaped like theme/templates/search_entry.html."""
    entity = (
        f'<span data-pagefind-meta="entity[data-value]" data-value="{entry.entity}"></span>'
        if entry.entity
        else ""
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{entry.title}</title></head><body>
<main data-pagefind-body>
<h1 data-pagefind-meta="title" data-pagefind-weight="10">{entry.title}</h1>
<span data-pagefind-filter="类别[data-value]" data-value="行政处罚"></span>
<span data-pagefind-filter="区县[data-value]" data-value="{entry.district}"></span>
<span data-pagefind-filter="部门[data-value]" data-value="{entry.department}"></span>
<span data-pagefind-filter="年度[data-value]" data-value="{entry.decided.year}"></span>
<span data-pagefind-sort="date[data-value]" data-value="{sort_date(entry.decided)}"></span>
<span data-pagefind-filter="日期[data-value]" data-value="{entry.decided.isoformat()}"></span>
{entity}
<p data-pagefind-weight="8">{entry.title.split("案")[0]} {entry.entity or ""}</p>
<p>{entry.body}</p>
<p data-pagefind-weight="2">处罚 罚款 警告</p>
</main></body></html>
"""


def pagefind(
    folder: Path, entries: list[Entry], *, placeholder: bool = True, chunk_size: int | None = None
) -> Path:
    site = folder / "site"
    for entry in entries:
        page = site / entry.url.strip("/") / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(_html(entry), encoding="utf-8")
    if placeholder:
        (site / "_placeholder").mkdir(parents=True)
        (site / "_placeholder" / "index.html").write_text(PLACEHOLDER)
    out = folder / "pagefind"
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(out), "--silent"]
    env = os.environ | ({"PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE": str(chunk_size)} if chunk_size else {})
    subprocess.run(command, check=True, capture_output=True, env=env)
    return out


def read(bundle: Path) -> dict[str, IndexedPage]:
    return read_bundle(bundle, sort_values=search_entry_sorts)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def decode(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(b"pagefind_dcd")
    return cbor2.loads(data[12:])


S = _entries("case", 70, 1)
A, B = S[:40], S[40:]
R = _entries("gone", 12, 2)
R = [
    Entry(e.url, e.title, "万州区", e.department, e.decided, e.entity, e.body + " 翡翠湾度假村独有词")
    for e in R
]


@dataclass
class Built:
    fresh: Path  # Pagefind's own index of S
    full: Path  # write_bundle(read(pagefind(S)))
    merged: Path  # write_bundle(read(pagefind(A)) | read(pagefind(B)))
    removed: Path  # write_bundle(read(pagefind(S + R)) - R)
    with_removed: dict[str, IndexedPage]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_indexes(tmp_path_factory.mktemp("pagefind_index"))


def build_indexes(tmp: Path) -> Built:
    """S indexed by Pagefind, and written canonically whole, merged from A and B, and with R removed."""
    fresh = pagefind(tmp / "s", S)
    part_a = pagefind(tmp / "a", A)
    part_b = pagefind(tmp / "b", B, placeholder=False)
    both = pagefind(tmp / "sr", S + R)
    write_bundle(read(fresh).values(), tmp / "full", runtime=fresh)
    pages = read(part_a) | read(part_b)
    write_bundle(reversed(list(pages.values())), tmp / "merged", runtime=part_b)
    with_removed = read(both)
    gone = {entry.url for entry in R}
    write_bundle([p for url, p in with_removed.items() if url not in gone], tmp / "removed", runtime=both)
    return Built(fresh, tmp / "full", tmp / "merged", tmp / "removed", with_removed)


def test_same_pages_give_the_same_bytes(built: Built) -> None:
    full = tree(built.full)
    assert full == tree(built.merged)
    assert full == tree(built.removed)
    assert len([name for name in full if name.startswith("index/")]) >= 1
    assert len([name for name in full if name.startswith("filter/")]) == 5  # 类别, 区县, 部门, 年度, 日期


def test_fragments_read_from_disk_are_linked_not_written_again(built: Built, tmp_path: Path) -> None:
    pages = read(built.full)
    write_bundle(pages.values(), tmp_path / "again", runtime=built.full)
    for page in pages.values():
        assert page.fragment_file is not None
        copy = tmp_path / "again" / "fragment" / page.fragment_file.name
        assert copy.stat().st_ino == page.fragment_file.stat().st_ino  # one inode, two names
    assert tree(tmp_path / "again") == tree(built.full)


def test_reading_back_gives_the_same_pages(built: Built, tmp_path: Path) -> None:
    pages = read(built.fresh)
    assert len(pages) == len(S) + 1
    assert read(built.full) == pages  # nothing per page is lost or changed by the canonical writer
    assert {p.meta_fields for p in pages.values()} > {("entity", "title")}  # field ids were re-based
    assert any(p.variants for p in pages.values())  # diacritic forms (Société, Müller) survive
    write_bundle(pages.values(), tmp_path / "again", runtime=built.full)
    assert tree(tmp_path / "again") == tree(built.full)


def test_a_tag_names_every_page_and_reads_back(built: Built, tmp_path: Path) -> None:
    # A search result's id is its page's fragment name: the tag says which bundle it came from.
    pages = read(built.full)
    write_bundle(pages.values(), tmp_path / "tagged", runtime=built.full, page_tag="5e1f09a")
    names = [name for name, _ in decode(next((tmp_path / "tagged").glob("*.pf_meta")))[1]]
    assert len(names) == len(pages) and all(re.fullmatch(r"zh-cn_5e1f09a-[0-9a-f]{7,}", n) for n in names)
    assert read(tmp_path / "tagged") == pages

    def fragments(bundle: Path) -> list[bytes]:
        return sorted(data for name, data in tree(bundle).items() if name.startswith("fragment/"))

    assert fragments(tmp_path / "tagged") == fragments(built.full)  # the same pages, renamed
    with pytest.raises(ValueError, match="page tag"):
        write_bundle(pages.values(), tmp_path / "bad", runtime=built.full, page_tag="2026-11")


def test_the_index_says_what_pagefind_said(built: Built) -> None:
    """Decoded, the canonical index holds the same words, filters and sort order as Pagefind's."""

    def content(bundle: Path) -> tuple[Any, ...]:
        meta = decode(next(bundle.glob("*.pf_meta")))
        urls = [
            json.loads(gzip.decompress((bundle / "fragment" / f"{h}.pf_fragment").read_bytes())[12:])["url"]
            for h, _ in meta[1]
        ]
        words = {}
        for chunk in bundle.glob("index/*.pf_index"):
            for word, pages, variants in decode(chunk)[0]:
                number, found = 0, set()
                for delta, *_ in pages:
                    number += delta
                    found.add(urls[number])
                words[word] = (found, sorted(form for form, _ in variants))
        filters = {}
        for chunk in bundle.glob("filter/*.pf_filter"):
            name, values = decode(chunk)
            filters[name] = {value: {urls[n] for n in numbers} for value, numbers in values}
        sorts = {key: [urls[n] for n in order] for key, order in meta[4]}
        return words, filters, meta[5], {k: [_date(u) for u in v] for k, v in sorts.items()}

    assert content(built.fresh) == content(built.full)


def test_chunks_are_cut_where_pagefind_cuts_them(built: Built, tmp_path: Path) -> None:
    """With small chunks (many of them), the canonical chunks and their from/to are Pagefind's."""
    small = pagefind(tmp_path / "small", S, chunk_size=300)
    write_bundle(read(small).values(), tmp_path / "canonical", runtime=small, chunk_size=300)
    pages = read(built.fresh)
    write_bundle(reversed(list(pages.values())), tmp_path / "other", runtime=built.fresh, chunk_size=300)
    assert tree(tmp_path / "canonical") == tree(tmp_path / "other")

    def chunks(bundle: Path) -> list[tuple[str, str, list[str]]]:
        meta = decode(next(bundle.glob("*.pf_meta")))
        return [(f, t, [w for w, *_ in decode(bundle / "index" / f"{h}.pf_index")[0]]) for f, t, h in meta[2]]

    assert len(chunks(small)) > 5
    assert chunks(small) == chunks(tmp_path / "canonical")


def test_a_chunk_size_by_word_cuts_only_where_asked(built: Built, tmp_path: Path) -> None:
    """Words that start with 2 (the years in the text) go in chunks of at most 50 locations, the rest
    in one chunk; the bundle reads back the same."""
    pages = read(built.fresh)
    write_bundle(
        pages.values(),
        tmp_path / "split",
        runtime=built.fresh,
        chunk_size=lambda w: 50 if w[0] == "2" else 10**9,
    )
    meta = decode(next((tmp_path / "split").glob("*.pf_meta")))
    chunks = [[w for w, *_ in decode(tmp_path / "split" / "index" / f"{h}.pf_index")[0]] for *_, h in meta[2]]
    assert len(chunks) > 3
    for words in chunks[:-1]:
        assert words[-1][0] == "2"  # only such a word ends a chunk
    assert read(tmp_path / "split") == pages


def _date(url: str) -> str:
    return next((e.decided.isoformat() for e in S if e.url == url), "")


def test_nothing_of_a_removed_page_remains(built: Built) -> None:
    gone = {entry.url for entry in R}
    kept_words = {w for url, p in built.with_removed.items() if url not in gone for w in p.words}
    only_removed = {w for url in gone for w in built.with_removed[url].words} - kept_words
    assert "翡翠" in only_removed or "翡翠湾" in only_removed or any("翡翠" in w for w in only_removed)
    for chunk in built.removed.glob("index/*.pf_index"):
        assert not only_removed & {word for word, *_ in decode(chunk)[0]}
    meta = decode(next(built.removed.glob("*.pf_meta")))
    assert not any(word in only_removed for chunk in meta[2] for word in chunk[:2])
    for chunk in built.removed.glob("filter/*.pf_filter"):
        assert "万州区" not in {value for value, _ in decode(chunk)[1]}
    names = {p.name for p in (built.removed / "fragment").iterdir()}
    assert len(names) == len(S) + 1
    for url in gone:
        assert not any(
            built.with_removed[url].fragment_hash.startswith(n.removesuffix(".pf_fragment")) for n in names
        )
    for path in (built.removed / "fragment").iterdir():
        assert json.loads(gzip.decompress(path.read_bytes())[12:])["url"] not in gone


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
    meta.write_bytes(gzip.compress(b"pagefind_dcd" + cbor2.dumps(["1.5.2", [], [], []])))
    with pytest.raises(BundleFormatError, match="six fields"):
        read(copy)
    meta.write_bytes(b"not gzip")
    with pytest.raises(BundleFormatError, match="not gzip"):
        read(copy)
    chunk = next(copy.glob("index/*.pf_index"))
    meta.write_bytes((built.full / meta.name).read_bytes())
    chunk.write_bytes(gzip.compress(b"pagefind_dcd" + cbor2.dumps([[["x", [[10_000, [1], []]]]]])))
    with pytest.raises(BundleFormatError):
        read(copy)


def _edit(base: Path, drop: set[str], add: list[IndexedPage], target: Path, **options: Any) -> bool:
    urls = list(read(base))
    return edit_bundle(base, urls, drop, add, target, runtime=base, sort_values=search_entry_sorts, **options)


def test_an_edited_bundle_is_the_bundle_written_whole(built: Built, tmp_path: Path) -> None:
    """Dropping pages, adding pages (with words, diacritic forms and filter values no kept page
    has) and replacing one: the same bytes as write_bundle of the resulting pages, tag and all."""
    gone = {entry.url for entry in R}
    write_bundle(built.with_removed.values(), tmp_path / "all", runtime=built.full, page_tag="a1")
    assert _edit(tmp_path / "all", gone, [], tmp_path / "dropped", page_tag="b2")
    write_bundle(read(built.full).values(), tmp_path / "whole", runtime=built.full, page_tag="b2")
    assert tree(tmp_path / "dropped") == tree(tmp_path / "whole")

    a, b = read(pagefind(tmp_path / "a", A)), read(pagefind(tmp_path / "b", B, placeholder=False))
    write_bundle(a.values(), tmp_path / "a-only", runtime=built.full, page_tag="c3")
    assert _edit(tmp_path / "a-only", set(), list(b.values()), tmp_path / "added", page_tag="b2")
    assert tree(tmp_path / "added") == tree(tmp_path / "whole")
    assert any(page.variants for page in b.values())  # Société, Müller

    changed = dataclasses.replace(S[3], body=S[3].body + "另查明其拒不改正")
    (page,) = read(pagefind(tmp_path / "changed", [changed], placeholder=False)).values()
    assert _edit(tmp_path / "whole", {changed.url}, [page], tmp_path / "edited", chunk_size=300)
    pages = read(built.full) | {changed.url: page}
    write_bundle(pages.values(), tmp_path / "expected", runtime=built.full, chunk_size=300)
    assert tree(tmp_path / "edited") == tree(tmp_path / "expected")
    assert len(list((tmp_path / "expected" / "index").iterdir())) > 5  # chunks cut anew


def test_an_edit_that_would_change_names_or_fields_writes_nothing(built: Built, tmp_path: Path) -> None:
    pages = read(built.full)
    kept = next(page for page in pages.values() if page.url != "/_placeholder/")
    twin = dataclasses.replace(kept, url="/case/twin/", fragment_hash=kept.fragment_hash[:13] + "0" * 27)
    assert not _edit(built.full, set(), [twin], tmp_path / "twin")  # its short name would be lengthened
    new_field = dataclasses.replace(twin, fragment_hash="zh-cn_" + "f" * 40, meta_fields=("title", "x"))
    assert not _edit(built.full, set(), [new_field], tmp_path / "field")
    # The pages with an "entity" dropped: the fields left are fewer, and so are their ids.
    with_entity = {url for url, page in pages.items() if "entity" in page.meta_fields}
    assert with_entity and not _edit(built.full, with_entity, [], tmp_path / "no-entity")
    assert not any((tmp_path / name).exists() for name in ("twin", "field", "no-entity"))
    with pytest.raises(BundleFormatError, match="sort order"):
        edit_bundle(
            built.full,
            list(pages),
            set(),
            [],
            tmp_path / "sorts",
            runtime=built.full,
            sort_values=lambda filters: {"date": filters.get("区县", ["-"])[0]},
        )
    with pytest.raises(BundleFormatError, match="pages, not"):
        urls = [*pages, "/case/extra/"]
        edit_bundle(
            built.full, urls, set(), [], tmp_path / "n", runtime=built.full, sort_values=search_entry_sorts
        )
