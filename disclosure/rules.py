"""Publicity rules: which entries are published and for how long.

The terms are policy and live in ``rules.toml``; this module reads them and
turns one staged row into a :class:`~disclosure.model.Publicity`.  It runs at
staging only: the result is signed into the entry, so later rule changes never
rewrite history.
"""

from __future__ import annotations

import calendar
import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from disclosure.model import Kind, Publicity


class RuleViolation(ValueError):
    """A row that the rules refuse; the message is user-facing (Chinese)."""


@dataclass(frozen=True)
class NotPublished:
    """A row that is valid but, by rule, not published (e.g. a warning alone)."""

    reason: str


@dataclass(frozen=True)
class Tier:
    published: bool
    minimum_months: int
    maximum_months: int
    allowed_types: tuple[str, ...] = ()
    max_fine_wan: Decimal | None = None


@dataclass(frozen=True)
class PenaltyPeriod:
    name: str
    decided_from: dt.date
    decided_before: dt.date
    minimum_months: int = 3
    maximum_months: int = 36
    sector_minimum_months: int = 12
    publish_minor: bool = False
    tiers: dict[str, Tier] | None = None
    default_tier: str = "一般"


@dataclass(frozen=True)
class ListRule:
    kind: Kind
    term_months: int
    repair_after_months: int | None


@dataclass(frozen=True)
class Rules:
    penalty_periods: tuple[PenaltyPeriod, ...]
    sector_keywords: tuple[str, ...]
    minor_types: frozenset[str]
    licensing_open_ended: dt.date
    case_term_months: int
    lists: dict[str, ListRule]

    def period_for(self, decided: dt.date) -> PenaltyPeriod:
        for period in self.penalty_periods:
            if period.decided_from <= decided < period.decided_before:
                return period
        raise RuleViolation(f"规则文件未覆盖决定日期 {decided.isoformat()}")


def load_rules(path: Path | None = None) -> Rules:
    """The packaged rules.toml, or another file (e.g. a sector's stricter rules)."""
    if path is None:
        text = resources.files("disclosure").joinpath("rules.toml").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


def _parse(data: dict[str, Any]) -> Rules:
    penalty = data["penalty"]
    periods = []
    for raw in penalty["periods"]:
        tiers = None
        if "tiers" in raw:
            tiers = {
                name: Tier(
                    published=bool(t["published"]),
                    minimum_months=int(t["minimum_months"]),
                    maximum_months=int(t["maximum_months"]),
                    allowed_types=tuple(t.get("allowed_types", ())),
                    max_fine_wan=Decimal(t["max_fine_wan"]) if "max_fine_wan" in t else None,
                )
                for name, t in raw["tiers"].items()
            }
        periods.append(
            PenaltyPeriod(
                name=raw["name"],
                decided_from=dt.date.fromisoformat(raw["decided_from"]),
                decided_before=dt.date.fromisoformat(raw["decided_before"]),
                minimum_months=int(raw.get("minimum_months", 3)),
                maximum_months=int(raw.get("maximum_months", 36)),
                sector_minimum_months=int(raw.get("sector_minimum_months", 12)),
                publish_minor=bool(raw.get("publish_minor", False)),
                tiers=tiers,
                default_tier=raw.get("default_tier", "一般"),
            )
        )
    lists = {
        name: ListRule(
            kind=Kind(raw["kind"]),
            term_months=int(raw["term_months"]),
            repair_after_months=int(raw["repair_after_months"]) if "repair_after_months" in raw else None,
        )
        for name, raw in data["lists"].items()
    }
    return Rules(
        penalty_periods=tuple(periods),
        sector_keywords=tuple(penalty["sector_keywords"]),
        minor_types=frozenset(penalty["minor_types"]),
        licensing_open_ended=dt.date.fromisoformat(data["licensing"]["open_ended"]),
        case_term_months=int(data["case"]["term_months"]),
        lists=lists,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: dt.date, months: int) -> dt.date:
    """The last day of a term of ``months`` starting on ``start`` (inclusive)."""
    return add_months(start, months) - dt.timedelta(days=1)


