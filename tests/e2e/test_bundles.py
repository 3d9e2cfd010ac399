"""The search index in bundles, merged in the browser newest first (disclosure/site/bundles.py)."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from disclosure.build import build_site
from disclosure.fold import PublishedRecord, fold_releases
from disclosure.site.bundles import Bundle, plan_bundles
from disclosure.site.views import newest_first, record_url, record_view
from disclosure.verify import verify_releases
from tests.conftest import SignedTree
from tests.e2e.conftest import _QuietHandler

pytestmark = pytest.mark.xdist_group("site")
COUNTED = re.compile(r"^找到 \d+ 条(?!以上)")  # the search page's status once every bundle it needs is merged


@pytest.fixture(scope="module")
def sample_site(
    signed_releases: SignedTree, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    out = tmp_path_factory.mktemp("bundled") / "build"
    # A small cap, so that these few hundred records make several bundles as a city's archive would.
    monkeypatch_cap = pytest.MonkeyPatch()
    monkeypatch_cap.setattr("disclosure.site.bundles.BUNDLE_CAP", 60)
    monkeypatch_cap.setattr("disclosure.site.render.plan_bundles", functools.partial(plan_bundles, cap=60))
    try:
        build_site(signed_releases.root, signed_releases.weeks[-1], out)
    finally:
        monkeypatch_cap.undo()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(out))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


def test_every_page_of_a_bundle_carries_its_tag(sample_site: tuple[str, Path]) -> None:
    _, out = sample_site
    bundles = json.loads((out / "pagefind" / "bundles.json").read_text())["bundles"]
    assert len(bundles) >= 2
    for bundle in bundles:
        names = [p.name for p in (out / bundle["path"].strip("/") / "fragment").iterdir()]
        assert len(names) == bundle["count"]
        assert all(name.startswith(f"zh-cn_{bundle['tag']}-") for name in names)


def test_merged_results_come_newest_first(sample_site: tuple[str, Path], browser: object) -> None:
    url, out = sample_site
    assert isinstance(browser, Browser)
    page = browser.new_page()
    page.goto(f"{url}/search/?q=公司")
    expect(page.locator("#search-status")).to_have_text(COUNTED, timeout=20_000)
    dates: list[str] = []
    for _ in range(40):  # page on across the 60-record bundles
        dates = re.findall(r"\d{4}-\d{2}-\d{2}", " ".join(page.locator(".results .meta").all_inner_texts()))
        if len(dates) >= 70 or not page.locator("#more").is_visible():
            break
        page.locator("#more").click()
        expect(page.locator(".results li")).not_to_have_count(len(dates))
    # The exact matches (公司 in a name) come first, then the query's other matches: each newest first.
    exact = int(re.findall(r"\d+", page.locator("#search-status").inner_text())[0])
    assert dates[:exact] == sorted(dates[:exact], reverse=True), dates
    assert dates[exact:] == sorted(dates[exact:], reverse=True), dates
    bundles = json.loads((out / "pagefind" / "bundles.json").read_text())["bundles"]
    assert sum(1 for b in bundles if b["count"]) >= 3
    page.close()


def test_a_number_in_the_oldest_bundle_comes_first(
    sample_site: tuple[str, Path], signed_releases: SignedTree, browser: object
) -> None:
    # A licence number is found by the exact pass, with nothing after it (search.js NUMBERED): the
    # newer bundles, which lack it, must not answer with their own words it starts with ("ws", "jy").
    url, _ = sample_site
    assert isinstance(browser, Browser)
    licensed = [p for p in _published(signed_releases) if p.entry.fields.get("license_number")]
    oldest = _oldest(licensed)
    number = str(oldest.entry.fields["license_number"])
    expected = {
        record_url(p.entry.kind, p.entry.id) for p in licensed if p.entry.fields["license_number"] == number
    }
    page = browser.new_page()
    shown = set(_counted_results(page, url, number))
    assert shown == expected, (number, shown)
    page.close()


def test_a_rare_name_merges_only_the_bundles_that_hold_it(
    sample_site: tuple[str, Path], signed_releases: SignedTree, browser: object
) -> None:
    # The routing table (site/routing.py) sends a name that few records have straight to their
    # bundles: the page loads the newest bundle (always) and theirs, and no other.
    url, out = sample_site
    assert isinstance(browser, Browser)
    published = [p for p in _published(signed_releases) if p.entry.kind.value != "case"]
    name = _oldest(published).entry.subject.name
    fragment = name[2:7]  # from the middle of the name: no segmenter cuts a word there
    holders = [p for p in published if fragment in p.entry.subject.name]
    listing = json.loads((out / "pagefind" / "bundles.json").read_text())["bundles"]
    assert len(holders) < 10 and len(listing) >= 4, (fragment, len(holders))
    page = browser.new_page()
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if r.url.endswith(".pf_meta") else None)
    shown = _counted_results(page, url, fragment)
    holding = {record_url(p.entry.kind, p.entry.id) for p in holders}
    assert set(shown[: len(holding)]) == holding, (fragment, shown)
    assert page.locator(".result-title mark").first.inner_text() == fragment
    merged = {b["path"] for b in listing if any(f"{b['path']}pagefind." in u for u in loaded)}
    assert listing[0]["path"] in merged and len(merged) < len(listing) / 2, merged
    page.close()


def test_a_whole_document_number_merges_only_its_bundles(
    sample_site: tuple[str, Path], signed_releases: SignedTree, browser: object
) -> None:
    # A whole number routes by its serial with its department and year (routing.py, keys of runs
    # and characters together): search.js must cut and join them as routing.py does.
    url, _ = sample_site
    assert isinstance(browser, Browser)
    bundles = _bundles(signed_releases)
    numbered = [r for b in bundles for r in b.records if r.document_number and r.kind.value == "penalty"]
    number = min(numbered, key=lambda r: (r.decided, r.url)).document_number
    holding = {r.url for r in numbered if number in r.exact_texts}
    shown, merged = _routed_search(browser, url, number, bundles)
    assert set(shown) == holding, (number, shown)
    assert merged == _newest_and_holding(bundles, holding), number


def test_a_word_filtered_by_district_merges_only_the_bundles_with_it_there(
    sample_site: tuple[str, Path], signed_releases: SignedTree, browser: object
) -> None:
    # "鼓楼区 小学": a pair of characters in many bundles, but in few of them within the district.
    # Its pairs filed under the 区县 (routing.py) send the page to those few only.
    url, _ = sample_site
    assert isinstance(browser, Browser)
    bundles = _bundles(signed_releases)
    records = [r for b in bundles for r in b.records]
    choices = []
    for record in records:
        name = record.subject_name
        for word in {name[i : i + 2] for i in range(len(name) - 1)}:
            holders = {r.url: r.district for r in records if any(word in text for text in r.exact_texts)}
            everywhere = {b.path for b in bundles if any(r.url in holders for r in b.records)}
            there = {url for url, district in holders.items() if district == record.district}
            if record.district != "其他" and len(there) < 10 and len(everywhere) > len(there) + 2:
                choices.append((len(everywhere) - len(there), word, record.district, there))
    assert choices, "no word in many bundles but few records of one district"
    _, word, district, there = max(choices)
    shown, merged = _routed_search(browser, url, f"{word}&district={district}", bundles)
    assert set(shown[: len(there)]) == there, (word, district, shown)  # then the query as typed
    assert merged == _newest_and_holding(bundles, there), (word, district)


def _bundles(tree: SignedTree) -> list[Bundle]:
    """The test site's bundles as the build planned them (a cap of 60), newest first."""
    return list(reversed(plan_bundles(newest_first(record_view(p) for p in _published(tree)), cap=60)))


