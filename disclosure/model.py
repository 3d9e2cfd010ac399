"""The entry types that releases carry, and their JSON form.

A release's records.jsonl holds one entry a line.  Entries are either a
:class:`Decision` (``publish`` or ``amend``: a full version of a record) or a
:class:`Removal` (``repair`` or ``withdraw``: publicity ends early).  These
classes are the single place that knows the JSON keys other tools rely on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import orjson

from disclosure.canonical import JSONValue


class Kind(StrEnum):
    LICENSING = "licensing"
    PENALTY = "penalty"
    REDLIST = "redlist"
    BLACKLIST = "blacklist"
    CASE = "case"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


# Kind by its value, as a lookup: calling the enum costs several times more, and a build turns
# some 10^5 values into kinds (record views, entry states).
KINDS_BY_VALUE: dict[str, Kind] = {kind.value: kind for kind in Kind}

KIND_LABELS: dict[Kind, str] = {
    Kind.LICENSING: "行政许可",
    Kind.PENALTY: "行政处罚",
    Kind.REDLIST: "红名单",
    Kind.BLACKLIST: "黑名单",
    Kind.CASE: "典型案例",
}


class Op(StrEnum):
    PUBLISH = "publish"
    AMEND = "amend"
    REPAIR = "repair"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return OP_LABELS[self]


OP_LABELS: dict[Op, str] = {
    Op.PUBLISH: "新增",
    Op.AMEND: "变更",
    Op.REPAIR: "信用修复",
    Op.WITHDRAW: "撤销",
}


class SubjectType(StrEnum):
    LEGAL = "legal"
    INDIVIDUAL_BUSINESS = "individual_business"
    PERSON = "person"


SUBJECT_TYPE_LABELS: dict[SubjectType, str] = {
    SubjectType.LEGAL: "法人及非法人组织",
    SubjectType.INDIVIDUAL_BUSINESS: "个体工商户",
    SubjectType.PERSON: "自然人",
}


class RemovalReason(StrEnum):
    """Why an entry is no longer published: the category a removed page shows."""

    EXPIRED = "expired"
    REPAIRED = "repaired"
    WITHDRAWN = "withdrawn"
    INVALIDATED = "invalidated"


REMOVAL_REASON_LABELS: dict[RemovalReason, str] = {
    RemovalReason.EXPIRED: "公示期满",
    RemovalReason.REPAIRED: "信用修复",
    RemovalReason.WITHDRAWN: "撤销公示",
    RemovalReason.INVALIDATED: "许可失效",
}

# The categories a repair or withdrawal names (its ``reason``), with the
# wording shown on a removed record's notice.
REPAIR_REASONS: dict[str, str] = {
    "repaired": "信用修复",
    "performed": "履行完毕",
    "delisted": "移出名单",
}
WITHDRAW_REASONS: dict[str, str] = {
    "revoked": "决定被撤销",
    "changed": "决定被变更",
    "unlawful": "决定被确认违法",
    "objection": "异议申诉更正",
    "error": "数据错误更正",
}


@dataclass(frozen=True, slots=True)
class Subject:
    name: str
    code: str | None
    type: SubjectType


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    code: str


@dataclass(frozen=True, slots=True)
class Publicity:
    """The publicity window, decided at staging from the rules file.

    ``until`` is the last day shown (inclusive), or None for no end.
    ``repairable_from`` is the first day a credit repair may end publicity.
    """

    start: dt.date
    until: dt.date | None
    repairable_from: dt.date | None = None

    def shows_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class Decision:
    """A ``publish`` or ``amend`` entry: one complete version of a record."""

    op: Op
    id: str
    salt: str
    kind: Kind
    subject: Subject
    department: Department
    decided: dt.date
    publicity: Publicity
    fields: dict[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Removal:
    """A ``repair`` or ``withdraw`` entry: publicity of ``id`` ends on ``date``."""

    op: Op
    id: str
    salt: str
    date: dt.date
    reason: str
    basis: str

    @property
    def reason_label(self) -> str:
        labels = REPAIR_REASONS if self.op is Op.REPAIR else WITHDRAW_REASONS
        return labels.get(self.reason, self.reason)


Entry = Decision | Removal


def entry_to_json(entry: Entry) -> dict[str, JSONValue]:
    if isinstance(entry, Removal):
        return {
            "op": entry.op.value,
            "id": entry.id,
            "salt": entry.salt,
            "date": entry.date.isoformat(),
            "reason": entry.reason,
            "basis": entry.basis,
        }
    publicity: dict[str, JSONValue] = {
        "from": entry.publicity.start.isoformat(),
        "until": _iso_or_none(entry.publicity.until),
        "repairable_from": _iso_or_none(entry.publicity.repairable_from),
    }
    return {
        "op": entry.op.value,
        "id": entry.id,
        "salt": entry.salt,
        "kind": entry.kind.value,
        "subject": {
            "name": entry.subject.name,
            "code": entry.subject.code,
            "type": entry.subject.type.value,
        },
        "department": {"name": entry.department.name, "code": entry.department.code},
        "decided": entry.decided.isoformat(),
        "publicity": publicity,
        "fields": dict(entry.fields),
    }


class EntryFormatError(ValueError):
    """A records.jsonl line that is valid JSON but not a valid entry."""


def entry_from_json(obj: Any) -> Entry:
    try:
        op = _member(Op, obj["op"])
        if op in (Op.REPAIR, Op.WITHDRAW):
            return Removal(
                op=op,
                id=_str(obj["id"]),
                salt=_str(obj["salt"]),
                date=dt.date.fromisoformat(obj["date"]),
                reason=_str(obj["reason"]),
                basis=_str(obj["basis"]),
            )
        subject, department, publicity = obj["subject"], obj["department"], obj["publicity"]
        fields = obj["fields"]
        if not isinstance(fields, dict):
            raise EntryFormatError("fields is not an object")
        return Decision(
            op=op,
            id=_str(obj["id"]),
            salt=_str(obj["salt"]),
            kind=_member(Kind, obj["kind"]),
            subject=Subject(
                name=_str(subject["name"]),
                code=None if subject["code"] is None else _str(subject["code"]),
                type=_member(SubjectType, subject["type"]),
            ),
            department=Department(name=_str(department["name"]), code=_str(department["code"])),
            decided=dt.date.fromisoformat(obj["decided"]),
            publicity=Publicity(
                start=dt.date.fromisoformat(publicity["from"]),
                until=_date_or_none(publicity.get("until")),
                repairable_from=_date_or_none(publicity.get("repairable_from")),
            ),
            fields=fields,
        )
    except EntryFormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise EntryFormatError(f"not a valid entry: {exc!r}") from exc


def decision_from_line(line: bytes) -> Decision:
    """The entry of a records.jsonl line that must be a decision (a published version)."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EntryFormatError(f"not JSON: {exc}") from exc
    entry = entry_from_json(obj)
    if not isinstance(entry, Decision):
        raise EntryFormatError(f"a {entry.op.value} entry, not a decision")
    return entry


_E = TypeVar("_E", bound=StrEnum)
_MEMBERS: dict[type[StrEnum], dict[str, StrEnum]] = {
    enum: {member.value: member for member in enum} for enum in (Op, Kind, SubjectType)
}


def _member(enum: type[_E], value: Any) -> _E:
    """``enum(value)`` by a table: calling an enum costs 0.8 microseconds, three times an entry
    (0.25 s of every build's 10^5 lines).  Raises ValueError as the call does."""
    try:
        return _MEMBERS[enum][value]  # type: ignore[return-value]
    except (KeyError, TypeError):  # TypeError: an unhashable value (a list, an object)
        return enum(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise EntryFormatError(f"expected a string, got {type(value).__name__}")
    return value


def _iso_or_none(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _date_or_none(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)
