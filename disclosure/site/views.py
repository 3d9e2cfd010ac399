"""What each page shows, computed from the fold: pure functions, no templates, no files.

Templates receive these views and nothing else, so what a page can show is
decided here: a removed record's view has no name, code or detail to leak.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

import orjson

from disclosure.fields import COLUMNS
from disclosure.fold import PublishedLine, PublishedRecord, RemovedRecord
from disclosure.identifiers import district_of
from disclosure.model import (
    KIND_LABELS,
    KINDS_BY_VALUE,
    REMOVAL_REASON_LABELS,
    REPAIR_REASONS,
    SUBJECT_TYPE_LABELS,
    WITHDRAW_REASONS,
    Decision,
    Kind,
    Op,
    decision_from_line,
)
from disclosure.site.search_terms import exact_sequence, merge_grams, suffix_grams

KIND_ORDER: tuple[Kind, ...] = (Kind.PENALTY, Kind.LICENSING, Kind.BLACKLIST, Kind.REDLIST, Kind.CASE)
PAGE_SIZE = 50
# Fields shown in the record's heading block rather than in the table of fields.
_HEADING_FIELDS = frozenset({"subject_name", "subjects", "body"})
# Suffix grams in the search entry (search_terms.py): their longest, for names and numbers / facts.
NAME_GRAM = 4
FACTS_GRAM = 3
_GRAM_NUMBER_FIELDS = ("document_number", "case_number")
# What the exact pass matches as typed (search_terms.exact_tokens): names, codes and numbers.
_EXACT_NUMBER_FIELDS = ("document_number", "case_number", "license_number")


class FieldView(NamedTuple):
    """One row of a record's table of fields.  A tuple: a full build makes some two million (each
    record's page and its search entry list them), and a frozen dataclass took twice as long to
    make (0.64 against 0.32 µs)."""

    label: str
    value: str
    searchable: bool  # free text and numbers people search for; labels never are


@dataclass(slots=True, eq=False)
class RecordView:
    """A published record as pages show it.

    A build makes one for each of 10^5 records, so it is a slotted class, not a frozen one (whose
    ``__init__`` took 0.36 s more), and its entry is parsed from ``line`` when asked for: pages,
    search entries and CSV rows that are reused never ask.  The entry is not kept on the view
    (``_entry_of``).
    """

    id: str
    kind: Kind
    url: str
    title: str
    subject_name: str
    subject_code: str | None
    subject_type: str
    entity_url: str | None
    department: str
    department_code: str
    district: str
    district_code: str
    decided: dt.date
    publicity_from: dt.date
    publicity_until: dt.date | None
    document_number: str
    release: int
    first_release: int
    digest: str
    line: bytes
    case_subjects: tuple[tuple[str, str | None], ...] = ()
    parsed: Decision | None = field(default=None, repr=False)  # the entry, where it came parsed

    @property
    def entry(self) -> Decision:
        return self.parsed if self.parsed is not None else _entry_of(self.line)

    # What only the record's own page shows is computed when that page is rendered (in a worker
    # process, and not at all when the page is reused from the previous build).
    @property
    def fields(self) -> tuple[FieldView, ...]:
        return tuple(_field_views(self.entry))

    @property
    def search_terms(self) -> str:
        """Suffix grams of what identifies and describes the record (search_terms.py), for the index.

        Names and document numbers up to 4 characters (a name's fragments are typed at 2-4),
        the 违法事实 up to 3 (ICU cuts an unknown phrase into words of 1-3 characters).
        """
        fields = self.entry.fields
        names = [self.subject_name, *(name for name, _ in self.case_subjects)]
        numbers = [str(fields[k]) for k in _GRAM_NUMBER_FIELDS if fields.get(k)]
        facts = [str(fields["facts"])] if fields.get("facts") else []
        return " ".join(
            merge_grams(suffix_grams([*names, *numbers], NAME_GRAM), suffix_grams(facts, FACTS_GRAM))
        )

    @property
    def exact_texts(self) -> tuple[str, ...]:
        """The texts a query must be part of to be an exact match: the title, names, codes, numbers."""
        fields = self.entry.fields
        texts = [self.title, self.subject_name, self.subject_code or ""]
        for name, code in self.case_subjects:
            texts += [name, code or ""]
        texts += [str(fields[k]) for k in _EXACT_NUMBER_FIELDS if fields.get(k)]
        return tuple(dict.fromkeys(text for text in texts if text))

    @property
    def exact_terms(self) -> str:
        """``exact_texts`` as the exact pass's coded words (search_terms.exact_sequence), for the index."""
        return exact_sequence(self.exact_texts)

    @property
    def body_markdown(self) -> str:
        return str(self.entry.fields.get("body") or "")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def year(self) -> int:
        return self.decided.year


@dataclass(frozen=True)
class RemovedView:
    id: str
    kind: Kind
    url: str
    reason: str
    category: str
    date: dt.date

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class EntityView:
    code: str
    name: str
    district: str
    url: str
    groups: list[tuple[Kind, list[RecordView]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(records) for _, records in self.groups)


@dataclass(frozen=True)
class ListPage:
    """One page of a list: the front (/<kind>/, /<kind>/district/<d>/, ...) or a stretch of it.

    The front shows the newest PAGE_SIZE records with counts.  The rest are stretches at
    /<base>/page/<id of the stretch's oldest record>/ (see :func:`paginate`), named and cut so that
    a new or removed record changes the one stretch that holds it, not every page after it.
    """

    kind: Kind
    base_url: str
    title: str
    name: str | None  # None for the front
    total: int  # records in this list (shown on the front only)
    records: tuple[RecordView, ...]  # newest first
    newer: str | None = None  # the next page's URL either way
    older: str | None = None

    @property
    def url(self) -> str:
        return self.base_url if self.name is None else stretch_url(self.base_url, self.name)

    @property
    def is_front(self) -> bool:
        return self.name is None


@dataclass(frozen=True)
class Facet:
    """A by-district, by-department or by-year view of one kind's list."""

    label: str
    slug: str
    total: int
    url: str


def stretch_url(base_url: str, name: str) -> str:
    return f"{base_url}page/{name}/"


def record_url(kind: Kind, entry_id: str) -> str:
    return f"/{kind.value}/{entry_id}/"


def entity_url(code: str) -> str:
    return f"/entity/{code}/"


def record_view(record: PublishedLine | PublishedRecord) -> RecordView:
    """The view of a published line, made from its JSON, not its entry: that is under half the
    cost, and every build makes 10^5 of them (a verified line is a valid entry).  The entry is
    parsed when a page asks for it (``RecordView.entry``), unless ``record`` has it already."""
    obj = orjson.loads(record.line)
    kind, entry_id, subject, fields = KINDS_BY_VALUE[obj["kind"]], obj["id"], obj["subject"], obj["fields"]
    code = subject["code"]
    subjects: tuple[tuple[str, str | None], ...] = ()
    if kind is Kind.CASE:
        raw = fields.get("subjects")
        subjects = tuple(
            (str(s.get("name", "")), (str(s["code"]) if s.get("code") else None))
            for s in (raw if isinstance(raw, list) else [])
            if isinstance(s, dict)
        )
    publicity, department = obj["publicity"], obj["department"]
    until = publicity.get("until")
    return RecordView(
        id=entry_id,
        kind=kind,
        url=record_url(kind, entry_id),
        title=str(fields.get("title") or subject["name"]),
        subject_name=subject["name"],
        subject_code=code,
        subject_type=_SUBJECT_TYPES[subject["type"]],
        entity_url=entity_url(code) if code else None,
        department=department["name"],
        department_code=department["code"],
        district=district_of(code),
        district_code=code[2:8] if code else "other",
        decided=dt.date.fromisoformat(obj["decided"]),
        publicity_from=dt.date.fromisoformat(publicity["from"]),
        publicity_until=dt.date.fromisoformat(until) if until else None,
        document_number=_document_number(fields),
        release=record.release,
        first_release=record.first_release,
        digest=record.digest,
        line=record.line,
        case_subjects=subjects,
        parsed=record.entry if isinstance(record, PublishedRecord) else None,
    )


_SUBJECT_TYPES = {subject_type.value: label for subject_type, label in SUBJECT_TYPE_LABELS.items()}
_NUMBER_FIELDS = ("document_number", "case_number", "license_number")


def _document_number(fields: Mapping[str, object]) -> str:
    for key in _NUMBER_FIELDS:
        value = fields.get(key)
        if value:
            return str(value)
    return ""


_SEARCHABLE_TYPES = frozenset({"name", "text", "uscc"})
# Repeated on many pages (they are filters instead), so indexing them would only slow common queries.
_UNSEARCHABLE_FIELDS = frozenset({"authority", "authority_uscc", "source", "source_uscc", "subject_category"})


def _field_views(entry: Decision) -> list[FieldView]:
    fields = entry.fields
    views = []
    for column_id, label, searchable in _listed_columns(entry.kind):
        value = fields.get(column_id)
        if value is None or value == "" or value == []:
            continue
        text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        views.append(FieldView(label, text, searchable))
    return views


@functools.lru_cache(maxsize=64)
def _entry_of(line: bytes) -> Decision:
    """A record's entry, parsed from its line; the last few kept, as a page asks for it several
    times (its fields, its body, its search terms).

    Why not kept on the view: every process of a full build's flush renders records from all over
    the site, and kept the entries it parsed, some 3.5 KB a record each: 700 MB a process at
    2 * 10^5 records, 3.5 GB at 10^6 (docs/benchmarks.md, session 33).  Parsing again costs
    10 microseconds a line.
    """
    return decision_from_line(line)


@functools.cache
def _listed_columns(kind: Kind) -> tuple[tuple[str, str, bool], ...]:
    """The columns a record's table of fields lists, in order: (id, label, searchable)."""
    return tuple(
        (
            column.id,
            column.label,
            column.type.value in _SEARCHABLE_TYPES and column.id not in _UNSEARCHABLE_FIELDS,
        )
        for column in COLUMNS[kind]
        if column.published and column.id not in _HEADING_FIELDS
    )


def removed_view(record: RemovedRecord) -> RemovedView:
    labels = {**REPAIR_REASONS, **WITHDRAW_REASONS}
    return RemovedView(
        id=record.id,
        kind=record.kind,
        url=record_url(record.kind, record.id),
        reason=REMOVAL_REASON_LABELS[record.reason],
        category=labels.get(record.category, ""),
        date=record.date,
    )


def newest_first(records: Iterable[RecordView]) -> list[RecordView]:
    """By decision date, then id, both descending.  Two stable sorts on one attribute each: half
    the time of one sort by (date, id) tuples (0.09 against 0.18 s at 10^5 records, in the build's
    serial start)."""
    ordered = sorted(records, key=_BY_ID, reverse=True)
    ordered.sort(key=_BY_DECIDED, reverse=True)
    return ordered


_BY_ID, _BY_DECIDED = attrgetter("id"), attrgetter("decided")


def group_entities(records: Iterable[RecordView]) -> list[EntityView]:
    """One entity per credit code; persons have none and so no entity page."""
    by_code: dict[str, list[RecordView]] = defaultdict(list)
    for record in records:
        if record.subject_code:
            by_code[record.subject_code].append(record)
        for _, code in record.case_subjects:
            if code and code != record.subject_code:
                by_code[code].append(record)
    entities = []
    for code in sorted(by_code):
        items = newest_first(by_code[code])
        own = [r for r in items if r.subject_code == code]
        name = (own[0] if own else items[0]).subject_name
        if not own:
            name = next((n for r in items for n, c in r.case_subjects if c == code), name)
        entity = EntityView(code=code, name=name, district=district_of(code), url=entity_url(code))
        for kind in KIND_ORDER:
            group = [r for r in items if r.kind is kind]
            if group:
                entity.groups.append((kind, group))
        entities.append(entity)
    return entities


def paginate(kind: Kind, base_url: str, title: str, records: Sequence[RecordView]) -> list[ListPage]:
    """The front page and the stretches of one list (``records`` newest first).

    Stretches are cut by content, not by count: oldest to newest, a stretch ends after a record
    whose id hashes to 0 modulo PAGE_SIZE (so about PAGE_SIZE records a stretch), once it has
    PAGE_SIZE // 5 records, and at 3 * PAGE_SIZE at the latest; it is named by its oldest record.
    Adding or removing a record then moves the cuts of its own stretch only, where numbered pages
    of a newest-first list would all shift: a weekly build re-renders a few pages per list.
    """
    oldest_first = list(reversed(records))
    stretches = cut_by_content(oldest_first, least=PAGE_SIZE // 5, most=3 * PAGE_SIZE, every=PAGE_SIZE)
    names = [stretch[0].id for stretch in stretches]
    urls = [stretch_url(base_url, name) for name in names]
    pages = [
        ListPage(kind, base_url, title, None, len(records), tuple(records[:PAGE_SIZE]), older=_older_of_front(
            oldest_first, stretches, urls))
    ]  # fmt: skip
    for i, stretch in enumerate(stretches):
        pages.append(
            ListPage(
                kind=kind,
                base_url=base_url,
                title=title,
                name=names[i],
                total=len(records),
                records=tuple(reversed(stretch)),
                newer=urls[i + 1] if i + 1 < len(urls) else base_url,
                older=urls[i - 1] if i > 0 else None,
            )
        )
    return pages


def cut_by_content(
    records: Sequence[RecordView], *, least: int, most: int, every: int
) -> list[list[RecordView]]:
    """``records`` in runs, each ending after a record whose id hashes to 0 modulo ``every``
    once it holds ``least``, and at ``most`` at the latest.

    Why: cuts chosen by the records themselves stay where they are when a record comes or goes
    elsewhere, so a change moves the one run that holds it (and, past a forced cut, the next few);
    runs cut by count would all shift.  List stretches and the parts of a crowded day's search
    bundle are cut this way, so that a weekly build rewrites few of them.
    """
    records = list(records)
    # Where a run may end, found in one pass; the runs are then sliced between the cuts (a loop
    # over each record of the four lists it is in took 0.4 s of a build at 10^5 records).
    known: list[int | None] = list(map(_ID_NUMBERS.get, map(_BY_ID, records)))
    numbers = [
        id_number(records[place].id) if number is None else number for place, number in enumerate(known)
    ]
    cuts = [place for place, number in enumerate(numbers) if number % every == 0]
    runs: list[list[RecordView]] = []
    start = 0
    cut = 0  # the first of ``cuts`` not yet passed
    while start < len(records):
        cut = bisect.bisect_left(cuts, start + max(least, 1) - 1, cut)
        end = min(cuts[cut] + 1 if cut < len(cuts) else len(records), start + max(most, 1))
        runs.append(records[start:end])
        start = end
    return runs


def id_number(entry_id: str) -> int:
    """A number drawn from an id by hashing (its first 32 bits of sha256), where ``cut_by_content``
    cuts.  Remembered: each record is in four lists and a bundle, 1.3 s of hashing a build at 10^5.
    In a plain dict, which ``cut_by_content`` reads with ``map``: an ``lru_cache`` hit took 0.7 µs
    among 10^5 records, 0.28 s of the lists' cuts."""
    number = _ID_NUMBERS.get(entry_id)
    if number is None:
        if len(_ID_NUMBERS) >= 1 << 20:  # a long-lived process (the tests) building many sites
            _ID_NUMBERS.clear()
        number = _ID_NUMBERS[entry_id] = int(hashlib.sha256(entry_id.encode()).hexdigest()[:8], 16)
    return number


_ID_NUMBERS: dict[str, int] = {}


def _older_of_front(
    oldest_first: list[RecordView], stretches: list[list[RecordView]], urls: list[str]
) -> str | None:
    """The stretch holding the newest record the front does not show."""
    position = len(oldest_first) - PAGE_SIZE - 1  # that record's place, oldest first
    if position < 0:
        return None
    for stretch, url in zip(stretches, urls, strict=True):
        if position < len(stretch):
            return url
        position -= len(stretch)
    return None


def facets(kind: Kind, records: Sequence[RecordView]) -> dict[str, list[tuple[Facet, list[RecordView]]]]:
    """The by-district, by-department and by-year views of one kind, each with its records."""
    result: dict[str, list[tuple[Facet, list[RecordView]]]] = {}
    for axis, key in _FACET_KEYS.items():
        grouped: dict[Any, list[RecordView]] = defaultdict(list)
        for record in records:
            grouped[key(record)].append(record)
        groups: dict[tuple[str, str], list[RecordView]] = (
            {(f"{year}年", str(year)): group for year, group in grouped.items()}
            if axis == "year"
            else grouped
        )
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0][1]))
        if axis == "year":
            ordered = sorted(groups.items(), key=lambda item: item[0][1], reverse=True)
        result[axis] = [
            (Facet(label, slug, len(group), f"/{kind.value}/{axis}/{slug}/"), group)
            for (label, slug), group in ordered
        ]
    return result


