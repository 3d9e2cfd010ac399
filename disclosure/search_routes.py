"""The routing table's shards (site/routing.py), made in a process of its own beside the build.

The process is forked once the releases are folded (``start_routes``) and first reads what an
earlier build kept (``prepare_routes``: the numbered keys, each kept bundle's counts and routed
texts, the lines of the records with none), while the build's main process makes the record views
on the other core: that part needs no bundle plan, and the core was idle then (1-1.3 s of a
weekly build at 10^5 records).  The plan follows as bundle keys and digests (``RoutePlan``), and
the table is made from it (``route_plan``).  ``write_routes`` does both here, from planned bundles.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from disclosure._internal.forks import Primed
from disclosure._internal.route_cache import RouteCounts
from disclosure._internal.tree import remove_files, rewrite_file
from disclosure.fold import PublishedLine
from disclosure.site.bundles import Bundle
from disclosure.site.routing import (
    KeyCounts,
    RoutedRecord,
    bundle_route_counts,
    route_table_of_ids,
)
from disclosure.site.views import record_view

# The shards route_plan reads before it stops comparing, if none of them is the same.  A mask's
# bits are the bundles' places, so a new newest bundle (every weekly build) changes every shard,
# and reading the spare's 32,768 shards then cost 2.5 s of CPU at 10^5 records for nothing; a
# daily build keeps most of them.
SHARD_PROBE = 64


@dataclass(frozen=True)
class PlannedBundle:
    """What the table needs of a planned bundle: its name, its key, its records' digests."""

    name: str
    key: str
    digests: tuple[str, ...]


RoutePlan = list[PlannedBundle]  # newest first, as bundles.json lists them


def planned(newest_first: Iterable[Bundle]) -> RoutePlan:
    return [PlannedBundle(b.name, b.key, tuple(r.digest for r in b.records)) for b in newest_first]


@dataclass(frozen=True)
class RouteSources:
    """What the table is counted from besides the plan: the cache (``RouteCounts``) and the
    routed record of any digest its bundle's cached texts lack."""

    store: RouteCounts
    routed: Callable[[str], RoutedRecord]


def prepare_routes(
    cache: Path | None, kept: Iterable[str], published: Callable[[], Iterable[PublishedLine]]
) -> RouteSources:
    """Read the cache: its keys numbered, the counts and texts of the bundles ``kept`` names (the
    previous build's, by key), and the published lines whose texts no kept bundle holds (a weekly
    build's new records; every record in a first build)."""
    store = RouteCounts(cache)
    store.preload(kept)
    known: dict[str, list[str]] = {}
    for key in kept:
        known.update(store.texts(key))
    lines = {line.digest: line for line in published() if line.digest not in known}

    def routed(digest: str) -> RoutedRecord:
        """Asked once a record (it is in one bundle); its line is then let go: a full build's lines
        are all here at first (1.1 GB at 10^6 records), and the table needs the memory after."""
        texts = known.get(digest)  # the same record's texts, kept for another bundle
        if texts is not None:
            return _routed_text(texts)
        view = record_view(lines.pop(digest))
        return RoutedRecord(view.exact_texts, view.district)

    return RouteSources(store, routed)


def start_routes(
    folder: Path,
    cache: Path | None,
    bases: Mapping[str, str],
    published: Callable[[], Iterable[PublishedLine]],
) -> Primed[RouteSources, RoutePlan, tuple[int, float]]:
    """The routing process, forked now: ``give`` it the plan (``planned``), then ``result()`` is
    ``route_plan``'s.  ``bases``: name -> key of the previous build's bundles."""
    return Primed(
        lambda: prepare_routes(cache, bases.values(), published),
        lambda sources, plan: route_plan(plan, folder, sources, bases),
    )


def write_routes(
    newest_first: Sequence[Bundle],
    folder: Path,
    cache: Path | None = None,
    bases: Mapping[str, str] | None = None,
) -> tuple[int, float]:
    """``route_plan`` of planned bundles, here: their records' views give the routed texts."""
    records = {record.digest: record for bundle in newest_first for record in bundle.records}

    def routed(digest: str) -> RoutedRecord:
        record = records[digest]
        return RoutedRecord(record.exact_texts, record.district)

    return route_plan(planned(newest_first), folder, RouteSources(RouteCounts(cache), routed), bases or {})