def _routed_search(
    browser: Browser, url: str, query: str, bundles: list[Bundle]
) -> tuple[list[str], set[str]]:
    """The results shown for ``query`` once counted, and the bundles whose metadata the page loaded."""
    page = browser.new_page()
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url) if r.url.endswith(".pf_meta") else None)
    shown = _counted_results(page, url, query)
    page.close()
    return shown, _merged(bundles, loaded)


def _merged(bundles: list[Bundle], metadata_urls: list[str]) -> set[str]:
    """The bundles whose metadata (``…/pagefind.<lang>_<hash>.pf_meta``) is among the URLs."""
    return {b.path for b in bundles if any(f"{b.path}pagefind." in u for u in metadata_urls)}


def _newest_and_holding(bundles: list[Bundle], urls: set[str]) -> set[str]:
    """The bundles a routed query should merge: the newest (always loaded), those holding ``urls``."""
    return {bundles[0].path} | {b.path for b in bundles if any(r.url in urls for r in b.records)}


def test_a_common_word_merges_up_to_where_its_first_page_ends(
    sample_site: tuple[str, Path], signed_releases: SignedTree, browser: object
) -> None:
    # Each key of the routing table says in which bundle its records reach a page of 10; the page
    # merges the routed bundles up to there in one round before it shows anything: no fewer (a
    # second round would cost a second wait), no more (1, 2, 4 … a round would overshoot).
    url, _ = sample_site
    assert isinstance(browser, Browser)
    bundles = _bundles(signed_releases)
    choices = []
    for word in sorted({r.subject_name[i : i + 2] for b in bundles for r in b.records for i in range(3)}):
        held = [sum(any(word in t for t in r.exact_texts) for r in b.records) for b in bundles]
        routed = [b.path for b, n in zip(bundles, held, strict=True) if n]
        counts = [n for n in held if n]
        reach = next((i + 1 for i in range(len(counts)) if sum(counts[: i + 1]) >= 10), None)
        if reach is not None and reach not in (1, 3, 7) and reach < len(routed):
            choices.append((reach, word, routed[:reach]))
    assert choices, "no word whose first page ends where doubling rounds would not"
    _, word, expected = max(choices)
    page = browser.new_page()
    page.add_init_script(_FETCHES_AT_FIRST_RESULTS)
    page.goto(f"{url}/search/?q={word}")
    page.wait_for_function("window.__atFirstResults !== undefined")
    fetched: list[str] = page.evaluate("window.__fetched.slice(0, window.__atFirstResults)")
    merged = _merged(bundles, [u for u in fetched if u.endswith(".pf_meta")])
    assert merged == {bundles[0].path, *expected}, (word, len(expected))
    page.close()


