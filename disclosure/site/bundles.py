"""The search index in bundles: time slices of the records, each a separate Pagefind index.

Why: Pagefind 1.5.2 sorts a result list by a linear search per result over the bundle's sorted
pages, so a query matching most of N pages costs about N² steps; one bundle of 100k pages also
needs 7.7 GB to index, and its metadata (about 8.6 bytes a page) is loaded whole on the first
query.  Bundles of at most BUNDLE_CAP records bound all three, index in parallel, and a bundle whose
records did not change is reused from the previous build.

Order across bundles: each bundle holds one stretch of decision dates (a month; a day, or parts of
a day, when a month is too big) and a placeholder page that sorts before every record, so a
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
    name: str  # YYYY-MM, YYYY-MM-DD or YYYY-MM-DD-pN: sorts chronologically
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
    """Bundles oldest first, with their merge weights; the same records always give the same plan."""
    by_month: dict[str, list[RecordView]] = defaultdict(list)
    for record in records:
        by_month[record.decided.strftime("%Y-%m")].append(record)
    slices: list[tuple[str, list[RecordView]]] = []
    for month in sorted(by_month):
        items = by_month[month]
        if len(items) <= cap:
            slices.append((month, items))
            continue
        by_day: dict[str, list[RecordView]] = defaultdict(list)
        for record in items:
            by_day[record.decided.isoformat()].append(record)
        for day in sorted(by_day):
            day_items = sorted(by_day[day], key=lambda r: r.id)
            parts = -(-len(day_items) // cap)
            if parts == 1:
                slices.append((day, day_items))
            else:  # same date: order between the parts does not matter
                for part in range(parts):
                    slices.append((f"{day}-p{part + 1}", day_items[part::parts]))
    bundles = []
    weight = 1
    for name, items in slices:
        ordered = tuple(sorted(items, key=lambda r: (r.decided, r.id)))
        bundles.append(Bundle(name=name, records=ordered, weight=weight))
        weight *= len(ordered) + 1
    return bundles
