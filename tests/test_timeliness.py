"""The 7-working-day rule: working days counted by the Chinese holiday calendar."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from disclosure.timeliness import is_late, is_working_day, working_days_between


def counted_day_by_day(start: dt.date, end: dt.date) -> int:
    return sum(is_working_day(start + dt.timedelta(days=n)) for n in range(1, (end - start).days + 1))


def test_national_day_week_and_its_make_up_saturday() -> None:
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are make-up working days.
    # Working after Friday 26 September up to Sunday 12 October: 9-28 to 9-30 and 10-9 to 10-11.
    assert working_days_between(dt.date(2025, 9, 26), dt.date(2025, 10, 12)) == 6
    assert is_late(dt.date(2025, 9, 26), dt.date(2025, 10, 14))  # the 8th working day after
    assert not is_late(dt.date(2025, 9, 26), dt.date(2025, 10, 13))


def test_across_new_year_and_backwards() -> None:
    assert working_days_between(dt.date(2025, 12, 30), dt.date(2026, 1, 5)) == counted_day_by_day(
        dt.date(2025, 12, 30), dt.date(2026, 1, 5)
    )
    assert working_days_between(dt.date(2026, 3, 2), dt.date(2026, 3, 1)) == 0
    assert working_days_between(dt.date(2026, 3, 2), dt.date(2026, 3, 2)) == 0


@given(
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2031, 12, 31)),
    st.integers(min_value=-10, max_value=900),
)
def test_equals_counting_day_by_day(start: dt.date, days: int) -> None:
    """Years with a known holiday calendar and years without (Monday to Friday), and spans across them."""
    end = start + dt.timedelta(days=days)
    assert working_days_between(start, end) == counted_day_by_day(start, end)
