"""Which search bundles can hold an exact match: a table from route keys to bundles, in shards.

Why: the index is split into bundles (bundles.py), and the search page merges them newest first
until it has a page of results.  A name or number that few records have is in none of the newer
bundles, so without a table the page merged every bundle to find it: 600 KB and seconds at 10^5
records.  With it, the page first looks up the query's keys (search_terms.route_keys) in a few
small shards, and merges only the bundles that hold all of them.

The table is complete by construction: a record whose names or numbers contain the query holds
every key of the query, so its bundle is routed.  It is computed afresh each build from every
published record, so it never lags the bundles (a few seconds at 10^5).  search.js ``shardOf``
and ``routeKeys`` must agree with ``shard_of`` and ``route_keys``; the browser tests check both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from disclosure.site.search_terms import exact_tokens, route_keys

ROUTE_DIR = "route"  # under /pagefind/
KEYS_PER_SHARD = 48  # about 2 KB a shard: a query of a long name reads a few of them

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
    """The keys of one record: those of each of its texts (a phrase never spans two texts)."""
    keys: set[str] = set()
    for text in texts:
        keys |= route_keys(exact_tokens(text))
    return keys


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
