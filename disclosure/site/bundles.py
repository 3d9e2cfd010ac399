"""The search index in bundles: time slices of the records, each a separate Pagefind index.

Why: Pagefind 1.5.2 sorts a result list by a linear search per result over the bundle's sorted
pages, so a query matching most of N pages costs about N² steps; one bundle of 100k pages also
needs 7.7 GB to index, and its metadata (about 8.6 bytes a page) is loaded whole on the first
query.  Bundles of at most BUNDLE_CAP records bound all three, index in parallel, and a bundle whose
records did not change is reused from the previous build.

Order across bundles: each bundle holds one stretch of decision dates (a year, or a quarter, month,
day or part of a day where the larger slice is too big), so newest first across bundles is
bundles.json's order.  Pagefind merges bundles by score alone (a page's rank in its own bundle's
sort), so the search page orders merged results itself: every fragment name of a bundle carries
its tag (``Bundle.tag``, ``write_bundle(page_tag=...)``), a result's id is its fragment name, and
search.js sorts results by their bundle's place in bundles.json, keeping Pagefind's order inside
a bundle.  (Until session 7 each bundle had a merge weight instead, the product of the older
bundles' sizes, which ran out of a double's range at about 1.3 * 10^5 records.)

The tag is the bundle's name (since session 24; it was its key's first digits): a page keeps its
fragment's name while it stays in its bundle, so a build edits a bundle where it lies in the
spare, leaving the files of pages that did not change as they are (``edit_bundle``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from disclosure._internal.pagefind_index import INDEX_CHUNK_SIZE
from disclosure.site.filters import sort_date
from disclosure.site.search_terms import is_exact_code
from disclosure.site.views import RecordView, cut_by_content

# A query loads the metadata of every bundle it merges (about 8.6 bytes a page), and a name's few
# matches are spread over as many bundles: at 10^5 records, 1,500 a bundle instead of 3,000 cut a
# ten-result name's transfer from 576 to 389 KB and the slowest golden query from 1.45 to 0.71 s.
# Smaller is not better: 130 (1,050 bundles at 10^5) edited half the pages in a weekly build but
# took longer (17.0 s against 12.5-13.9), and the search page loaded 60-80 KB more before its first
# results (docs/benchmarks.md, session 26).
BUNDLE_CAP = 1500
# Index chunks of the exact pass's words (locations, as Pagefind counts them): a twentieth of
# Pagefind's default, since a query loads a chunk for each of its words in each bundle it merges.
EXACT_CHUNK_SIZE = 1000
# Entries a Pagefind run indexes at most (new or changed entries of neighbouring bundles, packed):
# each run costs Pagefind's start-up (0.4 s of CPU here), and 3,000 entries stay within
# the indexing memory the bundles were capped for before.
JOB_CAP = 3000
# A site with nothing published still has one bundle (so that the search page loads): "empty",
# which holds only this page.
PLACEHOLDER_DIR = "_placeholder"
PLACEHOLDER_WORD = "pagefindplaceholder"  # its only word: no one searches for it
DATE_FILTER = "日期"  # search_entry.html: the decision date, shown with each result


@dataclass(frozen=True)
class Bundle:
    name: str  # YYYY, YYYY-qN, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD-pN
    records: tuple[RecordView, ...]

    @functools.cached_property
    def key(self) -> str:
        """What the bundle's index is made from (the generator's fingerprint is checked apart).

        Cached: a build asks for it some five times a bundle, and it hashes every record."""
        digest = hashlib.sha256()
        for record in self.records:
            digest.update(
                f"{record.url}\0{record.digest}\0{record.release}\0{record.first_release}\n".encode()
            )
        return digest.hexdigest()[:32]

    @property
    def tag(self) -> str:
        """What its pages' ids carry (search.js orders merged results by it): the name without its
        hyphens (lower-case letters and digits, as fragment names allow), one to a name."""
        return self.name.replace("-", "")

    @property
    def path(self) -> str:
        return f"/pagefind/{self.name}/"


def search_entry_sorts(filters: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """A search entry's sort values from its filters: a Pagefind index keeps only their order.

    search_entry.html sorts by ``sort_date(decided)`` and keeps ``decided.isoformat()`` as the
    value of the 日期 filter; the empty site's placeholder has no date and sorts at "0".
    pagefind_index.read_bundle and pagefind_write.edit_bundle check these values against the order Pagefind
    stored, so a template change cannot go unseen.
    """
    dates = filters.get(DATE_FILTER)
    return {"date": sort_date(dt.date.fromisoformat(dates[0])) if dates else "0"}


def index_chunk_size(word: str) -> int:
    """How many locations an index chunk holds before ``word`` ends it (pagefind_write.write_bundle)."""
    return EXACT_CHUNK_SIZE if is_exact_code(word) else INDEX_CHUNK_SIZE


@dataclass(frozen=True)
class IndexWork:
    """How this build's bundles get their indexed pages.

    A bundle whose records all kept their search entries is linked from the previous site whole
    where it has the same name there (its pages' fragments carry the name: a part of a day that a
    new part renumbered is edited from its old self, its pages renamed).  Any other bundle is
    written anew from indexed pages: those whose entry did not change are taken from the previous
    site's bundles (``sources`` names the bundle), the rest from ``jobs``: Pagefind runs over just
    the new or changed entries, packed up to the cap (``sources`` names the job).
    Such a bundle is edited from the previous bundle most of its pages come from, when there is
    one (``bases``): that bundle's other pages dropped, the rest added.
    """

    reused: tuple[str, ...]  # bundles the previous build made of the same records, by the same name
    rebuilt: tuple[tuple[Bundle, dict[str, str]], ...]  # bundle, page URL -> bundle or job it is read from
    jobs: tuple[tuple[str, tuple[RecordView, ...]], ...]  # job name, the records whose entries it indexes
    # Rebuilt bundle -> the previous bundle it is edited from (the one most of its pages come from)
    # and that bundle's URLs: pagefind_write.edit_bundle drops the others and adds the rest.
    bases: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def plan_index_work(
    bundles: Sequence[Bundle],
    previous_bundles: dict[str, str],
    previous_pages: dict[str, tuple[str, str]],
    cap: int = JOB_CAP,
) -> IndexWork:
    """Which bundles to reuse, rebuild, and which entries Pagefind must index (pure: plans only).

    ``previous_bundles`` maps the previous build's bundle names to keys, ``previous_pages`` each URL
    it indexed to (its bundle, the digest of the entry indexed); both empty for a full build.
    """
    reused: list[str] = []
    rebuilt: list[tuple[Bundle, dict[str, str]]] = []
    jobs: list[tuple[str, list[RecordView]]] = []
    bases: dict[str, str] = {}
    for bundle in bundles:
        if previous_bundles.get(bundle.name) == bundle.key:
            reused.append(bundle.name)
            continue
        sources: dict[str, str] = {}
        fresh = []
        for record in bundle.records:
            before = previous_pages.get(record.url)
            if before is not None and before[1] == record.digest:
                sources[record.url] = before[0]
            else:
                fresh.append(record)
        if fresh:  # a bundle's fresh entries go to one job (bundles are smaller), so it reads one
            if not jobs or len(jobs[-1][1]) + len(fresh) > cap:
                jobs.append((f"job-{len(jobs) + 1}", []))
            jobs[-1][1].extend(fresh)
            sources.update((record.url, jobs[-1][0]) for record in fresh)
        rebuilt.append((bundle, sources))
        from_previous = Counter(where for where in sources.values() if where in previous_bundles)
        if from_previous:
            bases[bundle.name] = max(sorted(from_previous), key=lambda where: from_previous[where])
    urls: dict[str, list[str]] = {where: [] for where in bases.values()}
    for url, (where, _digest) in previous_pages.items():
        if where in urls:
            urls[where].append(url)
    return IndexWork(
        reused=tuple(reused),
        rebuilt=tuple(rebuilt),
        jobs=tuple((name, tuple(records)) for name, records in jobs),
        bases={name: (where, tuple(sorted(urls[where]))) for name, where in bases.items()},
    )


def indexed_pages(bundles: Sequence[Bundle]) -> dict[str, tuple[str, str]]:
    """What a build indexed, for the next one's :func:`plan_index_work`: URL -> (bundle, digest)."""
    pages: dict[str, tuple[str, str]] = {}
    for bundle in bundles:
        for record in bundle.records:
            pages[record.url] = (bundle.name, record.digest)
    return pages


