"""What citizens and journalists do on the site, in a real browser."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import COMPANY, RESTAURANT, SHOP
from tests.site_tree import COMPANY_PENALTY_ID, WITHDRAWN_ID, WITHDRAWN_NUMBER

pytestmark = pytest.mark.xdist_group("site")


def search(page: Page, site_url: str, query: str, **filters: str) -> list[str]:
    params = "&".join([f"q={quote(query)}", *(f"{k}={quote(v)}" for k, v in filters.items())])
    page.goto(f"{site_url}/search/?{params}")
    status = page.locator("#search-status")
    expect(status).to_have_text(re.compile("找到|没有"), timeout=15_000)
    return page.locator(".result-title a").all_inner_texts()


def test_search_by_full_name(page: Page, site_url: str) -> None:
    titles = search(page, site_url, COMPANY[0])
    assert titles and all(COMPANY[0] in t for t in titles)


def test_search_by_two_middle_characters_of_a_name(page: Page, site_url: str) -> None:
    assert any(COMPANY[0] in t for t in search(page, site_url, "鑫源"))
    assert any(RESTAURANT[0] in t for t in search(page, site_url, "江楼"))


def test_search_by_credit_code(page: Page, site_url: str) -> None:
    titles = search(page, site_url, RESTAURANT[1])
    assert titles and all(RESTAURANT[0] in t for t in titles)


def test_search_with_a_filter(page: Page, site_url: str) -> None:
    unfiltered = search(page, site_url, "闽江楼")
    filtered = search(page, site_url, "闽江楼", kind="行政许可")
    assert len(filtered) == 1 < len(unfiltered)
    expect(page.locator("input[type=checkbox][value=行政许可]")).to_be_checked()
    page.locator("input[type=checkbox][value=行政许可]").uncheck()
    expect(page.locator(".result-title a")).to_have_count(len(unfiltered))
    assert "kind=" not in page.url  # the URL follows the filters, so it can be shared


def test_a_district_word_is_the_district_filter(page: Page, site_url: str) -> None:
    # Both names have 公司; only the trading company is registered in 鼓楼区 (its code's 350102),
    # and neither name says so.
    for district in ("鼓楼区", "鼓楼"):
        titles = search(page, site_url, f"{district} 公司")
        assert any(COMPANY[0] in t for t in titles) and not any(RESTAURANT[0] in t for t in titles)
        expect(page.locator("#search-status")).to_contain_text("已按区县“鼓楼区”筛选")
    assert "q=%E9%BC%93" in page.url  # the query stays as typed


def test_removed_subject_is_not_found(page: Page, site_url: str) -> None:
    # Pagefind may answer with records that share some of the query's words: never with the shop.
    for query in (SHOP[0], SHOP[1], "张记", WITHDRAWN_NUMBER):
        titles = search(page, site_url, query)
        assert SHOP[0] not in page.content() and SHOP[0] not in titles, query


def test_no_result_message_with_tips(page: Page, site_url: str) -> None:
    assert search(page, site_url, "ZZQX9") == []
    expect(page.locator("#no-results")).to_be_visible()
    expect(page.locator("#no-results")).to_contain_text("试试")


def test_open_record_then_entity(page: Page, site_url: str) -> None:
    search(page, site_url, "鑫源", kind="行政处罚")
    page.locator(".result-title a").first.click()
    expect(page).to_have_url(re.compile(r"/penalty/[a-z2-7]{16}/$"))
    expect(page.locator("h1")).to_have_text(COMPANY[0])
    expect(page.locator("table.fields")).to_contain_text("行政处罚决定书文号")
    page.get_by_role("link", name=COMPANY[0]).first.click()
    expect(page).to_have_url(f"{site_url}/entity/{COMPANY[1]}/")
    expect(page.locator("main")).to_contain_text("行政处罚")
    expect(page.locator("main")).to_contain_text("典型案例")


def test_removed_record_url_shows_a_notice(page: Page, site_url: str) -> None:
    response = page.goto(f"{site_url}/penalty/{WITHDRAWN_ID}/")
    assert response is not None and response.ok
    expect(page.locator("h1")).to_have_text("该信息已停止公示")
    expect(page.locator("main")).to_contain_text("撤销公示")
    assert SHOP[0] not in page.content()
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"


def test_keyboard_reaches_results(page: Page, site_url: str) -> None:
    search(page, site_url, "鑫源")
    page.locator("body").click()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.closest('.result-title') !== null")
    assert focused


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 740), ("desktop", 1280, 900)])
def test_screenshots(page: Page, site_url: str, name: str, width: int, height: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    for label, url in (("home", "/"), ("record", f"/penalty/{COMPANY_PENALTY_ID}/")):
        page.goto(site_url + url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{label} scrolls sideways at {width}px"
        page.screenshot(path=str(ARTIFACTS / f"{label}-{name}.png"), full_page=True)
