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


_SORT_EPOCH = dt.date(1900, 1, 1)


def sort_date(day: dt.date) -> str:
    """A Pagefind sort key: days since 1900 (Pagefind parses sort values as 32-bit floats, which hold
    integers exactly only up to 2**24, so YYYYMMDD numbers like 20261113 and 20261112 collide)."""
    return str((day - _SORT_EPOCH).days)


FILTERS: dict[str, Callable[..., Any]] = {
    "date_cn": date_cn,
    "release_name": release_name,
    "short_hash": short_hash,
    "sort_date": sort_date,
}