# A facet's (label, slug) of a record, the year's by its number: getters in C, where lambdas took
# 0.28 s of a build at 10^5 records (each record is grouped on each axis).
_FACET_KEYS: dict[str, Callable[[RecordView], Any]] = {
    "district": attrgetter("district", "district_code"),
    "department": attrgetter("department", "department_code"),
    "year": attrgetter("decided.year"),
}


@dataclass(frozen=True)
class ReleaseView:
    sequence: int
    name: str
    published: dt.date
    key: str
    manifest_sha256: str
    counts: dict[str, dict[str, int]]
    by_department: dict[str, Counter[str]]  # department -> op label -> count
    total: int

    @property
    def url(self) -> str:
        return f"/releases/{self.name}/"

    def summary(self) -> str:
        """The release note in words: what changed, per kind."""
        parts = []
        for op in Op:
            per_kind = self.counts.get(op.value, {})
            n = sum(per_kind.values())
            if n:
                detail = "、".join(f"{Kind(k).label}{v}条" for k, v in sorted(per_kind.items()) if v)
                parts.append(f"{op.label}{n}条（{detail}）")
        return "；".join(parts) + "。" if parts else "本期无变动。"


def counts_by_kind(records: Iterable[RecordView]) -> dict[Kind, int]:
    counter = Counter(r.kind for r in records)
    return {kind: counter.get(kind, 0) for kind in KIND_ORDER}
