"""SVG charts drawn at build time: no chart library, no script, readable without colour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class MonthCount:
    month: str  # YYYY-MM
    total: int
    late: int


def monthly_timeliness_svg(months: Sequence[MonthCount], *, title: str) -> str:
    """Stacked bars per month: on time (solid) and late (hatched), with values written on the bars."""
    width, height, left, bottom, top = 640, 260, 48, 36, 28
    plot_h = height - bottom - top
    peak = max((m.total for m in months), default=0) or 1
    step = (width - left - 10) / max(len(months), 1)
    bar = min(48.0, step * 0.6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<desc id="chart-desc">每月公示的行政许可和行政处罚信息数，其中超过7个工作日公示的以斜线标出；数值见下表。</desc>',
        '<defs><pattern id="late-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f6d5d7"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#b3121d" stroke-width="3"/></pattern></defs>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="12">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="12">0</text>',
    ]
    for index, month in enumerate(months):
        x = left + step * index + (step - bar) / 2
        on_time_h = plot_h * (month.total - month.late) / peak
        late_h = plot_h * month.late / peak
        y_on_time = top + plot_h - on_time_h
        y_late = y_on_time - late_h
        parts += [
            f'<rect x="{x:.1f}" y="{y_on_time:.1f}" width="{bar:.1f}" height="{on_time_h:.1f}" fill="#0b3d91"/>',
            f'<rect x="{x:.1f}" y="{y_late:.1f}" width="{bar:.1f}" height="{late_h:.1f}" fill="url(#late-hatch)"/>',
            f'<text x="{x + bar / 2:.1f}" y="{y_late - 4:.1f}" text-anchor="middle" font-size="12">'
            f"{month.total}（迟{month.late}）</text>",
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="12">'
            f"{escape(month.month)}</text>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)
