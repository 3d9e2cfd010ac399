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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
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


# A page's sort values from its filters (each filter's values sorted): Pagefind keeps only the order.
SortValues = Callable[[Mapping[str, Sequence[str]]], Mapping[str, str]]


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
        pages = [replace(page, sorts=dict(sort_values(_sorted_values(page.filters)))) for page in pages]
        if _sorts([page.sorts for page in pages]) != [[key, list(order)] for key, order in sorted(sorts)]:
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
    chunk_size: ChunkSize = INDEX_CHUNK_SIZE,
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
    _check_tag(page_tag)
    entry = _runtime_entry(runtime)
    by_language: dict[str, list[IndexedPage]] = {}
    for page in pages:
        by_language.setdefault(page.language, []).append(page)
    _make_folders(target)
    languages = {}
    for language, group in sorted(by_language.items()):
        group.sort(key=lambda page: page.url)
        if any(a.url == b.url for a, b in zip(group, group[1:], strict=False)):
            raise ValueError(f"{language}: the same URL given twice")
        with _no_gc():
            meta_name = _write_language(group, language, target, chunk_size, page_tag)
        languages[language] = _language_entry(runtime, language, meta_name, len(group))
    _finish(runtime, entry, languages, target)


def edit_bundle(
    source: Path,
    urls: Iterable[str],
    drop: Set[str],
    add: Sequence[IndexedPage],
    target: Path,
    *,
    runtime: Path,
    sort_values: SortValues,
    chunk_size: ChunkSize = INDEX_CHUNK_SIZE,
    page_tag: str = "",
) -> bool:
    """Write into the new folder ``target`` what ``write_bundle`` would write for the pages of the
    bundle in ``source`` but ``drop``, plus ``add``; False (nothing written) where it cannot.

    Why: a weekly build loses a few records from most bundles.  Reading a bundle into pages (every
    fragment unzipped, hashed and parsed, every posting filed under its page) and writing it back
    cost about 1 ms a page; here the index chunks are renumbered as they are, the kept fragments
    linked under their new names, and only ``add`` is read as pages.
    ``source`` must be a bundle ``write_bundle`` wrote (its page numbers follow the URL), ``urls``
    its pages' URLs, and ``sort_values`` the function its pages' sorts were recovered with.
    It cannot where short names would change (two pages whose names share a prefix: a few in 10^4
    bundles), where the pages' metadata fields would, or with more than one language: the caller
    then reads the bundle and writes it whole.
    """
    _check_tag(page_tag)
    source_entry = _runtime_entry(source)
    if len(source_entry["languages"]) != 1:
        return False
    ((language, info),) = source_entry["languages"].items()
    if any(page.language != language for page in add):
        return False
    meta = _load(source / f"pagefind.{info['hash']}.pf_meta")
    if not (isinstance(meta, list) and len(meta) == 6 and meta[0] == PAGEFIND_VERSION):
        raise BundleFormatError(f"{source}: metadata is not Pagefind {PAGEFIND_VERSION}'s six fields")
    _, old_pages, chunks, filters, sorts, meta_fields = meta
    old_urls = sorted(urls)
    if len(old_urls) != len(old_pages):
        raise BundleFormatError(f"{source}: holds {len(old_pages)} pages, not the {len(old_urls)} given")
    kept = [number for number, url in enumerate(old_urls) if url not in drop]
    new_urls = sorted([old_urls[number] for number in kept] + [page.url for page in add])
    if any(a == b for a, b in zip(new_urls, new_urls[1:], strict=False)):
        raise ValueError(f"{language}: the same URL given twice")
    floor = len(language) + 8
    untagged = [_TAG.sub("_", name, count=1) for name, _ in old_pages]
    added_names = [page.fragment_hash[:floor] for page in add]
    if any(len(untagged[number]) != floor for number in kept) or len(
        {untagged[number] for number in kept} | set(added_names)
    ) < len(kept) + len(add):
        return False  # a short name was or would be lengthened: only a whole write gets them right
    if not _same_fields(source, meta_fields, [old_pages[number][0] for number in kept], add):
        return False
    number_of = {url: number for number, url in enumerate(new_urls)}
    renumber = [-1] * len(old_urls)
    for number in kept:
        renumber[number] = number_of[old_urls[number]]

    _make_folders(target)
    with _no_gc():
        index = _Index(meta_fields=meta_fields, meta_pages=[[]] * len(new_urls))
        for number in kept:
            name = _tagged(untagged[number], language, page_tag)
            _link(
                source / "fragment" / f"{old_pages[number][0]}.pf_fragment",
                target / "fragment" / f"{name}.pf_fragment",
            )
            index.meta_pages[renumber[number]] = [name, old_pages[number][1]]
        for page, short in zip(add, added_names, strict=True):
            name = _tagged(short, language, page_tag)
            _create(target / "fragment" / f"{name}.pf_fragment", page.fragment, like=page.fragment_file)
            index.meta_pages[number_of[page.url]] = [name, page.word_count]
        added = _Index(meta_fields=meta_fields)
        for page in sorted(add, key=lambda page: number_of[page.url]):
            added.add(number_of[page.url], page)
        for _from, _to, chunk_name in chunks:
            (chunk,) = _load(source / "index" / f"{chunk_name}.pf_index")
            for word, postings, variants in chunk:
                state = _renumbered(postings, renumber, added.words.pop(word, None))
                if state is not None:
                    index.words[word] = state
                for form, form_postings in variants:
                    extra = added.forms.get(word, {}).pop(form, None)
                    state = _renumbered(form_postings, renumber, extra)
                    if state is not None:
                        index.forms.setdefault(word, {})[form] = state
        for word, state in added.words.items():  # words no kept page has
            index.words[word] = state
        for word, word_forms in added.forms.items():
            for form, state in word_forms.items():
                index.forms.setdefault(word, {})[form] = state
        page_filters: list[dict[str, list[str]]] = [{} for _ in old_urls]
        for filter_name, chunk_name in filters:
            name, values = _load(source / "filter" / f"{chunk_name}.pf_filter")
            if name != filter_name:
                raise BundleFormatError(
                    f"{source}: filter chunk {chunk_name} holds {name!r}, not {filter_name!r}"
                )
            for value, numbers in values:
                for number in numbers:
                    page_filters[number].setdefault(name, []).append(value)
                renumbered = [renumber[number] for number in numbers if renumber[number] >= 0]
                renumbered += added.filters.get(name, {}).pop(value, [])
                if renumbered:
                    index.filters.setdefault(name, {})[value] = sorted(renumbered)
        for name, by_value in added.filters.items():
            for value, numbers in by_value.items():
                index.filters.setdefault(name, {})[value] = numbers
        old_sorts = [dict(sort_values(page)) for page in page_filters]
        if _sorts(old_sorts) != [[key, list(order)] for key, order in sorted(sorts)]:
            raise BundleFormatError(f"{source}: sort_values do not reproduce the stored sort order")
        new_sorts: list[Mapping[str, str]] = [{}] * len(new_urls)
        for number in kept:
            new_sorts[renumber[number]] = old_sorts[number]
        for page in add:
            new_sorts[number_of[page.url]] = page.sorts
        index.sorts = _sorts(new_sorts)
        meta_name = _emit(index, language, target, chunk_size)
    languages = {language: _language_entry(runtime, language, meta_name, len(new_urls))}
    _finish(runtime, _runtime_entry(runtime), languages, target)
    return True


