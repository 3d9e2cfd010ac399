"""Pagefind 1.5.2 runs over Chinese search entries shaped like theme/templates/search_entry.html:
what tests/test_pagefind_index.py and tests/test_pagefind_write.py read and write."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libipld

from disclosure._internal.pagefind_index import IndexedPage, read_bundle
from disclosure._internal.pagefind_write import write_bundle
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


def entries(prefix: str, count: int, seed: int) -> list[Entry]:
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


def write_entries(site: Path, entries: list[Entry]) -> None:
    """Each entry as its search entry page, at its URL under ``site``."""
    for entry in entries:
        page = site / entry.url.strip("/") / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(_html(entry), encoding="utf-8")


def pagefind(
    folder: Path, entries: list[Entry], *, placeholder: bool = True, chunk_size: int | None = None
) -> Path:
    site = folder / "site"
    write_entries(site, entries)
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
    return libipld.decode_dag_cbor(data[12:])


S = entries("case", 70, 1)
A, B = S[:40], S[40:]
R = entries("gone", 12, 2)
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
