"""Which search bundles can hold an exact match: a table from route keys to bundles, in shards.

Why: the index is split into bundles (bundles.py), and the search page merges them newest first
until it has a page of results.  A name or number that few records have is in none of the newer
bundles, so without a table the page merged every bundle to find it: 600 KB and seconds at 10^5
records.  With it, the page first looks up the query's keys (``query_route_keys``) in a few
small shards, and merges only the bundles that hold all of them.

A key is 2, 3, 4 or 6 neighbouring tokens of a record's names and numbers (``exact_tokens``: a
Han character, or a run of letters and digits), or one run; a query is routed by its longest
windows.  Runs count as tokens so that a whole document number routes by its serial *with* its
department and year ("罚 2025 554318 号"), which few records share, not by each apart, which many
do.  Six tokens tell apart what four do not: two departments' numbers with the same serial, and
the many shops named "连江县詹记…" whose names hold "连江县詹" and "詹记货运" in different records.

Pairs of Han characters are also filed under the record's 区县 ("鼓楼区:小学"), so a query
filtered by district merges only the bundles that hold matches in that district: without them,
"小学" in one district had few matches in each of the 47 bundles with the word, and the page
merged them all.

Each key also says how far the page must merge for a first page of results: the bundle where the
key's records reach ``PAGE`` (``RouteTable``).  A query's matches hold all its keys, so the
furthest of these is where its own first page can end at the earliest, and the page merges up to
it in one round instead of growing rounds.

The table is complete by construction: a record whose names or numbers contain the query holds
every key of the query, so its bundle is routed.  It is computed afresh each build from every
published record, so it never lags the bundles.  search.js ``shardOf``, ``routeKeys`` and
``shortKeys`` must agree with ``shard_of``, ``query_route_keys`` and ``short_route_keys``; the
unit tests pin them and the browser tests check them end to end.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeVar

import numpy
import orjson
from numpy.typing import NDArray

from disclosure.site.search_terms import exact_tokens, is_han

ROUTE_DIR = "route"  # under /pagefind/
KEYS_PER_SHARD = 48  # about 2 KB a shard: a query of a long name reads a few of them
WINDOWS = (2, 3, 4, 6)  # the lengths of keys, in tokens
PAGE = 10  # search.js PAGE: the results of a first page
DISTRICT_MARK = ":"  # "鼓楼区:小学"; never in a key of tokens
T = TypeVar("T")
_ASCII = re.compile("[\x00-\x7f]")  # a token that has one is a run, not Han (search_terms.is_han)


@dataclass(frozen=True)
class RoutedRecord:
    """What the table needs of a record: its exact texts (``RecordView.exact_texts``), its 区县."""

    texts: tuple[str, ...]
    district: str = ""


@dataclass(frozen=True)
class RouteTable:
    """The shards of the table: ``files[n]`` is shard n's JSON, {key: value}.

    A value is the bundles that hold the key, as a hex bit mask (bit i: the i-th bundle of
    bundles.json, newest first), then, when the key's records reach PAGE, a comma and the
    number of the bundle where they do ("1f,3").
    """

    shards: int
    files: tuple[bytes, ...]
    keys: int = 0  # how many keys the shards hold


def shard_of(key: str, shards: int) -> int:
    """CRC-32 (zlib's, as search.js computes it) of the key's UTF-8, modulo ``shards`` (a power of two)."""
    return zlib.crc32(key.encode()) & (shards - 1)


def route_key(tokens: Sequence[str]) -> str:
    """Neighbouring tokens as one key: Han characters joined as they are, a run set apart by a space."""
    return _joined(tokens)[0]


def _joined(tokens: Sequence[str]) -> tuple[str, list[int], list[int]]:
    """The tokens as ``route_key`` joins them, with where each starts and ends: a window's key is
    then one slice (route_table makes some 10^7 of them at 10^5 records)."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    before_han = False
    for token in tokens:
        han = is_han(token)
        if parts and not (han and before_han):
            parts.append(" ")
            position += 1
        parts.append(token)
        starts.append(position)
        position += len(token)
        ends.append(position)
        before_han = han
    return "".join(parts), starts, ends


def record_route_keys(texts: Iterable[str]) -> set[str]:
    """The keys of one record: every window of WINDOWS tokens of each of its texts, and every run of
    letters and digits (a phrase never spans two texts)."""
    pairs, others = _record_keys(texts)
    return pairs | others


def _record_keys(texts: Iterable[str]) -> tuple[set[str], set[str]]:
    """A record's keys in two sets: its pairs of Han characters (also filed by district), the rest."""
    pairs: set[str] = set()
    others: set[str] = set()
    for text in texts:
        tokens = exact_tokens(text)
        plain = "".join(tokens)
        if not _ASCII.search(plain):  # Han characters only: a window is a slice of the text
            pairs.update(plain[i : i + 2] for i in range(len(plain) - 1))
            others.update(plain[i : i + n] for n in WINDOWS[1:] for i in range(len(plain) - n + 1))
            continue
        joined, starts, ends = _joined(tokens)
        others.update(token for token in tokens if not is_han(token))
        for n in WINDOWS:
            for i in range(len(tokens) - n + 1):
                key = joined[starts[i] : ends[i + n - 1]]
                (pairs if n == 2 and " " not in key else others).add(key)
    return pairs, others


def query_route_keys(query: str) -> list[str]:
    """The keys a query is routed by (search.js ``routeKeys``): its windows of the longest of WINDOWS
    it has (the rarer a key, the fewer bundles hold it), or its one run.  A record that contains
    the query has them all among its own keys.  In the query's order, no repeats; none for one Han
    character."""
    tokens = exact_tokens(query)
    if len(tokens) < 2:
        return [token for token in tokens if not is_han(token)]
    return _window_keys(tokens, max(size for size in WINDOWS if size <= len(tokens)))


def short_route_keys(query: str) -> list[str]:
    """The keys of a query filed by district (search.js ``shortKeys``): its pairs of Han characters."""
    return [pair for pair in _window_keys(exact_tokens(query), 2) if " " not in pair]


def _window_keys(tokens: Sequence[str], n: int) -> list[str]:
    """The keys of every ``n`` neighbouring tokens, in order, no repeats (search.js ``windowKeys``)."""
    return list(dict.fromkeys(route_key(tokens[i : i + n]) for i in range(len(tokens) - n + 1)))


def district_key(district: str, key: str) -> str:
    """A pair as filed under a 区县 (search.js builds the same)."""
    return f"{district}{DISTRICT_MARK}{key}"


def bundle_route_counts(records: Iterable[RoutedRecord]) -> dict[str, int]:
    """How many of a bundle's ``records`` hold each key: all the table needs of the bundle.

    A function of the bundle's records alone, so a build keeps it for the next by the bundle's key
    (search_index.write_routes): a bundle whose records did not change costs a file read, not its
    keys again (5.5 s for every bundle at 10^5 records).
    """
    held: Counter[str] = Counter()
    for record in records:
        pairs, others = _record_keys(record.texts)
        held.update(pairs)
        held.update(others)
        if record.district:
            held.update([district_key(record.district, pair) for pair in pairs])
    return held


def route_table(bundles: Iterable[Iterable[RoutedRecord]]) -> RouteTable:
    """The table of ``bundles``, newest first as bundles.json lists them."""
    return route_table_of_counts(bundle_route_counts(records) for records in bundles)


def route_table_of_counts(counts: Iterable[Mapping[str, int]]) -> RouteTable:
    """The table of bundles given by their ``bundle_route_counts``, newest first."""
    numbers = KeyNumbers()
    bundles = [numbers.numbered(held) for held in counts]
    return route_table_of_ids(numbers.keys, bundles)


@dataclass(frozen=True)
class KeyCounts:
    """A bundle's ``bundle_route_counts`` by key number: ``counts[i]`` records hold key ``ids[i]``
    (each id once; every count at least 1)."""

    ids: NDArray[numpy.int64]
    counts: NDArray[numpy.int64]


class KeyNumbers:
    """Route keys numbered as they are first met: key n is ``keys[n]``, and a number never changes
    (``route_cache.RouteCounts`` keeps them from one build to the next)."""

    def __init__(self, keys: list[str] | None = None) -> None:
        self.keys = keys if keys is not None else []
        self._ids: dict[str, int] | None = None

    @property
    def ids(self) -> dict[str, int]:
        """Key -> number; made on first use (a build whose bundles are all kept needs none)."""
        if self._ids is None:
            self._ids = {key: number for number, key in enumerate(self.keys)}
        return self._ids

    def forget_ids(self) -> None:
        """Let the numbers' index go (it is made again if asked for): what remains to be done
        needs only ``keys``."""
        self._ids = None

    def numbered(self, counts: Mapping[str, int]) -> KeyCounts:
        """``counts`` by key number, in number order, numbering the keys not met before."""
        ids, keys = self.ids, self.keys
        numbers = []
        for key in counts:
            number = ids.get(key)
            if number is None:
                number = ids[key] = len(keys)
                keys.append(key)
            numbers.append(number)
        by_number, held = _array(numbers), _array(counts.values())
        order = numpy.argsort(by_number)
        return KeyCounts(by_number[order], held[order])


def route_table_of_ids(keys: Sequence[str], bundles: Sequence[KeyCounts]) -> RouteTable:
    """The table of ``bundles`` (newest first) whose keys are numbered: key i is ``keys[i]``.

    Why numbers: merging some 3 * 10^6 (key, count) pairs a build in a dict of strings took 5-8 s;
    here numpy does it on numbers, and Python touches each key of the table once, to write it.
    """
    # 32-bit numbers, each array let go once used: the pairs are 3 * 10^7 at 10^6 records, and
    # the routing process ran out of memory beside the render (docs/benchmarks.md, session 33).
    key = _concatenated([b.ids for b in bundles])
    order = numpy.argsort(key, kind="stable")  # by key, then bundle: newest first
    key = key[order]
    held = _concatenated([b.counts for b in bundles])[order]
    bundle = numpy.repeat(numpy.arange(len(bundles), dtype=numpy.int32), [len(b.ids) for b in bundles])
    bundle = bundle[order]
    del order
    first = numpy.ones(len(key), dtype=bool)  # a key's first pair
    first[1:] = key[1:] != key[:-1]
    live = key[first]  # the keys some bundle holds, in order
    pairs = numpy.flatnonzero(first)
    # The bundle where a key's records so far reach PAGE: its first pair whose running sum does.
    running = numpy.cumsum(held, dtype=numpy.int64)
    running -= numpy.repeat(running[pairs] - held[pairs], numpy.diff(pairs, append=len(key)))
    del held, pairs
    reached = numpy.flatnonzero(running >= PAGE)  # the running sums within each key
    del running
    reach = numpy.full(len(keys), -1, dtype=numpy.int64)
    if len(reached):
        earliest = numpy.ones(len(reached), dtype=bool)
        earliest[1:] = key[reached[1:]] != key[reached[:-1]]
        reach[key[reached[earliest]]] = bundle[reached[earliest]]
    masks, ends = _hex_masks(key, bundle, first)
    starts = numpy.concatenate(([0], ends[:-1])) if len(ends) else ends
    values = [
        masks[start:end] if place < 0 else f"{masks[start:end]},{place}"
        for start, end, place in zip(starts.tolist(), ends.tolist(), reach[live].tolist(), strict=True)
    ]
    names = _pick(keys, live.tolist())
    shards = 1
    while shards * KEYS_PER_SHARD < len(names):
        shards *= 2
    crc32 = zlib.crc32  # shard_of, inline: it runs once a key
    shard = numpy.fromiter((crc32(name.encode()) for name in names), dtype=numpy.int64, count=len(names))
    shard &= shards - 1
    by_shard = numpy.argsort(shard, kind="stable")
    bounds = numpy.searchsorted(shard[by_shard], numpy.arange(shards + 1)).tolist()
    placed = by_shard.tolist()
    names, values = _pick(names, placed), _pick(values, placed)
    # Compact UTF-8 as json.dumps gives it, keys in code-point order as sorted() gives them; orjson
    # sorts each shard faster than one sort of all keys (0.1 s against 1.1 s at 10^5 records).
    files = tuple(
        orjson.dumps(dict(zip(names[a:b], values[a:b], strict=True)), option=orjson.OPT_SORT_KEYS) + b"\n"
        for a, b in zip(bounds, bounds[1:], strict=False)
    )
    return RouteTable(shards=shards, files=files, keys=len(names))


_HEX_DIGITS = numpy.frombuffer(b"0123456789abcdef", dtype=numpy.uint8)


def _hex_masks(
    key: NDArray[numpy.int32], bundle: NDArray[numpy.int32], first: NDArray[numpy.bool_]
) -> tuple[str, NDArray[numpy.int64]]:
    """Each key's bundles as ``f"{mask:x}"`` of the mask with bit ``bundle`` set, the keys' masks
    laid end to end (and where each ends), for pairs sorted by key then bundle."""
    digit = bundle >> 2  # hex digit d (from the right) holds bundles 4d to 4d + 3
    new_digit = first.copy()
    new_digit[1:] |= digit[1:] != digit[:-1]
    starts = numpy.flatnonzero(new_digit)
    if not len(starts):
        return "", numpy.zeros(0, dtype=numpy.int64)
    value = numpy.bitwise_or.reduceat(numpy.left_shift(1, bundle & 3), starts)
    owner = numpy.cumsum(first)[starts] - 1  # the key's place among the live keys
    place = digit[starts]
    length = numpy.zeros(int(owner[-1]) + 1, dtype=numpy.int64)
    length[owner] = place + 1  # a key's last digit is its highest: the text's length
    ends = numpy.cumsum(length)
    text = numpy.full(int(ends[-1]), ord("0"), dtype=numpy.uint8)
    text[ends[owner] - 1 - place] = _HEX_DIGITS[value]
    return text.tobytes().decode("ascii"), ends


def _concatenated(arrays: Sequence[NDArray[numpy.int64]]) -> NDArray[numpy.int32]:
    """``arrays`` end to end as 32-bit numbers (a key's number, a count: both below 2^31)."""
    if not arrays:
        return numpy.zeros(0, dtype=numpy.int32)
    return numpy.concatenate(arrays, dtype=numpy.int32, casting="same_kind")


def _array(values: Iterable[int]) -> NDArray[numpy.int64]:
    return numpy.fromiter(values, dtype=numpy.int64)


def _pick(items: Sequence[T], indexes: list[int]) -> list[T]:
    """``[items[i] for i in indexes]`` in C (itemgetter)."""
    if len(indexes) < 2:
        return [items[i] for i in indexes]
    return list(itemgetter(*indexes)(items))
