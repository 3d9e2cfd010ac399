"""The sitemap: ``/sitemap.xml`` is an index of files that list at most 50,000 pages each, and
``/robots.txt`` points crawlers to it.

Why an index: sitemaps.org allows one sitemap 50,000 URLs (and 50 MB), and search engines refuse
a longer one whole, so its pages go unlisted.  A city's portal has some 150,000 pages at 10^5
records (records, entities, lists).  The parts sit at the site's root, not in a folder of their
own: a sitemap may list only URLs under the folder it is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

SITEMAP = "sitemap.xml"  # the index, where robots.txt and crawlers look
URLS_PER_FILE = 50_000  # sitemaps.org: "no more than 50,000 URLs"
_HEAD = '<?xml version="1.0" encoding="utf-8"?>'
_XMLNS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def part_name(number: int) -> str:
    """The file of the ``number``-th part, from 1."""
    return f"sitemap-{number}.xml"


def sitemap_files(site_url: str, urls: Sequence[str], per_file: int = URLS_PER_FILE) -> list[tuple[str, str]]:
    """Each part's path and text, ``per_file`` of ``urls`` (site-relative, in order) a part, then
    the index's; one empty part where there are no URLs, so that the index is never empty."""
    if per_file < 1:
        raise ValueError(f"a sitemap must hold at least one URL, not {per_file}")
    parts = [urls[start : start + per_file] for start in range(0, len(urls), per_file)] or [[]]
    files = [(part_name(number), _urlset(site_url, part)) for number, part in enumerate(parts, 1)]
    index = [f"<sitemap><loc>{escape(site_url)}/{path}</loc></sitemap>" for path, _ in files]
    files.append((SITEMAP, "\n".join([_HEAD, f"<sitemapindex {_XMLNS}>", *index, "</sitemapindex>\n"])))
    return files


def robots_txt(site_url: str) -> str:
    """Every page may be crawled; the sitemap says where they are."""
    return f"User-agent: *\nDisallow:\n\nSitemap: {site_url}/{SITEMAP}\n"


def _urlset(site_url: str, urls: Sequence[str]) -> str:
    lines = [f"<url><loc>{escape(site_url + url)}</loc></url>" for url in urls]
    return "\n".join([_HEAD, f"<urlset {_XMLNS}>", *lines, "</urlset>\n"])
