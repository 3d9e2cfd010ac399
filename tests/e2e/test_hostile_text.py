"""Hostile text that staging accepts renders as inert text everywhere: pages, feeds, JSON, CSV, search."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.build import build_site
from disclosure.model import Kind
from disclosure.stage import entry_id
from tests.conftest import new_tree, stage_and_sign
from tests.e2e.conftest import _QuietHandler
from tests.factories import MARKET_BUREAU, case_item, day, penalty_row, write_csv, write_yaml

pytestmark = pytest.mark.xdist_group("site")

SCRIPT = '<script>alert("x")</script>'
TEMPLATE = "{{ 7*7 }}{% if true %}模板{% endif %}"
FORMULA = '=HYPERLINK("http://evil.example","点击")'
NAME = "福州<b>粗体</b>&amp;贸易有限公司"
NUMBER = "榕市监处罚〔2026〕6001号"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, office_key: Ed25519PrivateKey) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    root = new_tree(base / "data_releases", office_key)
    row = penalty_row(
        NUMBER,
        行政相对人名称=NAME,
        违法事实=f"当事人在页面中写入{SCRIPT}以及{TEMPLATE}，企图注入。",
        处罚内容=FORMULA,
    )
    case = case_item(
        正文=f"## 案情\n\n{SCRIPT}\n\n<iframe src='https://evil.example'></iframe>\n\n[链接](javascript:alert(1))",
        涉及主体=[{"名称": NAME, "统一社会信用代码": row["行政相对人代码_1"]}],
    )
    files = [write_csv(base / "p.csv", [row]), write_yaml(base / "c.yaml", [case])]
    stage_and_sign(root, files, day("2026-11-16"), office_key)
    out = base / "build"
    build_site(root, day("2026-11-20"), out)
    return out


def record_dir(site: Path) -> Path:
    return site / "penalty" / entry_id(Kind.PENALTY, MARKET_BUREAU[1], NUMBER)


def test_record_page_escapes_everything(hostile_site: Path) -> None:
    html = (record_dir(hostile_site) / "index.html").read_text()
    assert SCRIPT not in html and "<b>粗体</b>" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;b&gt;粗体&lt;/b&gt;&amp;amp;" in html
    assert "{{ 7*7 }}" in html and "49" not in html.split("违法事实")[1].split("</tr>")[0]
    assert "<bdi>" in html


def test_case_markdown_is_sanitised(hostile_site: Path) -> None:
    (case_page,) = (hostile_site / "case").glob("*/index.html")
    html = case_page.read_text()
    body = html.split('class="case-body"')[1].split("</section>")[0]
    assert "<script" not in body and "<iframe" not in body and "javascript:" not in body


def test_downloads_and_feeds_stay_inert(hostile_site: Path) -> None:
    data = (hostile_site / "data" / "penalty.csv").read_bytes().decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(data)))
    assert row["处罚内容"] == "'" + FORMULA
    assert row["主体名称"] == NAME  # CSV is data, not markup: the name is kept exactly
    (item,) = json.loads((hostile_site / "data" / "penalty.json").read_bytes())
    assert item["entry"]["subject"]["name"] == NAME and SCRIPT in item["entry"]["fields"]["facts"]
    feed = ET.parse(hostile_site / "feeds" / "penalty.atom.xml").getroot()
    titles = [t.text or "" for t in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(NAME in t for t in titles)  # parsed back as text: it was escaped in the XML


def test_search_results_show_hostile_text_as_text(hostile_site: Path, browser: object) -> None:
    import functools
    import http.server
    import threading

    from playwright.sync_api import Browser, Dialog

    assert isinstance(browser, Browser)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(hostile_site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/search/?q=注入")
        page.wait_for_selector(".result-title a", timeout=15_000)
        assert "粗体" in page.locator(".result-title a").first.inner_text()
        assert page.locator(".results b, .results script, .results iframe").count() == 0
        record = page.locator(".result-title a").first.get_attribute("href")
        page.goto(f"http://127.0.0.1:{server.server_address[1]}{record}")
        assert page.locator("main b, main script").count() == 0
        assert dialogs == []
        page.close()
    finally:
        server.shutdown()
