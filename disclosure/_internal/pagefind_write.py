"""Write pages as one canonical Pagefind 1.5.2 index, or edit a canonical index into another.

For an incremental build to give the same site as a full one, *every* bundle, fresh or merged,
is written here, and its bytes depend only on the set of pages: Pagefind's own output does not
(its page numbers come in an order of its own, not the URL's, its filters and sorts in HashMap
order, its short names depend on which colliding page came first).  ``edit_bundle`` gives the
same bytes as ``write_bundle`` from a canonical bundle, a few pages dropped and added, at half
the cost, and carves a bundle out of a Pagefind run the same way.  The
format is described in ``pagefind_index``.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import deflate
import libipld
import numpy
from numpy.typing import NDArray

from disclosure._internal.pagefind_index import (
    DATA_DIRS,
    HEADER,
    INDEX_CHUNK_SIZE,
    PAGE_TAG,
    PAGEFIND_VERSION,
    TAG,
    BundleFormatError,
    IndexedPage,
    SortValues,
    load,
    no_gc,
    pagefind_hash,
    read_data,
    read_entry,
    read_fragment,
    remap,
    sort_orders,
)
from disclosure._internal.pagefind_postings import (
    COUNT,
    ENTRY_END,
    ENTRY_START,
    FIRST,
    HAS_FORMS,
    KEPT,
    MERGED,
    OUT_END,
    OUT_START,
    TEXT_END,
    TEXT_START,
    ChunkFormatError,
    WordSpans,
    array_head,
    chunk_ends,
    first_character,
    renumber_chunk,
    word_hashes,
)
from disclosure._internal.tree import write_all

# libdeflate's level for index chunks: gzip is the largest single cost of editing a bundle (about
# a fifth).  On the 6,909 chunks of a 10^5 site (102 MB of CBOR), level 5 took 0.86 s for 35.87 MB,
# level 6 1.09 s for 35.68 MB, level 9 3.05 s for 35.36 MB; zlib-ng's level 6, used until session
# 29, 1.39 s for 36.66 MB (docs/benchmarks.md, session 29).  A query loads a few index chunks, so
# half a percent of them is a few hundred bytes.
INDEX_CHUNK_LEVEL = 5
# libdeflate's level for the metadata, which the first query fetches whole from each bundle it
# merges, and for the filters: on the 263 bundles of a 10^5 site, level 9 gives 1.029 MB of
# metadata in 0.04 s (level 12 1.016 MB in 0.20 s; zlib-ng's level 6 gave 1.032 MB), and 1.020 MB of
# filters in 0.014 s (zlib-ng's level 9, 1.027 MB in 0.04 s).
META_LEVEL = 9


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
    a function of the first character of the word that may end a chunk (given that character
    alone, "" for an empty word): words that are only ever searched whole can go in
    smaller chunks, so a query loads less (a prefix search must not: Pagefind loads only the chunk
    where the prefix itself would be, docs/search.md fix 4).  ``page_tag`` (letters and digits)
    goes into every fragment name, and so into every search result's id.
    """
    _check_tag(page_tag)
    entry = read_entry(runtime)
    by_language: dict[str, list[IndexedPage]] = {}
    for page in pages:
        by_language.setdefault(page.language, []).append(page)
    _make_folders(target)
    languages = {}
    for language, group in sorted(by_language.items()):
        group.sort(key=lambda page: page.url)
        if any(a.url == b.url for a, b in zip(group, group[1:], strict=False)):
            raise ValueError(f"{language}: the same URL given twice")
        with no_gc():
            meta_name = _write_language(group, language, target, chunk_size, page_tag)
        languages[language] = _language_entry(runtime, language, meta_name, len(group))
    _finish(runtime, entry, languages, target)


