from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from disclosure.site.sitemaps import SITEMAP, URLS_PER_FILE, part_name, robots_txt, sitemap_files

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITE = "https://credit.example.gov.cn"


def _locs(text: str) -> list[str]:
    return [loc.text or "" for loc in ET.fromstring(text.encode()).iter(f"{NS}loc")]


def test_the_urls_are_listed_in_parts_of_at_most_the_limit_and_the_index_names_each_part() -> None:
    urls = [f"/penalty/{n:04d}/" for n in range(5)]
    files = dict(sitemap_files(SITE, urls, per_file=2))
    assert list(files) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", SITEMAP]
    parts = [_locs(files[part_name(n)]) for n in (1, 2, 3)]
    assert [len(p) for p in parts] == [2, 2, 1]
    assert [loc for part in parts for loc in part] == [SITE + url for url in urls]  # in order, once each
    index = ET.fromstring(files[SITEMAP].encode())
    assert index.tag == f"{NS}sitemapindex"
    assert _locs(files[SITEMAP]) == [f"{SITE}/sitemap-{n}.xml" for n in (1, 2, 3)]
    for n in (1, 2, 3):
        assert ET.fromstring(files[part_name(n)].encode()).tag == f"{NS}urlset"


def test_the_limit_is_the_protocol_s_and_a_site_under_it_has_one_part() -> None:
    assert URLS_PER_FILE == 50_000
    files = sitemap_files(SITE, [f"/entity/{n}/" for n in range(URLS_PER_FILE)])
    assert [path for path, _ in files] == ["sitemap-1.xml", SITEMAP]
    files = sitemap_files(SITE, [f"/entity/{n}/" for n in range(URLS_PER_FILE + 1)])
    assert [path for path, _ in files] == ["sitemap-1.xml", "sitemap-2.xml", SITEMAP]


def test_no_urls_still_make_an_index_with_one_empty_part() -> None:
    files = dict(sitemap_files(SITE, []))
    assert _locs(files["sitemap-1.xml"]) == []
    assert _locs(files[SITEMAP]) == [f"{SITE}/sitemap-1.xml"]


def test_a_url_is_escaped_for_xml() -> None:
    files = dict(sitemap_files("https://example.org/a&b", ["/x?y=1&z=<2>/"]))
    assert "&amp;" in files["sitemap-1.xml"] and "<2>" not in files["sitemap-1.xml"]
    assert _locs(files["sitemap-1.xml"]) == ["https://example.org/a&b/x?y=1&z=<2>/"]
    assert _locs(files[SITEMAP]) == ["https://example.org/a&b/sitemap-1.xml"]


def test_a_part_must_hold_a_url() -> None:
    with pytest.raises(ValueError, match="at least one URL"):
        sitemap_files(SITE, ["/"], per_file=0)


def test_robots_txt_allows_every_page_and_names_the_index() -> None:
    lines = robots_txt(SITE).splitlines()
    assert lines[:2] == ["User-agent: *", "Disallow:"]
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
