"""The 7-working-day rule of 双公示, by the Chinese public-holiday calendar.

``chinese-calendar`` knows the official holidays and make-up working days
(调休) for the years the State Council has announced; for a year it does not
know yet we count Monday to Friday and say so, rather than guess holidays.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

DEADLINE_WORKING_DAYS = 7


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def calendar_known(day: dt.date) -> bool:
    """Whether the holiday calendar for ``day``'s year has been announced and packaged."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start).

    From per-year running counts: every entry's timeliness is checked at each full build, and
    an archive's decisions lie up to a year before their release (a day-by-day count took 7 s
    of a 10^5-record build).
    """
    if end <= start:
        return 0
    if start.year == end.year:
        counts = _running_counts(end.year)
        return counts[_day_of_year(end)] - counts[_day_of_year(start)]
    count = _running_counts(start.year)[-1] - _running_counts(start.year)[_day_of_year(start)]
    count += sum(_running_counts(year)[-1] for year in range(start.year + 1, end.year))
    return count + _running_counts(end.year)[_day_of_year(end)]


def _day_of_year(day: dt.date) -> int:
    return day.toordinal() - dt.date(day.year, 1, 1).toordinal()


@lru_cache(maxsize=64)
def _running_counts(year: int) -> tuple[int, ...]:
    """Element i: the working days of ``year`` from 1 January through its day i (0-based)."""
    counts, total = [], 0
    day, one = dt.date(year, 1, 1), dt.timedelta(days=1)
    while day.year == year:
        total += is_working_day(day)
        counts.append(total)
        day += one
    return tuple(counts)


def is_late(decided: dt.date, published: dt.date) -> bool:
    """Published later than 7 working days after the decision."""
    return working_days_between(decided, published) > DEADLINE_WORKING_DAYS