def plan_bundles(records: Sequence[RecordView], cap: int = BUNDLE_CAP) -> list[Bundle]:
    """Bundles oldest first; the same records always give the same plan.

    A year is one bundle unless it holds more than ``cap`` records; then its quarters, then their
    months, then their days, each split only when over ``cap``; a day over ``cap`` is cut into
    parts by content (:func:`~disclosure.site.views.cut_by_content`, ids in order, 3/4 of ``cap``
    to ``cap`` a part), so that a record coming or going changes its own part, not all of them.
    Few and large bundles keep the first query small (each merged bundle costs a metadata file and
    an index chunk); the cap bounds indexing memory and Pagefind's quadratic sort.
    """
    ordered = sorted(records, key=lambda r: (r.decided, r.id))
    days = [(day, list(group)) for day, group in itertools.groupby(ordered, key=attrgetter("decided"))]
    slices: list[tuple[str, list[RecordView]]] = []
    _split(days, 0, cap, slices)
    return [Bundle(name=name, records=tuple(items)) for name, items in slices]


def _slice_name(day: dt.date, level: int) -> str:
    """The year, quarter, month or day (``level`` 0-3) of a decision date: only that one is formatted."""
    if level == 0:
        return str(day.year)
    if level == 1:
        return f"{day.year}-q{(day.month - 1) // 3 + 1}"
    if level == 2:
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


Days = list[tuple[dt.date, list[RecordView]]]  # records by decision date, in date order


def _split(days: Days, level: int, cap: int, out: list[tuple[str, list[RecordView]]]) -> None:
    """Append the slices of ``days`` (each day's records in id order) at ``level``, splitting those
    over ``cap``.  By day, not by record: a slice name is formatted once a day and level (once a
    record and level took 0.7 s at 10^5 records)."""
    groups: dict[str, Days] = defaultdict(list)
    for day, records in days:
        groups[_slice_name(day, level)].append((day, records))
    for name in sorted(groups):
        group = groups[name]
        if sum(len(records) for _, records in group) <= cap:
            out.append((name, [record for _, records in group for record in records]))
        elif level < 3:
            _split(group, level + 1, cap, out)
        else:  # one day over the cap: cut into parts by content (its records are in id order)
            ((_, records),) = group
            parts = cut_by_content(records, least=cap * 3 // 4, most=cap, every=max(1, cap // 8))
            for number, part in enumerate(parts, start=1):
                out.append((f"{name}-p{number}", part))