def route_plan(
    plan: RoutePlan, folder: Path, sources: RouteSources, bases: Mapping[str, str]
) -> tuple[int, float]:
    """Write the routing table's shards into ``folder``; returns their number and the seconds it took.

    A spare's shards that hold the same bytes stay (a daily build at 10^5 changed 1,352 of 32,768),
    unless none of the first ``SHARD_PROBE`` does: then the rest are written without a look.
    Each bundle's key counts are read from the cache when an earlier build left them there under
    the bundle's key, else counted and left there, with its records' routed texts by digest; the
    cache then keeps only this build's bundles.  A bundle that changed is counted from the cached
    version of the bundle of the same name in ``bases`` (name: key, the previous build's bundles)
    when it gained or lost fewer records than it holds: only those records' keys are counted.
    """
    start = time.perf_counter()
    store = sources.store
    counted: list[tuple[str, KeyCounts, dict[str, list[str]]]] = []
    bundles = [_route_counts(b, sources, bases.get(b.name), counted) for b in plan]
    store.keep(counted)
    # What the table does not need is let go before it is made: the records' texts, just kept,
    # and the keys' numbers by key (0.3 and 1 GB at 10^6 records; docs/benchmarks.md, session 33).
    counted.clear()
    store.forget_ids()
    routes = route_table_of_ids(store.keys, bundles)
    folder.mkdir(parents=True, exist_ok=True)  # pagefind/ may not be there yet
    names = {f"{number}.json" for number in range(len(routes.files))}
    remove_files(folder, (name for name in os.listdir(folder) if name not in names))
    kept = 0
    for number, shard in enumerate(routes.files):
        path = folder / f"{number}.json"
        if kept or number < SHARD_PROBE:
            try:
                if path.read_bytes() == shard:
                    kept += 1
                    continue
            except FileNotFoundError:
                pass
        rewrite_file(path, shard)  # a spare's shard is that folder's alone
    store.prune({b.key for b in plan}, routes.keys)
    return routes.shards, time.perf_counter() - start


def _route_counts(
    bundle: PlannedBundle,
    sources: RouteSources,
    base_key: str | None,
    counted: list[tuple[str, KeyCounts, dict[str, list[str]]]],
) -> KeyCounts:
    """The bundle's ``bundle_route_counts``, kept in the cache or counted from those of its base;
    what is counted is added to ``counted`` (bundle key, counts, routed texts by digest)."""
    store = sources.store
    kept = store.counts(bundle.key)
    if kept is not None:
        return kept
    base_texts = store.texts(base_key) if base_key is not None else {}
    base_counts = store.counts(base_key) if base_key is not None and base_texts else None
    # A record the base holds keeps its texts as cached there, as they are: its entry is not
    # parsed (RecordView.entry), nor its texts made into a RoutedRecord (10^5 a weekly build).
    texts: dict[str, list[str]] = {}
    new: list[RoutedRecord] = []
    for digest in bundle.digests:
        cached = base_texts.get(digest)
        if cached is None:
            routed = sources.routed(digest)
            new.append(routed)
            cached = [routed.district, *routed.texts]
        texts[digest] = cached
    rebased = _rebased(store, base_counts, base_texts, texts, new) if base_counts is not None else None
    if rebased is None:
        rebased = store.numbered(bundle_route_counts(map(_routed_text, texts.values())))
    counted.append((bundle.key, rebased, texts))
    return rebased


def _rebased(
    store: RouteCounts,
    base_counts: KeyCounts,
    base_texts: Mapping[str, list[str]],
    texts: Mapping[str, list[str]],
    new: list[RoutedRecord],
) -> KeyCounts | None:
    """The counts rebased on the base bundle's (``RouteCounts.rebased``): those of the records in
    ``base_texts`` and not in ``texts`` taken off, those of ``new`` added; None where as many
    records came and went as the bundle holds (counting it afresh is then no dearer)."""
    gone = [_routed_text(t) for digest, t in base_texts.items() if digest not in texts]
    if len(gone) + len(new) >= len(texts):
        return None
    return store.rebased(base_counts, bundle_route_counts(gone), bundle_route_counts(new))


def _routed_text(cached: list[str]) -> RoutedRecord:
    return RoutedRecord(tuple(cached[1:]), cached[0])
