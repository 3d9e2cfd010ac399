"""The route-key counts of search bundles, kept from one build to the next with the keys numbered.

Why numbers: the routing table merges every bundle's counts, some 3 * 10^6 (key, count) pairs at
10^5 records, and a weekly build changes most bundles a little.  With the counts kept as key
strings, a build spent 3 s looking the strings up again and 5-8 s merging them; kept as numbers
into one list of keys (``keys.json``), a bundle's counts load as two arrays and the table is made
by ``routing.route_table_of_ids``.

The folder (``states.route_cache``) holds ``keys.json``, {"epoch", "keys"}: key n is ``keys[n]``,
and keys are only ever added, so a number keeps its key; and per bundle key,
``<bundle key>.json``, {"epoch", "ids", "counts"}, and ``<bundle key>.records.json``, its records'
routed texts by digest (for the next version of the bundle to count only the records it gained
and lost).  A bundle's counts are read only with the epoch of the keys they number: a new
``keys.json`` (lost, damaged, or begun again when most of its keys are no longer held) has a new
epoch, and every bundle is then counted again.  ``keys.json`` is written before any counts that
number new keys, so a build stopped between the two leaves only keys no count uses.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy
import orjson

from disclosure._internal.tree import remove_files, replace_file, rewrite_file
from disclosure.site.routing import KeyCounts, KeyNumbers

KEYS_FILE = "keys.json"
COUNTS, RECORDS = ".json", ".records.json"  # a bundle's files, after its key
# keys.json begins again (a new epoch: every bundle counted afresh, once) when it holds this many
# times the keys the bundles do: keys of records no longer published are otherwise never dropped.
STALE_KEYS = 2


class RouteCounts(KeyNumbers):
    """The numbered keys, and the bundles' counts in ``folder`` (None: nothing kept, as in tests).

    Counts are numbered in number order (``KeyNumbers.numbered``): read back, they are checked
    in one pass."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        epoch, keys = "", []
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                kept = orjson.loads((folder / KEYS_FILE).read_bytes())
                if isinstance(kept["epoch"], str) and isinstance(kept["keys"], list):
                    epoch, keys = kept["epoch"], kept["keys"]
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
                pass
        if not epoch or not all(isinstance(key, str) for key in keys):
            epoch, keys = secrets.token_hex(8), []
        super().__init__(keys)
        self.epoch = epoch
        self._saved = len(self.keys) if self.keys else -1
        # Read ahead by ``preload``: bundle key -> counts, texts.
        self._counts: dict[str, KeyCounts | None] = {}
        self._texts: dict[str, dict[str, list[str]]] = {}

    def preload(self, bundle_keys: Iterable[str]) -> None:
        """Number the keys (``ids``) and read these bundles' counts and texts now, ahead of use."""
        self.ids  # noqa: B018 - made on first use
        for key in bundle_keys:
            self._counts[key] = self.counts(key)
            self._texts[key] = self.texts(key)

    def rebased(self, base: KeyCounts, gone: Mapping[str, int], new: Mapping[str, int]) -> KeyCounts | None:
        """A bundle's counts from an earlier version's: ``base`` less ``gone`` plus ``new``; None
        if ``base`` cannot have held ``gone``."""
        if any(key not in self.ids for key in gone):
            return None
        lost, gained = self.numbered(gone), self.numbered(new)
        ids = numpy.concatenate((base.ids, lost.ids, gained.ids))
        changes = numpy.concatenate((base.counts, -lost.counts, gained.counts))
        unique, where = numpy.unique(ids, return_inverse=True)
        totals = numpy.zeros(len(unique), dtype=numpy.int64)
        numpy.add.at(totals, where, changes)
        if (totals < 0).any():
            return None
        held = totals > 0  # a key counted down to 0 is gone, as a count from scratch never has it
        return KeyCounts(unique[held], totals[held])

    def counts(self, bundle_key: str) -> KeyCounts | None:
        """The bundle's kept counts, or None where they are not there whole, for these keys."""
        if bundle_key in self._counts:
            return self._counts[bundle_key]
        if self.folder is None:
            return None
        try:
            kept = orjson.loads((self.folder / f"{bundle_key}{COUNTS}").read_bytes())
            if kept["epoch"] != self.epoch:
                return None
            ids, counts = _array(kept["ids"]), _array(kept["counts"])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
            return None
        if ids.ndim != 1 or ids.shape != counts.shape:
            return None
        if len(ids) and not (
            ids[0] >= 0 and ids[-1] < len(self.keys) and counts.min() >= 1 and (ids[1:] > ids[:-1]).all()
        ):
            return None
        return KeyCounts(ids, counts)

    def texts(self, bundle_key: str) -> dict[str, list[str]]:
        """The routed texts of the bundle's records by digest ([district, *texts]), or none."""
        if bundle_key in self._texts:
            return self._texts[bundle_key]
        if self.folder is None:
            return {}
        try:
            texts = orjson.loads((self.folder / f"{bundle_key}{RECORDS}").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        if not isinstance(texts, dict):
            return {}
        valid = all(
            isinstance(t, list) and t and all(isinstance(text, str) for text in t) for t in texts.values()
        )
        return texts if valid else {}

    def keep(self, bundles: Iterable[tuple[str, KeyCounts, Mapping[str, list[str]]]]) -> None:
        """Write ``keys.json`` if it gained keys, then each bundle's counts and texts."""
        if self.folder is None:
            return
        if len(self.keys) != self._saved:
            rewrite_file(self.folder / KEYS_FILE, orjson.dumps({"epoch": self.epoch, "keys": self.keys}))
            self._saved = len(self.keys)
        for bundle_key, counts, texts in bundles:
            replace_file(self.folder / f"{bundle_key}{RECORDS}", orjson.dumps(texts))
            kept = {"epoch": self.epoch, "ids": counts.ids.tolist(), "counts": counts.counts.tolist()}
            replace_file(self.folder / f"{bundle_key}{COUNTS}", orjson.dumps(kept))  # last: says whole

    def prune(self, bundle_keys: set[str], held_keys: int) -> None:
        """Remove the files of bundles not in ``bundle_keys``; begin the keys again where they
        number ``STALE_KEYS`` times the ``held_keys`` the table has (the next build counts all)."""
        if self.folder is None:
            return
        kept = {f"{key}{suffix}" for key in bundle_keys for suffix in (COUNTS, RECORDS)} | {KEYS_FILE}
        remove_files(self.folder, (name for name in os.listdir(self.folder) if name not in kept))
        if len(self.keys) > STALE_KEYS * held_keys + 1000:
            remove_files(self.folder, [KEYS_FILE])


def _array(values: Iterable[Any]) -> numpy.ndarray[Any, numpy.dtype[numpy.int64]]:
    return numpy.array(list(values), dtype=numpy.int64)
