"""Make Pagefind's output byte-identical from run to run.

Pagefind 1.5.2 writes its filter index from Rust HashMaps (its source says
"TODO: Change filter indexes to BTree to give them a stable hash"): the order
of filter values in each ``filter/*.pf_filter`` chunk, and of the filters in
the ``pagefind.*.pf_meta`` file, changes on every run, and with them the
chunk and meta file names.  This pass rewrites those files in sorted order and
names them the way Pagefind does (language + the first 8 characters of its
unpadded-hex SHA-1 of the CBOR), so two builds of the same pages are equal.
Nothing else in the bundle varies (checked by tests/test_build.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2

_HEADER = b"pagefind_dcd"


def _read(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_HEADER):
        raise ValueError(f"{path}: not a Pagefind data file")
    return cbor2.loads(data[len(_HEADER) :])


def _write(path: Path, value: Any) -> bytes:
    encoded = cbor2.dumps(value)
    path.write_bytes(gzip.compress(_HEADER + encoded, compresslevel=9, mtime=0))
    return encoded


def _pagefind_hash(data: bytes) -> str:
    """Pagefind's full_hash: SHA-1 bytes each formatted with {:x?}, i.e. hex without zero padding."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def canonicalise_bundle(bundle: Path) -> None:
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, info in sorted(entry["languages"].items()):
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read(meta_path)
        filters = meta[3]
        renamed: list[list[str]] = []
        for name, chunk_hash in filters:
            chunk_path = bundle / "filter" / f"{chunk_hash}.pf_filter"
            filter_name, values = _read(chunk_path)
            chunk_path.unlink()
            values.sort(key=lambda value: value[0])
            encoded = cbor2.dumps([filter_name, values])
            new_hash = _short_name(language, encoded, {h for _, h in renamed})
            _write(bundle / "filter" / f"{new_hash}.pf_filter", [filter_name, values])
            renamed.append([name, new_hash])
        meta[3] = sorted(renamed, key=lambda item: item[0])
        meta_path.unlink()
        encoded = cbor2.dumps(meta)
        meta_hash = f"{language}_{_pagefind_hash(encoded)}"[: len(language) + 8]
        _write(bundle / f"pagefind.{meta_hash}.pf_meta", meta)
        info["hash"] = meta_hash
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _short_name(language: str, encoded: bytes, taken: set[str]) -> str:
    full = f"{language}_{_pagefind_hash(encoded)}"
    length = len(language) + 8
    while full[:length] in taken and length < len(full):
        length += 1
    return full[:length]