ChunkSize = int | Callable[[str], int]


@dataclass
class _Index:
    """One language's index before encoding: what ``_emit`` writes, bar the files' names.

    ``words`` maps a word to [last page number, locations, [[page delta, locs, meta locs]...]]
    (one dict lookup a posting); ``forms`` the same per diacritic form (locations not counted).
    """

    meta_fields: list[str]
    meta_pages: list[list[Any]] = field(default_factory=list)  # [fragment name, word count] by number
    words: dict[str, list[Any]] = field(default_factory=dict)
    forms: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    filters: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    sorts: list[list[Any]] = field(default_factory=list)

    def add(self, number: int, page: IndexedPage) -> None:
        """File the page's postings and filters under ``number``, above any number filed before."""
        to_bundle = None
        if list(page.meta_fields) != self.meta_fields:
            to_bundle = {-(i + 1): -(self.meta_fields.index(f) + 1) for i, f in enumerate(page.meta_fields)}
        words = self.words
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
            state = self.forms.setdefault(word, {}).setdefault(form, [0, 0, []])
            state[2].append([number - state[0], locs, meta_locs])
            state[0] = number
        for filter_name, values in page.filters.items():
            for value in values:
                self.filters.setdefault(filter_name, {}).setdefault(value, []).append(number)


def _renumbered(postings: list[list[Any]], renumber: list[int], extra: list[Any] | None) -> list[Any] | None:
    """A word's postings, delta-coded, with its pages renumbered (dropped pages left out) and merged
    with ``extra``'s (a state of ``_Index.words``): the word's state, or None if it has no page left.

    Without ``extra`` (most words) the postings are renumbered in place, in one pass."""
    if extra is not None:
        found = []
        number = 0
        for delta, locs, meta_locs in postings:
            number += delta
            if renumber[number] >= 0:
                found.append([renumber[number], locs, meta_locs])
        number = 0
        for delta, locs, meta_locs in extra[2]:
            number += delta
            found.append([number, locs, meta_locs])
        found.sort(key=lambda posting: posting[0])
        postings, renumber = found, list(range(found[-1][0] + 1))  # absolute numbers: delta-code them
        for posting, before in zip(reversed(postings[1:]), reversed(postings[:-1]), strict=True):
            posting[0] -= before[0]
    last = count = number = 0
    kept = []
    for posting in postings:
        number += posting[0]
        new = renumber[number]
        if new >= 0:
            posting[0] = new - last
            last = new
            count += len(posting[1]) + len(posting[2]) + 1
            kept.append(posting)
    return [last, count, kept] if kept else None


