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
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count


def is_late(decided: dt.date, published: dt.date) -> bool:
    """Published later than 7 working days after the decision."""
    return working_days_between(decided, published) > DEADLINE_WORKING_DAYS
