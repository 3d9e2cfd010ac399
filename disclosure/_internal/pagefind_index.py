"""Read a Pagefind 1.5.2 index into pages, and write pages back as one canonical index.

Why: a weekly rebuild changes a few pages in every time-sliced bundle (disclosure/site/bundles.py).
Re-running Pagefind over every bundle costs minutes; instead Pagefind indexes only the new pages,
and each affected bundle is rebuilt here from its old pages and the new ones.  For that to give
the same site as a full build, *every* bundle, fresh or merged, goes through ``write_bundle``,
whose output depends only on the set of pages: Pagefind's own output does not (its page numbers
follow the directory walk, its filters and sorts come out in HashMap order, its short names
depend on which colliding page came first).

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
  anchors); its name is its own hash, so it is reused here byte for byte.
* ``index/<name>.pf_index``: [[[word, [[page delta, locs, meta locs]...], [[form, pages]...]]...]]
  with page numbers delta-coded per word; locs are page-local (weight markers, position deltas);
  meta locs switch field with -(id+1), the id indexing the bundle's meta field list.
* ``filter/<name>.pf_filter``: [filter, [[value, [page numbers]]...]].

Pagefind stores no sort *values*, only each sort's page order, so reading needs ``sort_values``
to recover them from what a page does store (its metadata); the recovered values are checked
against the stored order.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import json
import os
import re
import shutil
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cbor2

PAGEFIND_VERSION = "1.5.2"
INDEX_CHUNK_SIZE = 20000  # options.rs default_index_chunk_size: locations per index chunk
_HEADER = b"pagefind_dcd"
_DATA_DIRS = ("fragment", "index", "filter")
_PAGE_TAG = "[0-9a-z]+"  # what write_bundle accepts as a page tag
_TAG = re.compile(rf"_{_PAGE_TAG}-(?=[0-9a-f]+$)")  # the tag of a fragment name: "zh-cn_<tag>-<hex>"

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


SortValues = Callable[[IndexedPage], Mapping[str, str]]


def read_bundle(path: Path, *, sort_values: SortValues | None = None) -> dict[str, IndexedPage]:
    """The pages of the Pagefind 1.5.2 index in ``path``, by URL.

    ``sort_values`` gives a page's sort values (Pagefind keeps only the order); it is required
    when the index has sorts, and must reproduce the stored order exactly.
    """
    try:
        entry = json.loads((path / "pagefind-entry.json").read_bytes())
        version, languages = entry["version"], entry["languages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleFormatError(f"{path}: no readable pagefind-entry.json ({exc})") from exc
    if version != PAGEFIND_VERSION:
        raise BundleFormatError(f"{path}: Pagefind {version!r}, this reader knows {PAGEFIND_VERSION}")
    pages: dict[str, IndexedPage] = {}
    with _no_gc():
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


def _read_language(
    path: Path, language: str, meta_name: str, sort_values: SortValues | None
) -> list[IndexedPage]:
    meta = _load(path / f"pagefind.{meta_name}.pf_meta")
    if not (isinstance(meta, list) and len(meta) == 6 and meta[0] == PAGEFIND_VERSION):
        raise BundleFormatError(f"{path}: metadata is not Pagefind {PAGEFIND_VERSION}'s six fields")
    _, meta_pages, chunks, filters, sorts, meta_fields = meta
    bundle_fields = tuple(meta_fields)
    count = len(meta_pages)
    fragments: list[tuple[str, bytes, str, dict[str, Any]]] = []
    for name, word_count in meta_pages:
        raw = (path / "fragment" / f"{name}.pf_fragment").read_bytes()
        text = _unzip(raw, name)
        full = f"{language}_{_pagefind_hash(text)}"
        data = json.loads(text)
        untagged = _TAG.sub("_", name, count=1)
        if not full.startswith(untagged) or data["word_count"] != word_count:
            raise BundleFormatError(f"{path}: fragment {name} does not match its name or word count")
        fragments.append((name, raw, full, data))

    words: list[dict[str, Posting]] = [{} for _ in range(count)]
    variants: list[dict[tuple[str, str], Posting]] = [{} for _ in range(count)]
    for _from, _to, chunk_name in chunks:
        (chunk,) = _load(path / "index" / f"{chunk_name}.pf_index")
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
        name, values = _load(path / "filter" / f"{chunk_name}.pf_filter")
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
            words[number] = {w: (p[0], _remap(p[1], to_page)) for w, p in words[number].items()}
            variants[number] = {w: (p[0], _remap(p[1], to_page)) for w, p in variants[number].items()}
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
        pages = [replace(page, sorts=dict(sort_values(page))) for page in pages]
        if _sorts(pages) != [[key, list(order)] for key, order in sorted(sorts)]:
            raise BundleFormatError(f"{path}: sort_values do not reproduce the stored sort order")
    return pages


_gc_lock = threading.Lock()
_gc_state = {"holders": 0, "was_enabled": False}


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
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


def _remap(meta_locs: Sequence[int], ids: Mapping[int, int]) -> list[int]:
    return [ids[loc] if loc < 0 else loc for loc in meta_locs]


def write_bundle(
    pages: Iterable[IndexedPage],
    target: Path,
    *,
    runtime: Path,
    chunk_size: int | Callable[[str], int] = INDEX_CHUNK_SIZE,
    page_tag: str = "",
) -> None:
    """Write ``pages`` as a Pagefind 1.5.2 index into the new folder ``target``.

    Canonical: the same set of pages gives the same bytes, whatever bundles they came from.
    Page numbers follow the URL; words, filters, filter values and sort keys are sorted; sort ties
    go by page number (as Pagefind's stable sort); index chunks are cut as Pagefind cuts them;
    short names are lengthened on collision in that order.  ``runtime`` is any Pagefind 1.5.2
    output folder: pagefind.js, the worker, the wasm and the UI files are copied from it.
    ``chunk_size`` is Pagefind's PAGEFIND_UNSTABLE_INDEX_CHUNK_SIZE (tests use a small one), or
    a function of the word that may end a chunk: words that are only ever searched whole can go in
    smaller chunks, so a query loads less (a prefix search must not: Pagefind loads only the chunk
    where the prefix itself would be, docs/search.md fix 4).  ``page_tag`` (letters and digits)
    goes into every fragment name, and so into every search result's id.
    """
    if page_tag and not re.fullmatch(_PAGE_TAG, page_tag):
        raise ValueError(f"a page tag is lower-case letters and digits, not {page_tag!r}")
    entry = json.loads((runtime / "pagefind-entry.json").read_bytes())
    if entry.get("version") != PAGEFIND_VERSION:
        raise BundleFormatError(f"{runtime}: not a Pagefind {PAGEFIND_VERSION} runtime")
    by_language: dict[str, list[IndexedPage]] = {}
    for page in pages:
        by_language.setdefault(page.language, []).append(page)
    target.mkdir(parents=True)  # a fresh folder: stale fragments would otherwise be published
    for folder in _DATA_DIRS:
        (target / folder).mkdir()
    languages = {}
    for language, group in sorted(by_language.items()):
        group.sort(key=lambda page: page.url)
        if any(a.url == b.url for a, b in zip(group, group[1:], strict=False)):
            raise ValueError(f"{language}: the same URL given twice")
        wasm = language if (runtime / f"wasm.{language}.pagefind").exists() else None
        with _no_gc():
            meta_name = _write_language(group, language, target, chunk_size, page_tag)
        languages[language] = {"hash": meta_name, "wasm": wasm, "page_count": len(group)}
    for item in sorted(runtime.iterdir()):
        if item.name in _DATA_DIRS or item.name == "pagefind-entry.json" or item.suffix == ".pf_meta":
            continue
        if (
            item.name.startswith("wasm.")
            and item.name != "wasm.unknown.pagefind"
            and item.name[5:-9] not in languages
        ):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copyfile(item, target / item.name)
    # serde_json's compact form of output/entry.rs PagefindEntryMeta, field order as declared.
    text = json.dumps(
        {
            "version": PAGEFIND_VERSION,
            "languages": languages,
            "include_characters": entry["include_characters"],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    (target / "pagefind-entry.json").write_text(text, encoding="utf-8")


def _write_language(
    pages: list[IndexedPage],
    language: str,
    target: Path,
    chunk_size: int | Callable[[str], int],
    page_tag: str,
) -> str:
    """One language's fragments, word chunks, filter chunks and metadata; returns the metadata name."""
    floor = len(language) + 8  # "<lang>_" + 7 hex: Pagefind's &hash[0..=(language.len() + 7)]
    fragment_names: dict[str, str] = {}
    meta_pages = []
    for page in pages:
        name = _short(page.fragment_hash, floor, fragment_names)
        if page_tag:
            name = f"{language}_{page_tag}-{name[len(language) + 1 :]}"
        _create(target / "fragment" / f"{name}.pf_fragment", page.fragment, like=page.fragment_file)
        meta_pages.append([name, page.word_count])

    meta_fields = sorted({field for page in pages for field in page.meta_fields})
    # Per word: [last page number, locations so far, [[page delta, locs, meta locs]...]]; one dict
    # lookup a posting (this loop runs once per word per page).
    words: dict[str, list[Any]] = {}
    forms: dict[str, dict[str, list[Any]]] = {}  # word -> form -> the same, for diacritic variants
    filters: dict[str, dict[str, list[int]]] = {}
    for number, page in enumerate(pages):
        to_bundle = None
        if list(page.meta_fields) != meta_fields:
            to_bundle = {-(i + 1): -(meta_fields.index(f) + 1) for i, f in enumerate(page.meta_fields)}
        for word, (locs, meta_locs) in page.words.items():
            if to_bundle and meta_locs:
                meta_locs = _remap(meta_locs, to_bundle)
            state = words.get(word)
            if state is None:
                words[word] = [number, len(locs) + len(meta_locs) + 1, [[number, locs, meta_locs]]]
            else:
                state[2].append([number - state[0], locs, meta_locs])
                state[0] = number
                state[1] += len(locs) + len(meta_locs) + 1
        for (word, form), (locs, meta_locs) in page.variants.items():
            if to_bundle and meta_locs:
                meta_locs = _remap(meta_locs, to_bundle)
            state = forms.setdefault(word, {}).setdefault(form, [0, 0, []])
            state[2].append([number - state[0], locs, meta_locs])
            state[0] = number
        for filter_name, values in page.filters.items():
            for value in values:
                filters.setdefault(filter_name, {}).setdefault(value, []).append(number)

    # index/mod.rs chunk_index: words in order, a chunk ends once it holds >= chunk_size
    # locations (each page counts its locs + meta locs + 1; variants do not count).
    chunks: list[list[list[Any]]] = [[]]
    size = 0
    no_pages = [0, 0, []]
    for word in sorted(words.keys() | forms.keys()):
        state = words.get(word, no_pages)
        word_forms = forms.get(word, {})
        chunks[-1].append([word, state[2], [[form, word_forms[form][2]] for form in sorted(word_forms)]])
        size += state[1]
        if size >= (chunk_size(word) if callable(chunk_size) else chunk_size):
            chunks.append([])
            size = 0
    if not chunks[-1]:
        chunks.pop()
    index_names: dict[str, str] = {}
    meta_chunks = []
    for chunk in chunks:
        encoded = cbor2.dumps([chunk])
        name = _short(f"{language}_{_pagefind_hash(encoded)}", floor, index_names)
        _write(target / "index" / f"{name}.pf_index", encoded, level=7)
        meta_chunks.append([chunk[0][0], chunk[-1][0], name])
    for before, after in zip(meta_chunks, meta_chunks[1:], strict=False):  # chunk_meta
        to, start = _prefixes(before[1], after[0])
        if to >= before[0]:
            before[1] = to
        after[0] = start

    filter_names: dict[str, str] = {}
    meta_filters = []
    for filter_name in sorted(filters):
        by_value = filters[filter_name]
        encoded = cbor2.dumps([filter_name, [[value, by_value[value]] for value in sorted(by_value)]])
        name = _short(f"{language}_{_pagefind_hash(encoded)}", floor, filter_names)
        _write(target / "filter" / f"{name}.pf_filter", encoded)
        meta_filters.append([filter_name, name])

    meta = [PAGEFIND_VERSION, meta_pages, meta_chunks, meta_filters, _sorts(pages), meta_fields]
    encoded = cbor2.dumps(meta)
    name = f"{language}_{_pagefind_hash(encoded)[:floor]}"  # the meta name keeps language + 8 hex
    _write(target / f"pagefind.{name}.pf_meta", encoded)
    return name


def _sorts(pages: Sequence[IndexedPage]) -> list[list[Any]]:
    """Pagefind's sorts (index/mod.rs build_indexes): per key, numeric if every value parses as a
    number (compared as f32, total order), else by string; ties keep page order (stable sort)."""
    keys = sorted({key for page in pages for key in page.sorts})
    result: list[list[Any]] = []
    for key in keys:
        values = [(page.sorts[key], number) for number, page in enumerate(pages) if key in page.sorts]
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


def _prefixes(a: str, b: str) -> tuple[str, str]:
    """index/mod.rs get_prefixes: the shortest prefixes (in chars) that still tell a and b apart."""
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return a[: common + 1], b[: common + 1]


def _short(full: str, floor: int, taken: dict[str, str]) -> str:
    """Pagefind's short name: ``floor`` characters, one more while an earlier file holds it."""
    length = floor
    while full[:length] in taken and length < len(full):
        if taken[full[:length]] == full:
            raise ValueError(f"two files with the same content {full}")
        length += 1
    taken[full[:length]] = full
    return full[:length]


def _pagefind_hash(data: bytes) -> str:
    """Pagefind's full_hash: SHA-1 bytes each formatted with {:x?}, i.e. hex without zero padding."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def _write(path: Path, encoded: bytes, level: int = 9) -> None:
    """Pagefind gzips at flate2's best (miniz level 9).  zlib 9 on the metadata and filters (small,
    and the metadata is fetched whole by the first query); index chunks at zlib 7: as small as
    Pagefind's own (measured +0.07%), at a third of zlib 9's CPU (0.15 s against 0.45 s for 3,000 pages)."""
    _create(path, gzip.compress(_HEADER + encoded, compresslevel=level, mtime=0))


def _create(path: Path, data: bytes, *, like: Path | None = None) -> None:
    """A new file (never overwrite: a name is a content hash); os-level, 3x cheaper than Path's.

    ``like`` is a file known to hold ``data``: a hard link to it is cheaper still (a weekly build
    writes most fragments of a bundle again as they were) where it is on the same file system.
    """
    if like is not None:
        try:
            os.link(like, path)
            return
        except OSError:  # another file system (Pagefind's runs are in /dev/shm), or gone
            pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _unzip(raw: bytes, name: str) -> bytes:
    try:
        data = zlib.decompress(raw, wbits=31)
    except zlib.error as exc:
        raise BundleFormatError(f"{name}: not gzip ({exc})") from exc
    if not data.startswith(_HEADER):
        raise BundleFormatError(f"{name}: not a Pagefind data file")
    return data[len(_HEADER) :]


def _load(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleFormatError(f"{path}: missing ({exc})") from exc
    try:
        return cbor2.loads(_unzip(raw, str(path)))
    except cbor2.CBORDecodeError as exc:
        raise BundleFormatError(f"{path}: not CBOR ({exc})") from exc
