"""Jinja filters the theme uses; registered on Pelican's environment by the plugin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any


def date_cn(day: dt.date | None, empty: str = "长期") -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day is not None else empty


def release_name(sequence: int) -> str:
    return f"{sequence:06d}"


def short_hash(value: str, length: int = 16) -> str:
    return value[:length]


def sort_date(day: dt.date) -> str:
    """A Pagefind sort key: numeric, so newest-first works across merged bundles."""
    return day.strftime("%Y%m%d")


FILTERS: dict[str, Callable[..., Any]] = {
    "date_cn": date_cn,
    "release_name": release_name,
    "short_hash": short_hash,
    "sort_date": sort_date,
}
