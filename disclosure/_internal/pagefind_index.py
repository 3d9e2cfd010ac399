"""Read a Pagefind 1.5.2 index into pages: the format, and what reading and writing share.

Why: a weekly rebuild changes a few pages in most time-sliced bundles (disclosure/site/bundles.py).
Re-running Pagefind over every bundle costs minutes; instead Pagefind indexes only the new pages,
and each affected bundle is edited or written again by ``pagefind_write`` from its old pages and
the new ones, which are read here.

The format (Pagefind 1.5.2, tag v1.5.2 = bf17396721be, pagefind/src/index/mod.rs and
pagefind_web/src/{metadata,index,filter_index}.rs): every data file is gzip(b"pagefind_dcd" + CBOR),
files are named language + "_" + a prefix of the SHA-1 hex *without zero padding*
(utils.rs ``full_hash``).  ``write_bundle`` may put a tag in fragment names, ``<lang>_<tag>-<hex>``:
a search result's id is its page's fragment name, so the tag tells the search page which bundle a
merged result came from (disclosure/site/bundles.py).  Per language:

* ``pagefind.<lang>_<13 hex>.pf_meta``: [version, pages [[fragment name, word count]...] by page
  number, index chunks [[from, to, name]...], filters [[filter, name]...], sorts
  [[key, [page numbers in order]]...], meta field names (sorted)].
* ``fragment/<name>.pf_fragment``: the page's JSON (url, content, word_count, filters, meta,
  anchors); its name is its own hash, so it is reused byte for byte.
* ``index/<name>.pf_index``: [[[word, [[page delta, locs, meta locs]...], [[form, pages]...]]...]]
  with page numbers delta-coded per word; locs are page-local (weight markers, position deltas);
  meta locs switch field with -(id+1), the id indexing the bundle's meta field list.
* ``filter/<name>.pf_filter``: [filter, [[value, [page numbers]]...]].

Pagefind stores no sort *values*, only each sort's page order, so reading needs ``sort_values``
to recover them from what a page does store (its filters); the recovered values are checked
against the stored order.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import re
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import deflate
import libipld

PAGEFIND_VERSION = "1.5.2"
INDEX_CHUNK_SIZE = 20000  # options.rs default_index_chunk_size: locations per index chunk
HEADER = b"pagefind_dcd"
DATA_DIRS = ("fragment", "index", "filter")
PAGE_TAG = "[0-9a-z]+"  # what write_bundle accepts as a page tag
TAG = re.compile(rf"_{PAGE_TAG}-(?=[0-9a-f]+$)")  # the tag of a fragment name: "zh-cn_<tag>-<hex>"

Posting = tuple[Sequence[int], Sequence[int]]  # (locs, meta locs) of one word on one page


class BundleFormatError(ValueError):
    """The folder is not a Pagefind 1.5.2 index this module understands."""


@dataclass(frozen=True, slots=True)
class IndexedPage:
    """Everything a Pagefind index holds about one page, none of it depending on other pages.

    ``filters`` and ``meta`` are read from the fragment (the filter index is checked against them).
    ``meta_locs`` field ids in ``words``/``variants`` index ``meta_fields`` (the page's own sorted
    metadata keys), not the bundle's list, so a page means the same in any bundle.
    """

    url: str
    language: str
    fragment: bytes  # the .pf_fragment file exactly as Pagefind wrote it (gzip of header + JSON)
    fragment_hash: str  # language + "_" + full hash of the JSON: the file name before shortening
    word_count: int
    filters: Mapping[str, Sequence[str]]
    meta: Mapping[str, str]
    meta_fields: tuple[str, ...]
    words: Mapping[str, Posting]
    variants: Mapping[tuple[str, str], Posting]  # (word, diacritic form) -> posting
    sorts: Mapping[str, str]  # sort key -> the value as written in data-pagefind-sort
    fragment_file: Path | None = field(default=None, compare=False)  # where ``fragment`` was read


# A page's sort values from its filters (each filter's values sorted): Pagefind keeps only the order.
SortValues = Callable[[Mapping[str, Sequence[str]]], Mapping[str, str]]


def read_bundle(path: Path, *, sort_values: SortValues | None = None) -> dict[str, IndexedPage]:
    """The pages of the Pagefind 1.5.2 index in ``path``, by URL; in page-number order where it
    has one language (``page_urls``).

    ``sort_values`` gives a page's sort values (Pagefind keeps only the order); it is required
    when the index has sorts, and must reproduce the stored order exactly.
    """
    languages = read_entry(path)["languages"]
    pages: dict[str, IndexedPage] = {}
    with no_gc():
        for language, info in sorted(languages.items()):
            try:
                language_pages = _read_language(path, language, info["hash"], sort_values)
            except BundleFormatError:
                raise
            except (KeyError, IndexError, TypeError, ValueError) as exc:  # a shape this reader does not know
                raise BundleFormatError(f"{path}: not a Pagefind {PAGEFIND_VERSION} index ({exc!r})") from exc
            for page in language_pages:
                if page.url in pages:
                    raise BundleFormatError(f"{path}: {page.url} indexed twice")
                pages[page.url] = page
    return pages


def read_entry(path: Path) -> dict[str, Any]:
    """The folder's pagefind-entry.json (version, languages, include_characters), checked to be
    Pagefind 1.5.2's: the index is read and written by that version's rules only."""
    try:
        entry: dict[str, Any] = json.loads((path / "pagefind-entry.json").read_bytes())
        version, languages = entry["version"], entry["languages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleFormatError(f"{path}: no readable pagefind-entry.json ({exc})") from exc
    if version != PAGEFIND_VERSION:
        raise BundleFormatError(f"{path}: Pagefind {version!r}, this reader knows {PAGEFIND_VERSION}")
    if not isinstance(languages, dict):
        raise BundleFormatError(f"{path}: pagefind-entry.json has no languages")
    return entry


def _read_language(
    path: Path, language: str, meta_name: str, sort_values: SortValues | None
) -> list[IndexedPage]:
    meta = load(path / f"pagefind.{meta_name}.pf_meta")
    if not (isinstance(meta, list) and len(meta) == 6 and meta[0] == PAGEFIND_VERSION):
        raise BundleFormatError(f"{path}: metadata is not Pagefind {PAGEFIND_VERSION}'s six fields")
    _, meta_pages, chunks, filters, sorts, meta_fields = meta
    bundle_fields = tuple(meta_fields)
    count = len(meta_pages)
    fragments: list[tuple[str, bytes, str, dict[str, Any]]] = []
    for name, word_count in meta_pages:
        raw, text = read_fragment(path, name)
        full = f"{language}_{pagefind_hash(text)}"
        data = json.loads(text)
        untagged = TAG.sub("_", name, count=1)
        if not full.startswith(untagged) or data["word_count"] != word_count:
            raise BundleFormatError(f"{path}: fragment {name} does not match its name or word count")
        fragments.append((name, raw, full, data))

    words: list[dict[str, Posting]] = [{} for _ in range(count)]
    variants: list[dict[tuple[str, str], Posting]] = [{} for _ in range(count)]
    for _from, _to, chunk_name in chunks:
        (chunk,) = load(path / "index" / f"{chunk_name}.pf_index")
        for word, word_pages, word_variants in chunk:
            number = 0
            for delta, locs, meta_locs in word_pages:
                number += delta
                words[number][word] = (locs, meta_locs)
            for form, form_pages in word_variants:
                number = 0
                for delta, locs, meta_locs in form_pages:
                    number += delta
                    variants[number][(word, form)] = (locs, meta_locs)

    stored_filters: dict[tuple[str, str], list[int]] = {}
    for filter_name, chunk_name in filters:
        name, values = load(path / "filter" / f"{chunk_name}.pf_filter")
        if name != filter_name:
            raise BundleFormatError(f"{path}: filter chunk {chunk_name} holds {name!r}, not {filter_name!r}")
        for value, numbers in values:
            stored_filters[(name, value)] = numbers

    pages = []
    from_fragments: dict[tuple[str, str], list[int]] = {}
    for number, (_name, raw, full, data) in enumerate(fragments):
        fields = tuple(sorted(data["meta"]))
        if fields != bundle_fields:  # re-base meta field ids from the bundle's list to the page's
            to_page = {-(bundle_fields.index(f) + 1): -(i + 1) for i, f in enumerate(fields)}
            words[number] = {w: (p[0], remap(p[1], to_page)) for w, p in words[number].items()}
            variants[number] = {w: (p[0], remap(p[1], to_page)) for w, p in variants[number].items()}
        for filter_name, values in data["filters"].items():
            for value in values:
                from_fragments.setdefault((filter_name, value), []).append(number)
        pages.append(
            IndexedPage(
                url=data["url"],
                language=language,
                fragment=raw,
                fragment_hash=full,
                word_count=data["word_count"],
                filters=data["filters"],
                meta=data["meta"],
                meta_fields=fields,
                words=words[number],
                variants=variants[number],
                sorts={},
                fragment_file=path / "fragment" / f"{fragments[number][0]}.pf_fragment",
            )
        )
    if from_fragments != stored_filters:
        raise BundleFormatError(f"{path}: filter index disagrees with the fragments' filters")
    if sorts:
        if sort_values is None:
            raise BundleFormatError(
                f"{path}: has sorts {[s[0] for s in sorts]}; pass sort_values to recover them"
            )
        pages = [replace(page, sorts=dict(sort_values(sorted_values(page.filters)))) for page in pages]
        if sort_orders([page.sorts for page in pages]) != [
            [key, list(order)] for key, order in sorted(sorts)
        ]:
            raise BundleFormatError(f"{path}: sort_values do not reproduce the stored sort order")
    return pages


_gc_lock = threading.Lock()
_gc_state = {"holders": 0, "was_enabled": False}


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC: decoding and building an index makes a million small lists (none
    cyclic), and the collections they trigger cost more than the work itself (3x measured).
    Counted, so that bundles read and written in parallel threads do not turn it back on early."""
    with _gc_lock:
        if _gc_state["holders"] == 0:
            _gc_state["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_state["holders"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["holders"] -= 1
            if _gc_state["holders"] == 0 and _gc_state["was_enabled"]:
                # The young generation now holds every object made meanwhile; the first collection
                # would walk them all (0.25 s a 3,000-page bundle).  freeze + unfreeze moves them
                # to the oldest generation in O(1), to be seen by the next full collection.
                gc.freeze()
                gc.unfreeze()
                gc.enable()


def remap(meta_locs: Sequence[int], ids: Mapping[int, int]) -> list[int]:
    return [ids[loc] if loc < 0 else loc for loc in meta_locs]


def sort_orders(pages: Sequence[Mapping[str, str]]) -> list[list[Any]]:
    """Pagefind's sorts (index/mod.rs build_indexes) of the pages' sort values, by page number:
    per key, numeric if every value parses as a number (compared as f32, total order), else by
    string; ties keep page order (stable sort)."""
    keys = sorted({key for sorts in pages for key in sorts})
    result: list[list[Any]] = []
    for key in keys:
        values = [(sorts[key], number) for number, sorts in enumerate(pages) if key in sorts]
        if all(_is_number(value) for value, _ in values):
            values.sort(key=lambda item: _f32_order(item[0]))
        else:
            values.sort(key=lambda item: item[0])
        result.append([key, [number for _, number in values]])
    return result


_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_MAYBE_NUMBER = re.compile(
    r"[+-]?((\.[0-9]+|[0-9]+\.[0-9]*)([eE][+-]?[0-9]*)?|[0-9]+[eE][+-]?|nan|inf|infinity)", re.IGNORECASE
)


def _is_number(value: str) -> bool:
    """Whether lexical_core parses ``value`` as i32 or f32; forms where this guess of its rules may
    be wrong ("1.", ".5", "inf", ...) are refused rather than risk a different order."""
    if _NUMBER.fullmatch(value):
        return True
    if _MAYBE_NUMBER.fullmatch(value):
        raise ValueError(f"sort value {value!r}: unclear whether Pagefind reads it as a number")
    return False


def _f32_order(value: str) -> int:
    """The value as Pagefind's f32 (round to nearest), as a key in f32::total_cmp order."""
    try:
        bits: int = struct.unpack("<i", struct.pack("<f", float(value)))[0]
    except OverflowError:
        bits = struct.unpack("<i", struct.pack("<f", float("inf") if float(value) > 0 else float("-inf")))[0]
    return bits ^ 0x7FFFFFFF if bits < 0 else bits


def pagefind_hash(data: bytes) -> str:
    """Pagefind's full_hash: SHA-1 bytes each formatted with {:x?}, i.e. hex without zero padding."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def sorted_values(filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    return {name: sorted(values) for name, values in filters.items()}


def unzip(raw: bytes, name: str) -> bytes:
    """libdeflate, which inflates a 10^5 site's index chunks in 0.14-0.18 s where zlib-ng took
    0.24 s (docs/benchmarks.md, session 29): an edit unzips every index chunk of its base."""
    try:
        data = deflate.gzip_decompress(raw)  # its size read from the stream's end
    except (deflate.DeflateError, ValueError) as exc:  # a corrupt stream; no gzip header at all
        raise BundleFormatError(f"{name}: not gzip ({exc})") from exc
    if not data.startswith(HEADER):
        raise BundleFormatError(f"{name}: not a Pagefind data file")
    return bytes(memoryview(data)[len(HEADER) :])


def read_fragment(bundle: Path, name: str) -> tuple[bytes, bytes]:
    """The fragment ``name`` of the index in ``bundle``: its file's bytes and its JSON."""
    raw = (bundle / "fragment" / f"{name}.pf_fragment").read_bytes()
    return raw, unzip(raw, name)


def read_data(path: Path) -> bytes:
    """A data file's CBOR (unzipped, without the header)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleFormatError(f"{path}: missing ({exc})") from exc
    return unzip(raw, str(path))


def load(path: Path) -> Any:
    data = read_data(path)
    try:
        return libipld.decode_dag_cbor(data)
    except ValueError as exc:
        raise BundleFormatError(f"{path}: not CBOR ({exc})") from exc


def page_urls(path: Path) -> list[str] | None:
    """The URLs of the index's pages by page number, read from their fragments; None unless it has
    one language.  A written bundle numbers its pages by URL; a Pagefind run in an order of its own."""
    languages = read_entry(path)["languages"]
    if len(languages) != 1:
        return None
    ((language, info),) = languages.items()
    urls = []
    try:
        for name, _word_count in load(path / f"pagefind.{info['hash']}.pf_meta")[1]:
            urls.append(json.loads(read_fragment(path, name)[1])["url"])
    except BundleFormatError:
        raise
    except (OSError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise BundleFormatError(f"{path}: not a Pagefind {PAGEFIND_VERSION} index ({exc!r})") from exc
    return urls
