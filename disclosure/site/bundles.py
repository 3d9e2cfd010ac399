"""The search index in bundles: time slices of the records, each a separate Pagefind index.

Why: Pagefind 1.5.2 sorts a result list by a linear search per result over the bundle's sorted
pages, so a query matching most of N pages costs about N² steps; one bundle of 100k pages also
needs 7.7 GB to index, and its metadata (about 8.6 bytes a page) is loaded whole on the first
query.  Bundles of at most BUNDLE_CAP records bound all three, index in parallel, and a bundle whose
records did not change is reused from the previous build.

Order across bundles: each bundle holds one stretch of decision dates (a year, or a quarter, month,
day or part of a day where the larger slice is too big) and a placeholder page that sorts before every record, so a
record's sort score inside its bundle is its rank 1..n.  The search page merges bundles newest
first with ``indexWeight`` = the product of (n + 1) over all older bundles: every record of a newer
bundle then outscores every record of an older one, and merged results come out newest first.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from disclosure.site.views import RecordView

BUNDLE_CAP = 3000
PLACEHOLDER_DIR = "_placeholder"
PLACEHOLDER_WORD = "pagefindplaceholder"  # its only word: no one searches for it


@dataclass(frozen=True)
class Bundle:
    name: str  # YYYY, YYYY-qN, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD-pN
    records: tuple[RecordView, ...]
    weight: int = 1

    @property
    def key(self) -> str:
        """What the bundle's index is made from (the generator's fingerprint is checked apart)."""
        digest = hashlib.sha256()
        for record in self.records:
            digest.update(
                f"{record.url}\0{record.digest}\0{record.release}\0{record.first_release}\n".encode()
            )
        return digest.hexdigest()[:32]

    @property
    def path(self) -> str:
        return f"/pagefind/{self.name}/"


def plan_bundles(records: Sequence[RecordView], cap: int = BUNDLE_CAP) -> list[Bundle]:
    """Bundles oldest first, with their merge weights; the same records always give the same plan.

    A year is one bundle unless it holds more than ``cap`` records; then its quarters, then their
    months, then their days, then parts of a day, each split only when over ``cap``.  Few and large
    bundles keep the first query small (each merged bundle costs a metadata file and an index chunk);
    the cap bounds indexing memory and Pagefind's quadratic sort.
    """
    slices: list[tuple[str, list[RecordView]]] = []
    _split(sorted(records, key=lambda r: (r.decided, r.id)), 0, cap, slices)
    bundles = []
    weight = 1
    for name, items in slices:
        bundles.append(Bundle(name=name, records=tuple(items), weight=weight))
        weight *= len(items) + 1
    return bundles


def _slice_name(record: RecordView, level: int) -> str:
    day = record.decided
    return (
        f"{day.year}",
        f"{day.year}-q{(day.month - 1) // 3 + 1}",
        f"{day.year}-{day.month:02d}",
        day.isoformat(),
    )[level]


def _split(items: list[RecordView], level: int, cap: int, out: list[tuple[str, list[RecordView]]]) -> None:
    """Append the slices of ``items`` (sorted by date) at ``level``, splitting those over ``cap``."""
    groups: dict[str, list[RecordView]] = defaultdict(list)
    for record in items:
        groups[_slice_name(record, level)].append(record)
    for name in sorted(groups):
        group = groups[name]
        if len(group) <= cap:
            out.append((name, group))
        elif level < 3:
            _split(group, level + 1, cap, out)
        else:  # one day over the cap: same date, so the order between parts does not matter
            parts = -(-len(group) // cap)
            by_id = sorted(group, key=lambda r: r.id)
            for part in range(parts):
                out.append(
                    (f"{name}-p{part + 1}", sorted(by_id[part::parts], key=lambda r: (r.decided, r.id)))
                )