def edit_bundle(
    source: Path,
    urls: Sequence[str],
    drop: Set[str],
    add: Sequence[IndexedPage],
    target: Path,
    *,
    runtime: Path,
    sort_values: SortValues,
    chunk_size: ChunkSize = INDEX_CHUNK_SIZE,
    page_tag: str = "",
    trash: Path | None = None,
) -> bool:
    """Write into ``target`` what ``write_bundle`` would write for the pages of the bundle in
    ``source`` but ``drop``, plus ``add``; False (nothing written) where it cannot.  ``target`` is a
    new folder, or one holding an earlier version of the bundle (a spare's): the fragments there
    that are the ones wanted (the same file as the kept page's in ``source``) and the runtime's
    files stay, everything else there is removed, and no file there is ever written into (the
    spare shares its files with the site being served).  ``trash``, a new folder's name on the
    same file system, takes ``target``'s old index chunks and filters in one move each, for the
    caller to delete later (``_clear_for_edit``).

    Why: a weekly build loses a few records from most bundles.  Reading a bundle into pages (every
    fragment unzipped, hashed and parsed, every posting filed under its page) and writing it back
    cost about 1 ms a page; here the index chunks are renumbered in their bytes
    (``pagefind_postings``: only words that gain postings or have diacritic forms are decoded),
    the kept fragments linked under their new names, and only ``add`` is read as pages.
    ``source`` is a bundle ``write_bundle`` wrote, or a Pagefind run: a full build carves each
    bundle out of the run that indexed it, dropping the run's other pages.  ``urls`` are its pages'
    URLs by page number (a written bundle numbers them by URL, a run in an order of its own:
    ``page_urls``), and ``sort_values`` the function its pages' sorts are recovered with.
    It cannot where short names would change (two pages whose names share a prefix: a few in 10^4
    bundles), where the pages' metadata fields would, or with more than one language: the caller
    then reads the bundle and writes it whole.
    """
    _check_tag(page_tag)
    source_entry = read_entry(source)
    if len(source_entry["languages"]) != 1:
        return False
    ((language, info),) = source_entry["languages"].items()
    if any(page.language != language for page in add):
        return False
    meta = load(source / f"pagefind.{info['hash']}.pf_meta")
    if not (isinstance(meta, list) and len(meta) == 6 and meta[0] == PAGEFIND_VERSION):
        raise BundleFormatError(f"{source}: metadata is not Pagefind {PAGEFIND_VERSION}'s six fields")
    _, old_pages, chunks, filters, sorts, meta_fields = meta
    old_urls = list(urls)
    if len(old_urls) != len(old_pages):
        raise BundleFormatError(f"{source}: holds {len(old_pages)} pages, not the {len(old_urls)} given")
    kept = [number for number, url in enumerate(old_urls) if url not in drop]
    new_urls = sorted([old_urls[number] for number in kept] + [page.url for page in add])
    if any(a == b for a, b in zip(new_urls, new_urls[1:], strict=False)):
        raise ValueError(f"{language}: the same URL given twice")
    floor = len(language) + 8
    untagged = [TAG.sub("_", name, count=1) for name, _ in old_pages]
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

    with no_gc():
        index = _Index(meta_fields=meta_fields, meta_pages=[[]] * len(new_urls))
        added = _Index(meta_fields=meta_fields)
        for page in sorted(add, key=lambda page: number_of[page.url]):
            added.add(number_of[page.url], page)
        # Filters first: the pages' sort values come from them, checked before anything is written.
        page_filters: list[dict[str, list[str]]] = [{} for _ in old_urls]
        for filter_name, chunk_name in filters:
            name, values = load(source / "filter" / f"{chunk_name}.pf_filter")
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
        if sort_orders(old_sorts) != [[key, list(order)] for key, order in sorted(sorts)]:
            raise BundleFormatError(f"{source}: sort_values do not reproduce the stored sort order")
        new_sorts: list[Mapping[str, str]] = [{}] * len(new_urls)
        for number in kept:
            new_sorts[renumber[number]] = old_sorts[number]
        for page in add:
            new_sorts[number_of[page.url]] = page.sorts
        index.sorts = sort_orders(new_sorts)

        present = _clear_for_edit(target, runtime, language, trash)  # its fragments: name -> inode
        # Plain strings: a weekly build places some 80,000 fragments, and two Path joins a link
        # cost about a second of CPU.
        old_fragments, new_fragments = f"{source}/fragment", f"{target}/fragment"
        inodes = _inodes(old_fragments) if present else {}
        for number in kept:
            name = _tagged(untagged[number], language, page_tag)
            old_name, new_name = f"{old_pages[number][0]}.pf_fragment", f"{name}.pf_fragment"
            index.meta_pages[renumber[number]] = [name, old_pages[number][1]]
            there = present.pop(new_name, None)
            if there is not None:
                if there == inodes.get(old_name):
                    continue  # the page's own file: a page keeps its name while it stays in the bundle
                os.unlink(f"{new_fragments}/{new_name}")
            _link(f"{old_fragments}/{old_name}", f"{new_fragments}/{new_name}")
        for page, short in zip(add, added_names, strict=True):
            name = _tagged(short, language, page_tag)
            if present.pop(f"{name}.pf_fragment", None) is not None:
                os.unlink(f"{new_fragments}/{name}.pf_fragment")
            _create(target / "fragment" / f"{name}.pf_fragment", page.fragment, like=page.fragment_file)
            index.meta_pages[number_of[page.url]] = [name, page.word_count]
        for gone in present:  # pages dropped since that version
            os.unlink(f"{new_fragments}/{gone}")
        renumber_array = numpy.array(renumber, dtype=numpy.int64)
        merging = word_hashes(added.words.keys() | added.forms.keys())
        as_is = _KeptWords()  # the kept words that gain no postings and have no forms
        for _from, _to, chunk_name in chunks:
            data = read_data(source / "index" / f"{chunk_name}.pf_index")
            try:
                spans = renumber_chunk(data, renumber_array, merging)
                as_is.add(data, spans)
            except ChunkFormatError as exc:
                raise BundleFormatError(f"{source}: index chunk {chunk_name}: {exc}") from exc
            rows = spans.rows
            for row in rows[(rows[:, HAS_FORMS] != 0) | (rows[:, MERGED] != 0)].tolist():
                word = data[row[TEXT_START] : row[TEXT_END]].decode()
                _, postings, variants = libipld.decode_dag_cbor(data[row[ENTRY_START] : row[ENTRY_END]])
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
        meta_name = _emit(index, as_is, _entries(index), language, target, chunk_size)
    languages = {language: _language_entry(runtime, language, meta_name, len(new_urls))}
    _finish(runtime, read_entry(runtime), languages, target)
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
                meta_locs = remap(meta_locs, to_bundle)
            state = words.get(word)
            if state is None:
                words[word] = [number, len(locs) + len(meta_locs) + 1, [[number, locs, meta_locs]]]
            else:
                state[2].append([number - state[0], locs, meta_locs])
                state[0] = number
                state[1] += len(locs) + len(meta_locs) + 1
        for (word, form), (locs, meta_locs) in page.variants.items():
            if to_bundle and meta_locs:
                meta_locs = remap(meta_locs, to_bundle)
            state = self.forms.setdefault(word, {}).setdefault(form, [0, 0, []])
            state[2].append([number - state[0], locs, meta_locs])
            state[0] = number
        for filter_name, values in page.filters.items():
            for value in values:
                self.filters.setdefault(filter_name, {}).setdefault(value, []).append(number)


