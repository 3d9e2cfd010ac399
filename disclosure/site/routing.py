"""Which search bundles can hold an exact match: a table from route keys to bundles, in shards.

Why: the index is split into bundles (bundles.py), and the search page merges them newest first
until it has a page of results.  A name or number that few records have is in none of the newer
bundles, so without a table the page merged every bundle to find it: 600 KB and seconds at 10^5
records.  With it, the page first looks up the query's keys (``query_route_keys``) in a few
small shards, and merges only the bundles that hold all of them.

The table is complete by construction: a record whose names or numbers contain the query holds
every key of the query, so its bundle is routed.  It is computed afresh each build from every
published record, so it never lags the bundles (a few seconds at 10^5).  search.js ``shardOf``
and ``routeKeys`` must agree with ``shard_of`` and ``query_route_keys``; the browser tests check
both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from disclosure.site.search_terms import exact_runs, is_han

ROUTE_DIR = "route"  # under /pagefind/
KEYS_PER_SHARD = 48  # about 2 KB a shard: a query of a long name reads a few of them
LONGEST_KEY = 4  # Han characters

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


@dataclass(frozen=True)
class RouteTable:
    """The shards of the table: ``files[n]`` is shard n's JSON, {key: bundles as a hex bit mask}.

    Bit i of a mask is the i-th bundle of bundles.json (newest first).
    """

    shards: int
    files: tuple[bytes, ...]


def shard_of(key: str, shards: int) -> int:
    """FNV-1a (32 bit) of the key's UTF-8, modulo ``shards`` (a power of two)."""
    value = _FNV_OFFSET
    for byte in key.encode():
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value & (shards - 1)


def record_route_keys(texts: Iterable[str]) -> set[str]:
    """The keys of one record: every run of letters and digits, and every 2, 3 and 4 neighbouring
    Han characters, of each of its texts (a phrase never spans two texts)."""
    keys: set[str] = set()
    for text in texts:
        for run in exact_runs(text):
            if is_han(run):
                keys.update(gram for n in range(2, LONGEST_KEY + 1) for gram in _grams(run, n))
            else:
                keys.add(run)
    return keys


def query_route_keys(query: str) -> list[str]:
    """The keys a query is routed by (search.js ``routeKeys``): its runs of letters and digits, and
    the longest Han n-grams each of its Han runs has (up to 4 characters: the rarer a key, the
    fewer bundles hold it; pairs are in almost every bundle of a few thousand names).  A record
    that contains the query has them all among its own keys.  In the query's order, no repeats.
    """
    keys: list[str] = []
    for run in exact_runs(query):
        if not is_han(run):
            keys.append(run)
        elif len(run) >= 2:
            keys += _grams(run, min(len(run), LONGEST_KEY))
    return list(dict.fromkeys(keys))


def _grams(run: str, n: int) -> list[str]:
    """Every ``n`` neighbouring characters of ``run``."""
    return [run[i : i + n] for i in range(len(run) - n + 1)]


def route_table(bundles: Sequence[Iterable[Iterable[str]]]) -> RouteTable:
    """The table of ``bundles`` (newest first, as bundles.json lists them), each its records' texts."""
    masks: dict[str, int] = {}
    for number, records in enumerate(bundles):
        bit = 1 << number
        for texts in records:
            for key in record_route_keys(texts):
                masks[key] = masks.get(key, 0) | bit
    shards = 1
    while shards * KEYS_PER_SHARD < len(masks):
        shards *= 2
    split: list[dict[str, str]] = [{} for _ in range(shards)]
    for key in sorted(masks):
        split[shard_of(key, shards)][key] = format(masks[key], "x")
    files = tuple(
        json.dumps(shard, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for shard in split
    )
    return RouteTable(shards=shards, files=files)
