"""Fold all releases and an as-of date into what the site shows and what it must not.

The fold runs in two passes over the releases so that memory holds one small
:class:`EntryState` per entry id rather than every entry: the first pass learns
where each id's latest version lives and whether it was removed; the second
streams the published versions out in release order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from disclosure.canonical import sha256_hex
from disclosure.model import (
    KINDS_BY_VALUE,
    Decision,
    Entry,
    EntryFormatError,
    Kind,
    Op,
    RemovalReason,
    decision_from_line,
)


class ReleaseSource(Protocol):
    """What the fold needs of a release; :class:`disclosure.release.Release` is one."""

    @property
    def sequence(self) -> int: ...

    @property
    def published(self) -> dt.date: ...

    def entries(self) -> Iterator[tuple[bytes, Entry]]: ...

    def lines(self) -> Iterator[bytes]:
        """Each entry's canonical bytes, as ``entries`` gives them, without parsing them."""
        ...

    @property
    def entry_digests(self) -> Sequence[str]:
        """The sha256 of each line, in order: a signed release's manifest lists them."""
        ...


class FoldError(ValueError):
    """The history is inconsistent (verification should have refused it)."""


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """One record as the site shows it, with the exact bytes that prove it."""

    entry: Decision
    line: bytes  # the canonical records.jsonl line: /<kind>/<id>/record.json
    release: int  # the release that carries this version
    first_release: int  # the release that first published the id

    @property
    def digest(self) -> str:
        return sha256_hex(self.line)


@dataclass(frozen=True, slots=True)
class PublishedLine:
    """A published record before its line is parsed: a build shows every record but renders the
    pages of few, so it parses an entry only when a page needs it (``site.views.record_view``)."""

    line: bytes
    digest: str  # the release's entry_digests lists it: no line is hashed
    release: int
    first_release: int


@dataclass(frozen=True, slots=True)
class RemovedRecord:
    """What a removed record's page may say: no name, code or detail."""

    id: str
    kind: Kind
    reason: RemovalReason
    date: dt.date  # the day publicity ended
    category: str  # the repair or withdrawal reason id, or "" for expiry/invalidation


@dataclass(frozen=True, slots=True)
class EntryState:
    release: int
    index: int
    first_release: int
    kind: Kind
    decided_until: dt.date | None
    invalid: bool
    version_date: dt.date  # the publication date of the release carrying this version
    removal: tuple[Op, dt.date, str] | None = None

    def to_json(self) -> list[Any]:
        until = self.decided_until.isoformat() if self.decided_until else None
        removal = (
            [self.removal[0].value, self.removal[1].isoformat(), self.removal[2]] if self.removal else None
        )
        return [
            self.release, self.index, self.first_release, self.kind.value, until, self.invalid,
            self.version_date.isoformat(), removal,
        ]  # fmt: skip

    @classmethod
    def from_json(cls, data: list[Any]) -> EntryState:
        """Kinds looked up in a dict, not by calling the enum: a build reads 10^5 of these."""
        release, index, first, kind, until, invalid, version_date, removal = data
        return cls(
            release,
            index,
            first,
            KINDS_BY_VALUE[kind],
            _date(until) if until else None,
            invalid,
            _date(version_date),
            (Op(removal[0]), _date(removal[1]), removal[2]) if removal else None,
        )


_date = dt.date.fromisoformat


