"""Page views, search terms and feeds, computed from a real fold."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest

from disclosure.fold import fold_releases
from disclosure.model import SUBJECT_TYPE_LABELS, Kind
from disclosure.site.search_terms import merge_grams, suffix_grams
from disclosure.site.views import (
    PAGE_SIZE,
    RecordView,
    cut_by_content,
    group_entities,
    id_number,
    newest_first,
    paginate,
    record_view,
)
from disclosure.verify import verify_releases
from tests.factories import COMPANY, RESTAURANT, SHOP
from tests.site_tree import AS_OF, SiteTree

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


def views(site_tree: SiteTree):  # type: ignore[no-untyped-def]
    fold = fold_releases(verify_releases(site_tree.root), AS_OF)
    return newest_first(record_view(r) for r in fold.published())


def test_suffix_grams_start_every_fragment() -> None:
    names = ["福州鑫源贸易有限公司", "ABC科技", "陈长航"]
    grams = suffix_grams(names, 4)
    assert grams[:3] == ["福州鑫源", "州鑫源贸", "鑫源贸易"]
    assert len(grams) == len(set(grams)) and all(1 <= len(g) <= 4 for g in grams)
    # Every Han substring of at most 4 characters starts a gram, whatever cut ICU makes of it.
    for name in names:
        for run in ("".join(c if "\u3400" <= c <= "\u9fff" else " " for c in name)).split():
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + 4) + 1):
                    assert any(g.startswith(run[i:j]) for g in grams), run[i:j]
    assert "航" in grams and "ABC" not in " ".join(grams)
    assert "公司" in grams and "司" in grams  # the run's tail: nothing longer starts there
    assert "鑫源" not in grams  # it starts 鑫源贸易, which is there


def test_merge_grams_drops_grams_that_start_another() -> None:
    assert merge_grams(["鼓楼", "检测"], ["鼓楼区", "检"]) == ["检测", "鼓楼区"]


def test_record_view_labels_and_provenance(site_tree: SiteTree) -> None:
    records = views(site_tree)
    penalty = next(r for r in records if r.document_number == "榕市监处罚〔2026〕1001号")
    labels = {f.label: f.value for f in penalty.fields}
    assert labels["行政处罚决定书文号"].startswith("榕市监处罚")
    assert labels["处罚类别"] == "罚款、没收违法所得"
    assert penalty.entity_url == f"/entity/{COMPANY[1]}/"
    assert penalty.district == "鼓楼区" and penalty.district_code == "350102"
    assert penalty.release == 1 and len(penalty.digest) == 64
    terms = penalty.search_terms.split()
    assert any(t.startswith("鑫源") for t in terms) and any(t.startswith("源") for t in terms)
    assert any(t.startswith("市监处") for t in terms)  # the document number's Han part
    searchable = {f.label for f in penalty.fields if f.searchable}
    assert "违法事实" in searchable and "处罚机关" not in searchable


def test_a_view_from_the_line_alone_equals_the_view_from_its_entry(site_tree: SiteTree) -> None:
    """The build makes views from published lines (fold.published_lines), parsing an entry only
    when a page asks for it; every field must be what the parsed entry gives."""
    fold = fold_releases(verify_releases(site_tree.root), AS_OF)
    parsed = [record_view(r) for r in fold.published()]
    unparsed = [record_view(r) for r in fold.published_lines()]
    assert len(unparsed) == len(parsed) > 5
    assert any(r.kind is Kind.CASE and r.case_subjects for r in parsed)  # the sample has all shapes
    assert any(r.publicity_until for r in parsed) and any(r.publicity_until is None for r in parsed)
    names = [f.name for f in dataclasses.fields(RecordView) if f.name != "parsed"]
    for lazy, eager in zip(unparsed, parsed, strict=True):
        assert lazy.parsed is None and eager.parsed is not None
        assert [getattr(lazy, n) for n in names] == [getattr(eager, n) for n in names]
        assert (lazy.fields, lazy.search_terms, lazy.exact_texts) == (
            eager.fields, eager.search_terms, eager.exact_texts)  # fmt: skip
        assert lazy.entry == eager.entry and lazy.parsed is None  # parsed, not kept (_entry_of)
        entry = eager.entry  # what the view is read from the JSON for
        assert (lazy.id, lazy.kind, lazy.subject_name, lazy.subject_code, lazy.department,
                lazy.department_code, lazy.decided, lazy.publicity_from, lazy.publicity_until) == (
            entry.id, entry.kind, entry.subject.name, entry.subject.code, entry.department.name,
            entry.department.code, entry.decided, entry.publicity.start, entry.publicity.until)  # fmt: skip
        assert lazy.title == (entry.fields.get("title") or entry.subject.name)
        assert lazy.subject_type == SUBJECT_TYPE_LABELS[entry.subject.type]
        numbers = [entry.fields.get(k) for k in ("document_number", "case_number", "license_number")]
        assert lazy.document_number == next((str(n) for n in numbers if n), "")
        subjects = cast(list[dict[str, Any]], entry.fields.get("subjects") if entry.kind is Kind.CASE else [])
        assert lazy.case_subjects == tuple((s["name"], s.get("code") or None) for s in subjects or [])


def test_entities_group_by_code_newest_first(site_tree: SiteTree) -> None:
    entities = {e.code: e for e in group_entities(views(site_tree))}
    assert set(entities) == {COMPANY[1], RESTAURANT[1]}  # the withdrawn shop has no page
    company = entities[COMPANY[1]]
    kinds = [kind for kind, _ in company.groups]
    assert kinds == [Kind.PENALTY, Kind.BLACKLIST, Kind.CASE]
    penalties = dict(company.groups)[Kind.PENALTY]
    assert [r.decided for r in penalties] == sorted((r.decided for r in penalties), reverse=True)
    assert SHOP[1] not in entities


def many_views(site_tree: SiteTree, copies: int) -> list[RecordView]:
    """The sample's records many times over, each copy with its own id, newest first."""
    base = views(site_tree)
    return newest_first(
        dataclasses.replace(r, id=f"{r.id[:12]}{n:04d}", decided=r.decided - dt.timedelta(days=n))
        for n in range(copies)
        for r in base
    )


