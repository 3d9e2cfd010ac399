"""The renderer's keys: what a new or removed record makes the next build render again."""

from __future__ import annotations

from disclosure.site.render import list_pages
from disclosure.site.views import RecordView
from tests.site_tree import SiteTree
from tests.test_site_views import many_views


def list_keys(records: list[RecordView]) -> dict[str, str]:
    return {page.url: key for page, _nav, key in list_pages(records)}


def test_one_record_more_or_less_changes_a_few_list_pages(site_tree: SiteTree) -> None:
    records = many_views(site_tree, 100)  # 600 records, newest first
    before = list_keys(records)
    assert len(before) > 60
    for position in (3, len(records) // 3, len(records) - 2):
        removed = records[position]
        after = list_keys(records[:position] + records[position + 1 :])
        changed = {url for url in before.keys() | after.keys() if before.get(url) != after.get(url)}
        # Each list holding the record: its front, its stretch, and at most one merged or renamed
        # stretch with the two neighbours that link to it.  Not every page after it.
        lists = 4  # by kind, and by its district, department and year
        assert len(changed) <= lists * 5, (position, sorted(changed))
        assert f"/{removed.kind.value}/" in changed
