"""Publicity arithmetic and the rules file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from disclosure.rules import (
    NotPublished,
    RuleViolation,
    add_months,
    list_publicity,
    load_rules,
    parse_amount,
    penalty_publicity,
    term_end,
)

RULES = load_rules()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-04-01", 36, "2029-04-01"),
        ("2026-12-15", 12, "2027-12-15"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(dt.date.fromisoformat(start), months) == dt.date.fromisoformat(expected)


def test_term_end_is_the_last_day_shown() -> None:
    assert term_end(dt.date(2026, 4, 1), 12) == dt.date(2027, 3, 31)


def test_the_rules_change_on_2026_04_01() -> None:
    before = penalty_publicity(
        RULES,
        decided=dt.date(2026, 3, 31),
        penalty_types=["罚款"],
        severity=None,
        fine_wan=Decimal(1),
        sector_text="价格违法",
        publicity_until=None,
    )
    after = penalty_publicity(
        RULES,
        decided=dt.date(2026, 4, 1),
        penalty_types=["罚款"],
        severity=None,
        fine_wan=Decimal(1),
        sector_text="价格违法",
        publicity_until=None,
    )
    assert not isinstance(before, NotPublished) and not isinstance(after, NotPublished)
    assert before.until == dt.date(2029, 3, 30)  # Order No. 58: at most 3 years
    assert after.until == dt.date(2027, 3, 31)  # Order No. 36, 一般 by default: at most 1 year


@pytest.mark.parametrize(
    "sector", ["《中华人民共和国消防法》第六十条", "违反安全生产法", "特种设备安全法第八十三条"]
)
def test_old_rules_longer_minimum_for_listed_sectors(sector: str) -> None:
    result = penalty_publicity(
        RULES,
        decided=dt.date(2025, 5, 1),
        penalty_types=["罚款"],
        severity=None,
        fine_wan=None,
        sector_text=sector,
        publicity_until=None,
    )
    assert not isinstance(result, NotPublished)
    assert result.repairable_from == dt.date(2026, 5, 1)


def test_minor_tier_fine_limit() -> None:
    with pytest.raises(RuleViolation, match="罚款金额超过0.3万元"):
        penalty_publicity(
            RULES,
            decided=dt.date(2026, 6, 1),
            penalty_types=["罚款"],
            severity="轻微",
            fine_wan=Decimal("0.5"),
            sector_text="",
            publicity_until=None,
        )


def test_list_valid_until_cannot_exceed_the_lists_term() -> None:
    with pytest.raises(RuleViolation, match="最长期限"):
        list_publicity(
            RULES, list_name="严重失信主体名单", decided=dt.date(2026, 1, 1), valid_until=dt.date(2030, 1, 1)
        )


@pytest.mark.parametrize(("text", "value"), [("5", "5"), ("1,000.5", "1000.5"), ("0.086", "0.086")])
def test_amounts(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["-1", "NaN", "五万", "Infinity"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(RuleViolation):
        parse_amount(text)


def test_another_rules_file_can_publish_minor_penalties(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "disclosure" / "rules.toml").read_text(encoding="utf-8")
    strict = tmp_path / "rules.toml"
    strict.write_text(text.replace("publish_minor = false", "publish_minor = true"), encoding="utf-8")
    result = penalty_publicity(
        load_rules(strict),
        decided=dt.date(2026, 3, 2),
        penalty_types=["警告"],
        severity=None,
        fine_wan=None,
        sector_text="",
        publicity_until=None,
    )
    assert not isinstance(result, NotPublished)