def _renumbered(postings: list[list[Any]], renumber: list[int], extra: list[Any] | None) -> list[Any] | None:
    """A word's postings, delta-coded, with its pages renumbered (dropped pages left out) and merged
    with ``extra``'s (a state of ``_Index.words``): the word's state, or None if it has no page left."""
    found = []
    number = 0
    for delta, locs, meta_locs in postings:
        number += delta
        if renumber[number] >= 0:
            found.append([renumber[number], locs, meta_locs])
    if extra is not None:
        number = 0
        for delta, locs, meta_locs in extra[2]:
            number += delta
            found.append([number, locs, meta_locs])
    if not found:
        return None
    found.sort(key=itemgetter(0))  # by new number: a run's pages are not in URL order
    last = count = 0
    for posting in found:
        posting[0], last = posting[0] - last, posting[0]
        count += len(posting[1]) + len(posting[2]) + 1
    return [last, count, found]


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
        seen.update(json.loads(read_fragment(source, name)[1])["meta"])
    return seen >= set(fields)


def _check_tag(page_tag: str) -> None:
    if page_tag and not re.fullmatch(PAGE_TAG, page_tag):
        raise ValueError(f"a page tag is lower-case letters and digits, not {page_tag!r}")


def _tagged(name: str, language: str, page_tag: str) -> str:
    """A fragment's short name ``<lang>_<hex>`` with the page tag: ``<lang>_<tag>-<hex>``."""
    return f"{language}_{page_tag}-{name[len(language) + 1 :]}" if page_tag else name