# The URLs the page fetched (Pagefind runs on the page's thread), and how many of them it had asked
# for when its first result appeared.
_FETCHES_AT_FIRST_RESULTS = """
window.__fetched = [];
const fetchFirst = window.fetch;
window.fetch = (input, init) => {
  window.__fetched.push(String(input instanceof Request ? input.url : input));
  return fetchFirst(input, init);
};
new MutationObserver((_, observer) => {
  if (document.querySelector("#results li")) {
    window.__atFirstResults = window.__fetched.length;
    observer.disconnect();
  }
}).observe(document, { subtree: true, childList: true });
"""


def _published(tree: SignedTree) -> list[PublishedRecord]:
    return list(fold_releases(verify_releases(tree.root), tree.weeks[-1]).published())


def _oldest(records: list[PublishedRecord]) -> PublishedRecord:
    return min(records, key=lambda p: (p.entry.decided, p.entry.id))


def _counted_results(page: Page, url: str, query: str) -> list[str]:
    """The paths of the results the search page shows for ``query`` once it has counted them."""
    page.goto(f"{url}/search/?q={query}")
    expect(page.locator("#search-status")).to_have_text(COUNTED, timeout=20_000)
    paths: list[str] = page.locator(".result-title a").evaluate_all("as => as.map(a => a.pathname)")
    return paths
