"""Typical cases' Markdown: rendered, and nothing active survives nh3."""

from __future__ import annotations

import pytest

from disclosure.site.markup import render_markdown


def test_markdown_renders_structure() -> None:
    html = render_markdown("## 基本案情\n\n- **守住底线**\n\n| 项目 | 金额 |\n|---|---|\n| 罚款 | 5万元 |")
    assert "<h2>基本案情</h2>" in html and "<strong>守住底线</strong>" in html and "<td>5万元</td>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<iframe src="https://evil.example/"></iframe>',
        "[点我](javascript:alert(1))",
        '<a href="javascript:alert(1)">点我</a>',
        '<div onclick="alert(1)">案情</div>',
        "<style>body{display:none}</style>",
        '<svg onload="alert(1)"></svg>',
        "<!-- {{ config }} -->",
    ],
)
def test_nothing_active_survives(hostile: str) -> None:
    html = render_markdown(f"案情说明\n\n{hostile}\n")
    lowered = html.lower()
    for marker in (
        "<script",
        "onerror",
        "<iframe",
        "javascript:",
        "onclick",
        "<style",
        "onload",
        "<svg",
        "<!--",
    ):
        assert marker not in lowered, html


def test_links_are_kept_but_inert() -> None:
    html = render_markdown("[国家法律法规数据库](https://flk.npc.gov.cn/)")
    assert 'href="https://flk.npc.gov.cn/"' in html and 'rel="nofollow noopener noreferrer"' in html