def _make_folders(target: Path) -> None:
    target.mkdir(parents=True)  # a fresh folder: stale fragments would otherwise be published
    for folder in DATA_DIRS:
        (target / folder).mkdir()


def _clear_for_edit(target: Path, runtime: Path, language: str, trash: Path | None = None) -> dict[str, int]:
    """Make ``target`` ready for an edit: a new folder, or an earlier version of the bundle emptied
    of all but its fragments and the runtime's files (``_finish`` links the others); returns the
    fragments there, name -> inode.  Its index and filter folders are moved into ``trash`` when
    given (which must not exist yet), else emptied.

    Why keep the fragments: a weekly build edits some 200 of 260 bundles at 10^5 records, each
    losing or gaining a few pages; linking each bundle's every fragment into a new folder (some
    80,000) took about 1 s of the writers' system CPU, and deleting the old folders as many unlinks
    after the swap.  Why move the rest: the same build unlinked some 8,000 old index chunks and
    filters there, 150 microseconds each, 1.2 s of the writers' CPU (docs/benchmarks.md, session 29).
    """
    if not target.is_dir():
        _make_folders(target)
        return {}
    wanted = {item.name: os.stat(item).st_ino for item in _runtime_files(runtime, {language})}
    for entry in os.scandir(target):
        if entry.name in DATA_DIRS and entry.is_dir(follow_symlinks=False):
            continue
        if wanted.get(entry.name) == entry.inode() and entry.is_file(follow_symlinks=False):
            continue
        _remove(entry)
    if trash is not None:
        trash.mkdir()
        for folder in ("index", "filter"):
            if (target / folder).is_dir():
                os.rename(target / folder, trash / folder)
    for folder in DATA_DIRS:
        (target / folder).mkdir(exist_ok=True)
    for folder in ("index", "filter"):  # named by their content, which an edit changes
        for entry in os.scandir(target / folder):
            _remove(entry)
    fragments = {}
    for entry in os.scandir(target / "fragment"):
        if entry.is_file(follow_symlinks=False):
            fragments[entry.name] = entry.inode()
        else:
            _remove(entry)
    return fragments


def _inodes(folder: str) -> dict[str, int]:
    """The folder's entries, name -> inode, as its listing gives them (no stat)."""
    return {entry.name: entry.inode() for entry in os.scandir(folder)}


def _remove(entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)


def _language_entry(runtime: Path, language: str, meta_name: str, count: int) -> dict[str, Any]:
    wasm = language if (runtime / f"wasm.{language}.pagefind").exists() else None
    return {"hash": meta_name, "wasm": wasm, "page_count": count}


def _runtime_files(runtime: Path, languages: Set[str]) -> list[Path]:
    """What a bundle of ``languages`` takes from the runtime: its scripts, styles, and wasm."""
    return [
        item
        for item in sorted(runtime.iterdir())
        if not (item.name in DATA_DIRS or item.name == "pagefind-entry.json" or item.suffix == ".pf_meta")
        and not (
            item.name.startswith("wasm.")
            and item.name != "wasm.unknown.pagefind"
            and item.name[5:-9] not in languages
        )
    ]


def _finish(runtime: Path, entry: dict[str, Any], languages: dict[str, Any], target: Path) -> None:
    """Link (or copy) the runtime's scripts and the wasm of ``languages`` where ``target`` does not
    have them yet (an edit keeps them); write pagefind-entry.json."""
    for item in _runtime_files(runtime, languages.keys()):
        if (target / item.name).exists():
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:  # linked where it can be: 600 KB a bundle, some 200 bundles a weekly build
            _link(item, target / item.name)
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
    index.sorts = sort_orders([page.sorts for page in pages])
    return _emit(index, _KeptWords(), _entries(index), language, target, chunk_size)


Entry = tuple[str, int, bytes]  # a word, its locations (to cut chunks), its DAG-CBOR [word, postings, forms]


