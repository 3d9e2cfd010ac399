"""The /stats/ page and its build-time SVG chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from disclosure.office import timeliness_report
from disclosure.site.charts import MonthCount, monthly_timeliness_svg
from disclosure.verify import verify_releases
from tests.site_tree import SiteTree

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_valid_svg_with_one_stack_per_month() -> None:
    months = [MonthCount("2026-09", 120, 10), MonthCount("2026-10", 80, 0), MonthCount("2026-11", 150, 45)]
    root = ET.fromstring(monthly_timeliness_svg(months, title="及时性"))
    assert root.get("role") == "img" and root.findtext(f"{SVG}title") == "及时性"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") in ("#0b3d91", "url(#late-hatch)")]
    assert len(bars) == 2 * len(months)
    heights = [float(r.get("height", "0")) for r in bars]
    # The tallest stack is the busiest month, and a month with no late decisions has an empty late bar.
    assert heights[4] + heights[5] > heights[0] + heights[1] > heights[2] + heights[3]
    assert heights[3] == 0
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "150（迟45）" in labels and "2026-10" in labels


def test_empty_chart_does_not_divide_by_zero() -> None:
    ET.fromstring(monthly_timeliness_svg([], title="无数据"))


def test_stats_page_matches_the_report(built_site: Path, site_tree: SiteTree) -> None:
    html = (built_site / "stats" / "index.html").read_text()
    assert "<svg" in html and "<script" not in html
    for department in timeliness_report(verify_releases(site_tree.root)):
        assert (
            f"<td><bdi>{department.department}</bdi></td><td>{department.total}</td><td>{department.late}</td>"
            in html
        )
