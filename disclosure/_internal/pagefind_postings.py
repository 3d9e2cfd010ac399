"""Renumber the pages of a Pagefind index chunk in its CBOR bytes, without decoding it.

Why: a weekly build edits some 200 bundles (``pagefind_write.edit_bundle``): every word of every
index chunk gets its postings' page numbers renumbered, the dropped pages' postings left out.
Decoding a chunk into Python lists (29.6 million objects for 3,000 chunks), walking them and
encoding them again was more than half of an edit's CPU.  Here a compiled loop copies each kept
posting's bytes with its new page delta; only the words that need more (diacritic forms, or
postings of added pages to merge) are decoded, by the caller.

The chunk is ``[[[word, [[page delta, [locs], [meta locs]]...], [[form, postings]...]]...]]``
(``pagefind_index``), in DAG-CBOR's shortest form: every item's length follows from its head.
The loop is numba-compiled (``cache=True``: the machine code is kept beside this file, or in
numba's user cache where this folder is read-only, and loaded in a fraction of a second).  It
checks every read against the chunk's end, so a damaged chunk gives an error, not a crash; its
writes stay within arrays that ``renumber_chunk`` sizes for the largest output a chunk can give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy
from numpy.typing import NDArray

# The columns of ``WordSpans.rows``, one row a word of the chunk.
TEXT_START, TEXT_END = 0, 1  # the word's UTF-8 bytes in the chunk
ENTRY_START, ENTRY_END = 2, 3  # the word's whole entry [word, postings, forms] in the chunk
OUT_START, OUT_END = 4, 5  # the renumbered entry in ``WordSpans.encoded`` (forms left out)
COUNT = 6  # locations of its kept postings, as Pagefind counts them to cut chunks: locs + meta locs + 1
KEPT = 7  # kept postings: 0 where the word has no page left
HAS_FORMS = 8  # 1 where the word has diacritic forms
MERGED = 9  # 1 where the word's hash is one of ``merging``'s (renumber_chunk)
FIRST = 10  # the word's first character: its UTF-8 bytes as a big-endian number (``first_character``)
_COLUMNS = 11
_NONE = numpy.zeros(0, dtype=numpy.uint64)


class ChunkFormatError(ValueError):
    """The bytes are not an index chunk of the shape Pagefind 1.5.2 writes."""


@dataclass(frozen=True)
class WordSpans:
    """A chunk's words, renumbered: a row per word (see the column names).  For a word kept as it
    is (a kept posting, no forms, not merged), ``encoded[row[OUT_START]:row[OUT_END]]`` is the
    DAG-CBOR of ``[word, renumbered postings, []]``, and these entries lie back to back in word
    order; any other word's span is empty."""

    rows: NDArray[numpy.int64]
    encoded: bytes


def renumber_chunk(
    data: bytes | memoryview, renumber: NDArray[numpy.int64], merging: NDArray[numpy.uint64] = _NONE
) -> WordSpans:
    """Every word of the chunk ``data`` (decompressed, without Pagefind's header) with each
    posting's page ``number`` renumbered to ``renumber[number]``, its posting left out where that
    is negative.  Where ``renumber`` changes the order of the pages it keeps (a Pagefind run numbers
    its pages in an order of its own, a bundle by URL), each word's postings are sorted anew;
    two kept pages given one number are an error, as are words out of order.  ``merging`` are the
    sorted ``word_hashes`` of the words the caller merges postings into: those rows are marked
    ``MERGED`` (a hash may also match another word: the caller checks the word)."""
    source = numpy.frombuffer(data, dtype=numpy.uint8)
    # Room to spare: a kept posting is at least 4 bytes long and grows by at most 4 (a larger
    # delta), a word's entry (at least 4 bytes) by at most 4 more (its postings' head).
    out = numpy.empty(3 * len(data) + 64, dtype=numpy.uint8)
    rows = numpy.empty((len(data) // 4 + 1, _COLUMNS), dtype=numpy.int64)
    found = numpy.empty((len(data) // 4 + 1, 3), dtype=numpy.int64)  # a word's kept postings
    words, end = _loop().renumber(source, renumber, merging, out, numpy.empty_like(out), rows, found)
    if words < 0:
        raise ChunkFormatError(f"not a Pagefind index chunk (at byte {end} of {len(data)})")
    return WordSpans(rows[:words], out[:end].tobytes())


def first_character(packed: int) -> str:
    """The character of a ``FIRST`` column's value ("" for an empty word)."""
    return packed.to_bytes(4, "big").rstrip(b"\x00").decode() if packed else ""


def word_hashes(words: Iterable[str]) -> NDArray[numpy.uint64]:
    """The FNV-1a hashes of ``words``' UTF-8, sorted: ``renumber_chunk``'s ``merging``."""
    encoded = [word.encode() for word in words]
    ends = numpy.cumsum([len(word) for word in encoded], dtype=numpy.int64)
    text = numpy.frombuffer(b"".join(encoded), dtype=numpy.uint8)
    return numpy.sort(_loop().word_hashes(text, ends))


def chunk_ends(counts: NDArray[numpy.int64], limits: NDArray[numpy.int64]) -> NDArray[numpy.int64]:
    """Where each index chunk ends, as Pagefind cuts them, for words with these location ``counts``
    and chunk ``limits``: the position after each chunk's last word."""
    return _loop().chunk_ends(counts, limits)  # type: ignore[no-any-return]


def array_head(length: int) -> bytes:
    """The DAG-CBOR head of an array of ``length`` items."""
    if length < 24:
        return bytes((0x80 | length,))
    if length < 0x100:
        return bytes((0x98, length))
    if length < 0x10000:
        return b"\x99" + length.to_bytes(2, "big")
    return b"\x9a" + length.to_bytes(4, "big")


_compiled: list[Any] = []


def _loop() -> Any:
    """The compiled loops' module, imported on first use: importing numba costs half a second,
    which a build that edits no bundle should not pay.  Each loop is compiled, or loaded from
    numba's cache, on its first call."""
    if not _compiled:
        from disclosure._internal import _postings_loop

        _compiled.append(_postings_loop)
    return _compiled[0]


def warm() -> None:
    """Compile or load the loops now: before forking writers, so that each need not."""
    renumber_chunk(b"\x81\x80", numpy.zeros(0, dtype=numpy.int64), word_hashes(["a"]))
    chunk_ends(numpy.ones(1, dtype=numpy.int64), numpy.ones(1, dtype=numpy.int64))