@dataclass(frozen=True)
class FoldResult:
    releases: Sequence[ReleaseSource]
    as_of: dt.date
    states: dict[str, EntryState]

    def published(self) -> Iterator[PublishedRecord]:
        """Published records in release and line order, their entries parsed (a second pass over
        the files)."""
        for release, index, line, first in self._published_places():
            try:
                entry = decision_from_line(line)
            except EntryFormatError as exc:  # the file changed since the first pass
                raise FoldError(f"release {release.sequence:06d}, line {index + 1}: {exc}") from exc
            yield PublishedRecord(entry=entry, line=line, release=release.sequence, first_release=first)

    def published_lines(self) -> Iterator[PublishedLine]:
        """The lines of ``published``, in the same order, unparsed.

        For verified releases, whose lines hash to their ``entry_digests``: nothing is parsed or
        hashed (parsing every line took 2.7 s of each build at 10^5 records).
        """
        for release, index, line, first in self._published_places():
            yield PublishedLine(line, release.entry_digests[index], release.sequence, first)

    def _published_places(self) -> Iterator[tuple[ReleaseSource, int, bytes, int]]:
        """Each published line with its release, its index there and its id's first release,
        found by the states' places alone: no line is parsed to learn whether it is published."""
        places: dict[int, dict[int, int]] = {}  # release -> line index -> first release
        for state in self.states.values():
            if _is_published(state, self.as_of):
                places.setdefault(state.release, {})[state.index] = state.first_release
        for release in self.releases:
            wanted = places.get(release.sequence)
            if not wanted:
                continue
            for index, line in enumerate(release.lines()):
                first = wanted.get(index)
                if first is not None:
                    yield release, index, line, first

    def removed(self) -> list[RemovedRecord]:
        """Every id ever published that is not published now, sorted by id."""
        result = []
        for entry_id in sorted(self.states):
            state = self.states[entry_id]
            if not _is_published(state, self.as_of):
                result.append(_removed_record(entry_id, state))
        return result

    def published_ids(self) -> set[str]:
        return {i for i, state in self.states.items() if _is_published(state, self.as_of)}


def fold_releases(
    releases: Sequence[ReleaseSource], as_of: dt.date, *, verified: dict[str, EntryState] | None = None
) -> FoldResult:
    """Apply every release published on or before ``as_of``, in sequence order.

    ``verified`` is the states verification reached over all of ``releases``: when every release
    applies, they are the fold's first pass already.
    """
    applicable = [r for r in releases if r.published <= as_of]
    if verified is not None and len(applicable) == len(releases):
        return FoldResult(releases=applicable, as_of=as_of, states=verified)
    states: dict[str, EntryState] = {}
    for release in applicable:
        for index, (_line, entry) in enumerate(release.entries()):
            apply_entry(states, entry, release.sequence, release.published, index)
    return FoldResult(releases=applicable, as_of=as_of, states=states)


def apply_entry(
    states: dict[str, EntryState], entry: Entry, release: int, published: dt.date, index: int
) -> None:
    """One step of the fold; raises :class:`FoldError` on an operation out of order."""
    state = states.get(entry.id)
    # Published on the release's date, as staging saw it: an expired or removed id may be published anew.
    active = state is not None and _is_published(state, published)
    if isinstance(entry, Decision):
        if entry.op is Op.PUBLISH and active:
            raise FoldError(f"release {release:06d}: {entry.id} is published already; an update is an amend")
        if entry.op is Op.AMEND and not active:
            raise FoldError(f"release {release:06d}: amend of {entry.id}, which is not published")
        first = state.first_release if (state is not None and entry.op is Op.AMEND) else release
        states[entry.id] = EntryState(
            release=release,
            index=index,
            first_release=first,
            kind=entry.kind,
            decided_until=entry.publicity.until,
            invalid=entry.kind is Kind.LICENSING and entry.fields.get("status") == "无效",
            version_date=published,
        )
        return
    if state is None or not active:
        raise FoldError(f"release {release:06d}: {entry.op.value} of {entry.id}, which is not published")
    states[entry.id] = replace(state, removal=(entry.op, entry.date, entry.reason))


def _is_published(state: EntryState, as_of: dt.date) -> bool:
    if state.removal is not None and state.removal[1] <= as_of:
        return False
    if state.invalid:
        return False
    return state.decided_until is None or as_of <= state.decided_until


def _removed_record(entry_id: str, state: EntryState) -> RemovedRecord:
    if state.removal is not None:
        op, date, category = state.removal
        reason = RemovalReason.REPAIRED if op is Op.REPAIR else RemovalReason.WITHDRAWN
        return RemovedRecord(id=entry_id, kind=state.kind, reason=reason, date=date, category=category)
    if state.invalid:
        # The amendment that made the licence invalid is dated by its release.
        return RemovedRecord(
            id=entry_id,
            kind=state.kind,
            reason=RemovalReason.INVALIDATED,
            date=state.version_date,
            category="",
        )
    assert state.decided_until is not None
    return RemovedRecord(
        id=entry_id,
        kind=state.kind,
        reason=RemovalReason.EXPIRED,
        date=state.decided_until + dt.timedelta(days=1),
        category="",
    )
