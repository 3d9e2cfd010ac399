"""Search quality on a site of about 1,900 sample records: the golden queries (docs/search.md).

All queries are typed into one loaded search page (recall@10 and query time); a stratified
sample of them is also opened as /search/?q=... links, the way a shared link or the header's
search box reaches the page (time including Pagefind's start-up).  The report goes to
test-artifacts/golden-report.json.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser

from disclosure.build import build_site
from disclosure.fold import PublishedRecord, fold_releases
from disclosure.site.views import record_url
from disclosure.verify import verify_releases
from tests.conftest import WEEKS, add_sample_week, new_tree
from tests.e2e.conftest import ARTIFACTS, _QuietHandler
from tests.golden import (
    GoldenQuery,
    category_counts,
    causes,
    explain_misses,
    make_golden_queries,
    run_golden_queries,
    serve,
)

pytestmark = pytest.mark.xdist_group("site")

AS_OF = dt.date(2026, 11, 20)
RECORDS_PER_WEEK = 550  # four weeks: about 1,900 published as of AS_OF
SEED = 7
# Measured on this site: 0.996 (docs/search.md; 0.921 before the suffix grams, the district filter
# and exact identifiers).  The target is 0.95; never lower this below it.
MIN_RECALL = 0.97
URL_SAMPLE_EVERY = 6  # every 6th query is also opened as a link (a page load costs ~0.5 s)


@dataclass(frozen=True)
class GoldenSite:
    url: str
    out: Path
    published: list[PublishedRecord]
    queries: list[GoldenQuery]


@pytest.fixture(scope="module")
def golden_site(
    tmp_path_factory: pytest.TempPathFactory, office_key: Ed25519PrivateKey
) -> Iterator[GoldenSite]:
    base = tmp_path_factory.mktemp("golden")
    root = new_tree(base / "data_releases", office_key)
    for number, week in enumerate(WEEKS, start=1):
        add_sample_week(root, base / f"inbox-{number}", office_key, week, RECORDS_PER_WEEK, seed=70 + number)
    out = base / "build"
    build_site(root, AS_OF, out)
    published = list(fold_releases(verify_releases(root), AS_OF).published())
    queries = make_golden_queries(published, seed=SEED)
    with serve(out, _QuietHandler) as url:
        yield GoldenSite(url, out, published, queries)


def test_golden_queries(golden_site: GoldenSite, browser: object) -> None:
    assert isinstance(browser, Browser)
    queries = golden_site.queries
    counts = category_counts(queries)
    print("golden queries per category:", json.dumps(counts, ensure_ascii=False))
    assert len(queries) >= 200 and len(counts) >= 10 and min(counts.values()) >= 8

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        typed = run_golden_queries(context.new_page(), golden_site.url, queries, typed=True)
        linked = run_golden_queries(context.new_page(), golden_site.url, queries[::URL_SAMPLE_EVERY])
    finally:
        context.close()
    explain_misses(typed, queries, golden_site.out)
    explain_misses(linked, queries, golden_site.out)
    print("typed into the page:\n" + typed.summary())
    print("misses by cause:", json.dumps(causes(typed), ensure_ascii=False))
    print(f"opened as links (every {URL_SAMPLE_EVERY}th):\n" + linked.summary())

    ARTIFACTS.mkdir(exist_ok=True)
    report = {
        "as_of": AS_OF.isoformat(),
        "seed": SEED,
        "published": len(golden_site.published),
        "queries_per_category": counts,
        "typed": {**typed.to_json(), "misses_by_cause": causes(typed)},
        "url": {**linked.to_json(), "misses_by_cause": causes(linked)},
    }
    path = ARTIFACTS / "golden-report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    errors = [(r.query, r.error) for r in (*typed.results, *linked.results) if r.error]
    assert not errors, errors  # every query finished with 找到 or 没有
    assert typed.recall >= MIN_RECALL, f"recall@10 {typed.recall:.3f} < {MIN_RECALL}; see {path}"


def test_expected_sets_are_well_formed(golden_site: GoldenSite) -> None:
    queries = golden_site.queries
    assert len({(q.query, q.kind_filter) for q in queries}) == len(queries)
    urls = {record_url(p.entry.kind, p.entry.id) for p in golden_site.published}
    assert all(q.expected and q.expected <= urls for q in queries)
    fragments = [q for q in queries if q.category.startswith("fragment_")]
    assert {q.detail for q in fragments} >= {"prefix", "middle", "suffix"}
    assert all(len(q.query) == int(q.category[-1]) for q in fragments)
    assert all(len(q.query) == 18 for q in queries if q.category == "credit_code")


def test_generator_is_deterministic(golden_site: GoldenSite) -> None:
    again = make_golden_queries(golden_site.published, seed=SEED)
    other = make_golden_queries(golden_site.published, seed=SEED + 1)
    assert again == golden_site.queries
    assert {q.query for q in other} != {q.query for q in again}
