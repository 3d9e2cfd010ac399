"""Atom feeds of what is published now, newest first; dates come from the releases, never the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.sax.saxutils import escape

from disclosure.site.views import RecordView

FEED_SIZE = 100


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"


def atom_feed(
    *, title: str, feed_url: str, site_url: str, records: Sequence[RecordView], updated: dt.date,
    release_dates: dict[int, dt.date],
) -> bytes:  # fmt: skip
    base = site_url.rstrip("/")
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n',
        f"<title>{escape(title)}</title>\n",
        f"<id>{escape(base + feed_url)}</id>\n",
        f'<link href="{escape(base + feed_url)}" rel="self"/>\n',
        f'<link href="{escape(base + "/")}"/>\n',
        f"<updated>{_stamp(updated)}</updated>\n",
    ]
    newest = sorted(records, key=lambda r: (release_dates[r.release], r.decided, r.id), reverse=True)
    for record in newest[:FEED_SIZE]:
        link = escape(base + record.url)
        summary = (
            f"{record.kind_label}：{record.subject_name}，{record.department}，{record.decided.isoformat()}"
        )
        parts += [
            "<entry>\n",
            f"<title>{escape(record.kind_label + '：' + record.title)}</title>\n",
            f'<link href="{link}"/>\n',
            f"<id>{link}</id>\n",
            f"<updated>{_stamp(release_dates[record.release])}</updated>\n",
            f"<author><name>{escape(record.department)}</name></author>\n",
            f"<summary>{escape(summary)}</summary>\n",
            "</entry>\n",
        ]
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")