def _entries(index: _Index) -> list[Entry]:
    """The index's words in order, each entry encoded."""
    no_pages = [0, 0, []]
    words, forms = index.words, index.forms
    entries = []
    # Once a word per page of every bundle written.  Chinese text has no diacritic forms, so most
    # bundles have none and skip their look-ups.
    for word in sorted(words.keys() | forms.keys()) if forms else sorted(words):
        state = words.get(word, no_pages)
        word_forms = forms.get(word) if forms else None
        variants = [[form, word_forms[form][2]] for form in sorted(word_forms)] if word_forms else []
        entries.append((word, state[1], libipld.encode_dag_cbor([word, state[2], variants])))
    return entries


class _KeptWords:
    """The words an edit keeps as they are, in word order: chunk after chunk of its base, each
    with its renumbered entries back to back (``renumber_chunk``).

    Why not a list of words: a weekly build's edits keep some 1.5 million words, and a tuple and a
    decoded string for each, sorted and walked in Python, cost its writers some 2 s of CPU in 13-17
    (docs/benchmarks.md, session 21).  Here a word is decoded only where ``_emit`` looks for a
    place, or a chunk begins or ends."""

    def __init__(self) -> None:
        self.chunks: list[tuple[bytes, bytes, NDArray[numpy.int64]]] = []  # data, entries, rows
        self.texts: list[tuple[list[int], list[int]]] = []  # each chunk's words: starts, ends
        self.starts: list[int] = [0]  # where each chunk's words start among all, and the end

    def add(self, data: bytes, spans: WordSpans) -> None:
        rows = spans.rows
        rows = rows[(rows[:, KEPT] > 0) & (rows[:, HAS_FORMS] == 0) & (rows[:, MERGED] == 0)]
        if not len(rows):
            return
        starts, ends = rows[:, TEXT_START].tolist(), rows[:, TEXT_END].tolist()
        if self.chunks and not self.word(len(self) - 1) < data[starts[0] : ends[0]].decode():
            raise ChunkFormatError("its words are not after the chunk's before it")
        self.chunks.append((data, spans.encoded, rows))
        self.texts.append((starts, ends))
        self.starts.append(self.starts[-1] + len(rows))

    def __len__(self) -> int:
        return self.starts[-1]

    def word(self, number: int) -> str:
        chunk = bisect.bisect_right(self.starts, number) - 1
        starts, ends = self.texts[chunk]
        at = number - self.starts[chunk]
        return self.chunks[chunk][0][starts[at] : ends[at]].decode()

    def counts(self) -> NDArray[numpy.int64]:
        return numpy.concatenate([rows[:, COUNT] for _, _, rows in self.chunks] or [_NO_NUMBERS])

    def limits(self, chunk_size: Callable[[str], int]) -> NDArray[numpy.int64]:
        """``chunk_size`` of each word's first character, worked out once a character."""
        first = numpy.concatenate([rows[:, FIRST] for _, _, rows in self.chunks] or [_NO_NUMBERS])
        characters, where = numpy.unique(first, return_inverse=True)
        sizes = [chunk_size(first_character(packed)) for packed in characters.tolist()]
        return numpy.array(sizes, dtype=numpy.int64)[where]

    def entries(self, start: int, stop: int) -> Iterable[bytes]:
        """The renumbered entries of words ``start`` to ``stop``: a slice of each chunk's."""
        while start < stop:
            chunk = bisect.bisect_right(self.starts, start) - 1
            _, encoded, rows = self.chunks[chunk]
            end = min(stop, self.starts[chunk + 1])
            offset = self.starts[chunk]
            yield encoded[rows[start - offset, OUT_START] : rows[end - 1 - offset, OUT_END]]
            start = end


_NO_NUMBERS = numpy.zeros(0, dtype=numpy.int64)