def _same_fields(source: Path, fields: list[str], kept: list[str], add: Sequence[IndexedPage]) -> bool:
    """Whether the kept and added pages' metadata fields are the bundle's ``fields`` (so that no
    field id changes).  The added pages say theirs; a kept page's is in its fragment, read until
    every field is seen (the first page, where every page has the same fields)."""
    if any(not set(page.meta_fields) <= set(fields) for page in add):
        return False
    seen = {name for page in add for name in page.meta_fields}
    for name in kept:
        if seen >= set(fields):
            break
        raw = (source / "fragment" / f"{name}.pf_fragment").read_bytes()
        seen.update(json.loads(_unzip(raw, name))["meta"])
    return seen >= set(fields)


def _check_tag(page_tag: str) -> None:
    if page_tag and not re.fullmatch(_PAGE_TAG, page_tag):
        raise ValueError(f"a page tag is lower-case letters and digits, not {page_tag!r}")


def _tagged(name: str, language: str, page_tag: str) -> str:
    """A fragment's short name ``<lang>_<hex>`` with the page tag: ``<lang>_<tag>-<hex>``."""
    return f"{language}_{page_tag}-{name[len(language) + 1 :]}" if page_tag else name


def _runtime_entry(runtime: Path) -> dict[str, Any]:
    try:
        entry: dict[str, Any] = json.loads((runtime / "pagefind-entry.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise BundleFormatError(f"{runtime}: no readable pagefind-entry.json ({exc})") from exc
    if entry.get("version") != PAGEFIND_VERSION:
        raise BundleFormatError(f"{runtime}: not a Pagefind {PAGEFIND_VERSION} runtime")
    return entry


def _make_folders(target: Path) -> None:
    target.mkdir(parents=True)  # a fresh folder: stale fragments would otherwise be published
    for folder in _DATA_DIRS:
        (target / folder).mkdir()


def _language_entry(runtime: Path, language: str, meta_name: str, count: int) -> dict[str, Any]:
    wasm = language if (runtime / f"wasm.{language}.pagefind").exists() else None
    return {"hash": meta_name, "wasm": wasm, "page_count": count}


def _finish(runtime: Path, entry: dict[str, Any], languages: dict[str, Any], target: Path) -> None:
    """Copy the runtime's scripts and the wasm of ``languages``; write pagefind-entry.json."""
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
    chunk_size: ChunkSize,
    page_tag: str,
) -> str:
    """One language's fragments, word chunks, filter chunks and metadata; returns the metadata name."""
    floor = len(language) + 8  # "<lang>_" + 7 hex: Pagefind's &hash[0..=(language.len() + 7)]
    fragment_names: dict[str, str] = {}
    index = _Index(meta_fields=sorted({field for page in pages for field in page.meta_fields}))
    for page in pages:
        name = _tagged(_short(page.fragment_hash, floor, fragment_names), language, page_tag)
        _create(target / "fragment" / f"{name}.pf_fragment", page.fragment, like=page.fragment_file)
        index.meta_pages.append([name, page.word_count])
    for number, page in enumerate(pages):
        index.add(number, page)
    index.sorts = _sorts([page.sorts for page in pages])
    return _emit(index, language, target, chunk_size)


def _emit(index: _Index, language: str, target: Path, chunk_size: ChunkSize) -> str:
    """Encode and write the index chunks, filter chunks and metadata; returns the metadata name."""
    floor = len(language) + 8
    # index/mod.rs chunk_index: words in order, a chunk ends once it holds >= chunk_size
    # locations (each page counts its locs + meta locs + 1; variants do not count).
    chunks: list[list[list[Any]]] = [[]]
    size = 0
    no_pages = [0, 0, []]
    words, forms = index.words, index.forms
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
    for filter_name in sorted(index.filters):
        by_value = index.filters[filter_name]
        encoded = cbor2.dumps([filter_name, [[value, by_value[value]] for value in sorted(by_value)]])
        name = _short(f"{language}_{_pagefind_hash(encoded)}", floor, filter_names)
        _write(target / "filter" / f"{name}.pf_filter", encoded)
        meta_filters.append([filter_name, name])

    meta = [PAGEFIND_VERSION, index.meta_pages, meta_chunks, meta_filters, index.sorts, index.meta_fields]
    encoded = cbor2.dumps(meta)
    name = f"{language}_{_pagefind_hash(encoded)[:floor]}"  # the meta name keeps language + 8 hex
    _write(target / f"pagefind.{name}.pf_meta", encoded)
    return name


def _sorts(pages: Sequence[Mapping[str, str]]) -> list[list[Any]]:
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


def _link(existing: Path, path: Path) -> None:
    """``path`` as another name of ``existing`` (a copy across file systems)."""
    try:
        os.link(existing, path)
    except OSError:
        shutil.copyfile(existing, path)


def _sorted_values(filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    return {name: sorted(values) for name, values in filters.items()}


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