def penalty_publicity(
    rules: Rules,
    *,
    decided: dt.date,
    penalty_types: list[str],
    severity: str | None,
    fine_wan: Decimal | None,
    sector_text: str,
    publicity_until: dt.date | None,
) -> Publicity | NotPublished:
    """The publicity of a penalty decision, by the rules in force on its decision date."""
    period = rules.period_for(decided)
    types = set(penalty_types)
    if period.tiers is None:
        if types <= rules.minor_types and not period.publish_minor:
            return NotPublished("仅警告或通报批评的行政处罚按规则不公示")
        is_sector = any(keyword in sector_text for keyword in rules.sector_keywords)
        minimum = period.sector_minimum_months if is_sector else period.minimum_months
        maximum = period.maximum_months
    else:
        tier_name = severity or period.default_tier
        tier = period.tiers.get(tier_name)
        if tier is None:
            raise RuleViolation(f"失信程度“{tier_name}”不在规则文件中")
        _check_tier(tier_name, tier, types, fine_wan)
        if not tier.published:
            return NotPublished(f"失信程度为{tier_name}的行政处罚按规则不公示")
        minimum, maximum = tier.minimum_months, tier.maximum_months
    earliest_end = term_end(decided, minimum)
    latest_end = term_end(decided, maximum)
    until = latest_end
    if publicity_until is not None:
        if not earliest_end <= publicity_until <= latest_end:
            raise RuleViolation(
                f"公示截止期应在 {earliest_end.isoformat()} 至 {latest_end.isoformat()} 之间（{period.name}）"
            )
        until = publicity_until
    return Publicity(start=decided, until=until, repairable_from=add_months(decided, minimum))


def _check_tier(name: str, tier: Tier, types: set[str], fine_wan: Decimal | None) -> None:
    if tier.allowed_types and not types <= set(tier.allowed_types):
        heavier = "、".join(sorted(types - set(tier.allowed_types)))
        raise RuleViolation(f"失信程度为{name}，但处罚类别含有{heavier}")
    if tier.max_fine_wan is not None and fine_wan is not None and fine_wan > tier.max_fine_wan:
        raise RuleViolation(f"失信程度为{name}，但罚款金额超过{tier.max_fine_wan}万元")


def licensing_publicity(rules: Rules, *, decided: dt.date, valid_until: dt.date) -> Publicity:
    until = None if valid_until >= rules.licensing_open_ended else valid_until
    return Publicity(start=decided, until=until)


def list_publicity(
    rules: Rules, *, list_name: str, decided: dt.date, valid_until: dt.date | None
) -> tuple[Kind, Publicity]:
    rule = rules.lists.get(list_name)
    if rule is None:
        known = "、".join(sorted(rules.lists))
        raise RuleViolation(f"名单“{list_name}”不在规则文件中（已知：{known}）")
    until = term_end(decided, rule.term_months) if rule.term_months else None
    if valid_until is not None:
        if until is not None and valid_until > until:
            raise RuleViolation(f"有效期至晚于该名单的最长期限 {until.isoformat()}")
        until = valid_until
    repairable = None if rule.repair_after_months is None else add_months(decided, rule.repair_after_months)
    return rule.kind, Publicity(start=decided, until=until, repairable_from=repairable)


def case_publicity(rules: Rules, *, decided: dt.date) -> Publicity:
    until = term_end(decided, rules.case_term_months) if rules.case_term_months else None
    return Publicity(start=decided, until=until)


def parse_amount(text: str) -> Decimal:
    """A non-negative amount in 万元, as departments type it (1,000.5 too)."""
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise RuleViolation(f"金额“{text}”不是数字") from exc
    if not value.is_finite() or value < 0:
        raise RuleViolation(f"金额“{text}”应为非负数")
    return value
