"""In a real browser: Pagefind's own index of a page set and the canonical merged one answer the same."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from tests.e2e.conftest import _QuietHandler
from tests.pagefind_pages import DISTRICTS, Built, S

pytestmark = pytest.mark.xdist_group("site")


QUERIES: list[dict[str, Any]] = [
    {"term": "公司"},
    {"term": "排污"},
    {"term": "华夏建材"},
    {"term": "罚款", "options": {"filters": {"区县": "江北区"}}},
    {"term": "处罚", "options": {"sort": {"date": "desc"}}},
    {"term": None, "options": {"filters": {"部门": "税务局"}, "sort": {"date": "asc"}}},
    {"term": "société"},
]

SCRIPT = """async ([base, queries]) => {
  const pf = await import(base + "pagefind.js");
  await pf.options({ basePath: base, baseUrl: "/", excerptLength: 30 });
  const out = { filters: await pf.filters(), results: [] };
  for (const q of queries) {
    const r = await pf.search(q.term, q.options || {});
    const rows = [];
    for (const res of r.results) {
      const d = await res.data();
      rows.push({ url: d.url, score: res.score, excerpt: d.excerpt, meta: d.meta, filters: d.filters });
    }
    out.results.push({ count: r.results.length, unfiltered: r.unfilteredResultCount, counts: r.filters, rows });
  }
  return out;
}"""


def _untie(rows: list[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
    """Pagefind breaks ties by page number, which follows its directory walk; the canonical
    writer numbers pages by URL.  Equal keys may come in either order, nothing else may differ."""
    return sorted(rows, key=lambda row: (row[key], row["url"]))


def test_browser_gives_the_same_answers(built: Built, browser: Any) -> None:
    root = built.fresh.parent.parent
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    page = browser.new_page()
    try:
        page.goto(f"{url}/")
        answers = {
            name: page.evaluate(SCRIPT, [f"/{path.relative_to(root)}/", QUERIES])
            for name, path in (("fresh", built.fresh), ("merged", built.merged))
        }
    finally:
        page.close()
        server.shutdown()
    fresh, merged = answers["fresh"], answers["merged"]
    assert fresh["filters"] == merged["filters"]
    assert fresh["filters"]["区县"] == {d: sum(e.district == d for e in S) for d in DISTRICTS}
    for query, a, b in zip(QUERIES, fresh["results"], merged["results"], strict=True):
        assert a["count"] > 0, query
        assert (a["count"], a["unfiltered"], a["counts"]) == (b["count"], b["unfiltered"], b["counts"]), query
        if "sort" in query.get("options", {}):
            key = "date"  # a sorted result's score is its place in the sort, which depends on the tie order
            for rows in (a["rows"], b["rows"]):
                for row in rows:
                    row[key] = (row["filters"].get("日期") or [""])[0]
                    del row["score"]
            assert [r[key] for r in a["rows"]] == [r[key] for r in b["rows"]], query
        else:
            key = "score"
            assert [r["score"] for r in a["rows"]] == [r["score"] for r in b["rows"]], query
        assert _untie(a["rows"], key) == _untie(b["rows"], key), query
    assert any("<mark>" in row["excerpt"] for row in fresh["results"][0]["rows"])