def _emit(
    index: _Index, kept: _KeptWords, entries: list[Entry], language: str, target: Path, chunk_size: ChunkSize
) -> str:
    """Write the index chunks of the words ``kept`` as they are and of ``entries`` (in word order,
    none of them a kept word), the filter chunks and metadata; returns the metadata name."""
    floor = len(language) + 8
    # The words in order: the kept ones, with each entry put in its place (found by bisection).
    places, place = [], 0
    for word, _, _ in entries:
        place = bisect.bisect_left(range(len(kept)), word, lo=place, key=kept.word)
        places.append(place)
    at = numpy.array(places, dtype=numpy.int64) + numpy.arange(len(entries), dtype=numpy.int64)
    total = len(kept) + len(entries)
    is_entry = numpy.zeros(total, dtype=bool)
    is_entry[at] = True
    counts = numpy.empty(total, dtype=numpy.int64)
    counts[at] = [count for _, count, _ in entries]
    counts[~is_entry] = kept.counts()
    if callable(chunk_size):
        limits = numpy.empty(total, dtype=numpy.int64)
        limits[at] = [chunk_size(word[:1]) for word, _, _ in entries]
        limits[~is_entry] = kept.limits(chunk_size)
    else:
        limits = numpy.full(total, chunk_size, dtype=numpy.int64)
    # index/mod.rs chunk_index: words in order, a chunk ends once it holds >= its limit of
    # locations (each page counts its locs + meta locs + 1; variants do not count).
    ends = chunk_ends(counts, limits).tolist()
    at_list = at.tolist()

    def word_at(position: int) -> str:
        before = bisect.bisect_left(at_list, position)  # entries before it
        if before < len(at_list) and at_list[before] == position:
            return entries[before][0]
        return kept.word(position - before)

    index_names: dict[str, str] = {}
    meta_chunks = []
    start = 0
    for end in ends:
        pieces: list[bytes] = []
        position, entry = start, bisect.bisect_left(at_list, start)
        while position < end:
            if entry < len(at_list) and at_list[entry] == position:
                pieces.append(entries[entry][2])
                position, entry = position + 1, entry + 1
                continue
            stop = min(end, at_list[entry]) if entry < len(at_list) else end
            pieces.extend(kept.entries(position - entry, stop - entry))
            position = stop
        encoded = b"\x81" + array_head(end - start) + b"".join(pieces)  # [[entry...]]
        name = _short(f"{language}_{pagefind_hash(encoded)}", floor, index_names)
        _write(target / "index" / f"{name}.pf_index", encoded, level=INDEX_CHUNK_LEVEL)
        meta_chunks.append([word_at(start), word_at(end - 1), name])
        start = end
    for before, after in zip(meta_chunks, meta_chunks[1:], strict=False):  # chunk_meta
        to, start_prefix = _prefixes(before[1], after[0])
        if to >= before[0]:
            before[1] = to
        after[0] = start_prefix

    filter_names: dict[str, str] = {}
    meta_filters = []
    for filter_name in sorted(index.filters):
        by_value = index.filters[filter_name]
        encoded = libipld.encode_dag_cbor(
            [filter_name, [[value, by_value[value]] for value in sorted(by_value)]]
        )
        name = _short(f"{language}_{pagefind_hash(encoded)}", floor, filter_names)
        _write(target / "filter" / f"{name}.pf_filter", encoded)
        meta_filters.append([filter_name, name])

    meta = [PAGEFIND_VERSION, index.meta_pages, meta_chunks, meta_filters, index.sorts, index.meta_fields]
    encoded = libipld.encode_dag_cbor(meta)
    name = f"{language}_{pagefind_hash(encoded)[:floor]}"  # the meta name keeps language + 8 hex
    _write(target / f"pagefind.{name}.pf_meta", encoded, level=META_LEVEL)
    return name


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


def _write(path: Path, encoded: bytes, level: int = META_LEVEL) -> None:
    """Pagefind gzips at flate2's best (miniz level 9); libdeflate compresses 1.6x faster than
    zlib-ng at a level that gives smaller files (``INDEX_CHUNK_LEVEL``).  The gzip header has no time
    or name, so the bytes depend on the content alone (and on libdeflate's version, which is in
    the generator's fingerprint: build.generator_fingerprint)."""
    _create(path, bytes(deflate.gzip_compress(HEADER + encoded, level)))


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
    write_all(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), data)


def _link(existing: str | Path, path: str | Path) -> None:
    """``path`` as another name of ``existing`` (a copy across file systems)."""
    try:
        os.link(existing, path)
    except OSError:
        shutil.copyfile(existing, path)