def test_paginate_front_and_stretches(site_tree: SiteTree) -> None:
    records = many_views(site_tree, 100)
    pages = paginate(Kind.PENALTY, "/penalty/", "行政处罚", records)
    front, stretches = pages[0], pages[1:]
    assert front.url == "/penalty/" and front.records == tuple(records[:PAGE_SIZE])
    assert all(p.url == f"/penalty/page/{p.records[-1].id}/" for p in stretches)  # named by the oldest
    assert [r for p in reversed(stretches) for r in p.records] == records  # each record once, in order
    assert all(PAGE_SIZE // 5 <= len(p.records) <= 3 * PAGE_SIZE for p in stretches[:-1])
    assert len(records) / (3 * PAGE_SIZE) <= len(stretches) <= len(records) / (PAGE_SIZE // 5)
    for older, newer in zip(stretches, stretches[1:], strict=False):
        assert older.newer == newer.url and newer.older == older.url
    assert stretches[-1].newer == "/penalty/" and stretches[0].older is None
    assert front.older in {p.url for p in stretches}
    assert records[PAGE_SIZE] in next(p for p in stretches if p.url == front.older).records


def test_adding_or_removing_a_record_changes_only_its_stretch(site_tree: SiteTree) -> None:
    records = many_views(site_tree, 100)

    def stretches(items: list[RecordView]) -> dict[str, tuple[str, ...]]:
        pages = paginate(Kind.PENALTY, "/penalty/", "行政处罚", items)[1:]
        return {p.url: tuple(r.id for r in p.records) for p in pages}

    before = stretches(records)
    for position in (5, len(records) // 2, len(records) - 3):
        after = stretches(records[:position] + records[position + 1 :])
        changed = set(before.items()) ^ set(after.items())
        assert len({url for url, _ in changed}) <= 3, position  # its stretch, and one merged or renamed


def test_feeds_are_valid_atom_and_hold_only_published(built_site: Path) -> None:
    feed = ET.parse(built_site / "feeds" / "all.atom.xml").getroot()
    titles = [e.findtext(f"{ATOM}title") or "" for e in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 6
    assert not any(SHOP[0] in t for t in titles)
    assert all(e.find(f"{ATOM}link").get("href", "").startswith("http") for e in feed.iter(f"{ATOM}entry"))  # type: ignore[union-attr]


def test_sitemap_lists_pages_but_not_removed_notices(built_site: Path) -> None:
    index = ET.fromstring((built_site / "sitemap.xml").read_bytes())
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    parts = [loc.text or "" for loc in index.iter(f"{SITEMAP_NS}loc")]
    assert [urlsplit(part).path for part in parts] == ["/sitemap-1.xml"]  # the fixture is far under the limit
    site_url = parts[0].removesuffix("/sitemap-1.xml")
    assert urlsplit(site_url).scheme in ("http", "https")  # crawlers need absolute URLs
    part = ET.fromstring((built_site / "sitemap-1.xml").read_bytes())
    urls = [loc.text or "" for loc in part.iter(f"{SITEMAP_NS}loc")]
    assert f"{site_url}/verify/" in urls and f"{site_url}/entity/{COMPANY[1]}/" in urls
    assert len(urls) > 20 and len(set(urls)) == len(urls)
    for url in urls:  # every one a page, none marked noindex (the search page, removed notices)
        assert url.startswith(site_url + "/"), url
        page = (built_site / url.removeprefix(site_url + "/") / "index.html").read_text()
        assert 'content="noindex"' not in page, url
    robots = (built_site / "robots.txt").read_text()
    assert f"Sitemap: {site_url}/sitemap.xml" in robots.splitlines()


def _cut_by_content_as_specified(ids: list[str], least: int, most: int, every: int) -> list[list[str]]:
    """The rule, one record at a time: a run ends after a record whose id number is 0 modulo
    ``every`` once it holds ``least``, and at ``most`` at the latest."""
    runs: list[list[str]] = [[]]
    for entry_id in ids:
        runs[-1].append(entry_id)
        if len(runs[-1]) >= most or (len(runs[-1]) >= least and id_number(entry_id) % every == 0):
            runs.append([])
    return [run for run in runs if run]


@pytest.mark.parametrize(
    ("count", "least", "most", "every"),
    [
        (0, 10, 150, 50),
        (1, 10, 150, 50),
        (5000, 10, 150, 50),
        (3000, 1, 7, 3),
        (3000, 20, 20, 5),
        (800, 0, 1, 2),
        (50, 0, 0, 3),
    ],
)
def test_cut_by_content_cuts_where_the_rule_says(
    site_tree: SiteTree, count: int, least: int, most: int, every: int
) -> None:
    """Stretch and bundle-part names come from these cuts, so they must not move between versions:
    a journalist's link to a list stretch names its oldest record."""
    base = views(site_tree)[0]
    records = [dataclasses.replace(base, id=f"P{n:012d}") for n in range(count)]
    runs = cut_by_content(records, least=least, most=most, every=every)
    assert [[r.id for r in run] for run in runs] == _cut_by_content_as_specified(
        [r.id for r in records], least, most, every
    )
    assert count < 1000 or len(runs) >= count // most  # the runs are cut, not one
