"""The compiled loop of ``pagefind_postings`` (see there): imported on first use, as numba is slow
to import, and kept a module of its own so that numba can cache its machine code."""

from __future__ import annotations

from typing import Any

import numpy
from numba import njit

jit = njit(cache=True, nogil=True)


@jit
def head(data: Any, pos: int) -> tuple[int, int, int]:
    """(major type, argument, position after the head); major -1 where it cannot be read."""
    if pos >= data.shape[0]:
        return -1, 0, pos
    first = data[pos]
    major = first >> 5
    info = first & 31
    if info < 24:
        return major, info, pos + 1
    size = 1 if info == 24 else 2 if info == 25 else 4 if info == 26 else 0
    if size == 0 or pos + 1 + size > data.shape[0]:
        return -1, 0, pos
    value = 0
    for i in range(size):
        value = (value << 8) | data[pos + 1 + i]
    return major, value, pos + 1 + size


@jit
def put_head(out: Any, pos: int, major: int, value: int) -> int:
    """Write a head in the shortest form (``out`` has room: see renumber_chunk)."""
    if value < 24:
        out[pos] = (major << 5) | value
        return pos + 1
    size = 1 if value < 0x100 else 2 if value < 0x10000 else 4
    out[pos] = (major << 5) | (24 if size == 1 else 25 if size == 2 else 26)
    for i in range(size):
        out[pos + size - i] = (value >> (8 * i)) & 0xFF
    return pos + 1 + size


@jit
def skip_integers(data: Any, pos: int) -> tuple[int, int]:
    """(position after an array of integers, its length); position -1 where it is not one."""
    major, length, pos = head(data, pos)
    if major != 4:
        return -1, 0
    for _ in range(length):
        major, _value, pos = head(data, pos)
        if major != 0 and major != 1:
            return -1, 0
    return pos, length


@jit
def skip_item(data: Any, pos: int) -> int:
    """The position after one item of arrays, strings and integers; -1 where it is not one."""
    pending = 1
    while pending > 0:
        major, argument, pos = head(data, pos)
        if major == 4:
            pending += argument
        elif major == 2 or major == 3:
            pos += argument
            if pos > data.shape[0]:
                return -1
        elif major != 0 and major != 1:
            return -1
        pending -= 1
    return pos


@jit
def renumber(
    data: Any, new_numbers: Any, merging: Any, out: Any, scratch: Any, rows: Any, found: Any
) -> tuple[int, int]:
    """(words, end of ``out``), or (-1, the position in ``data`` where reading failed, or where a
    word is not after the one before it: Pagefind sorts a chunk's words by their bytes).

    Only the words kept as they are get an entry in ``out``, back to back: those with a kept
    posting, no diacritic forms, and whose FNV-1a hash (``pagefind_postings.word_hashes``) is not
    in the sorted ``merging`` (the caller's words that gain postings)."""
    major, length, pos = head(data, 0)
    if major != 4 or length != 1:
        return -1, 0
    major, words, pos = head(data, pos)
    if major != 4 or words > rows.shape[0]:
        return -1, pos
    at = 0
    for word in range(words):
        entry = pos
        major, length, pos = head(data, pos)
        if major != 4 or length != 3:
            return -1, entry
        text = pos
        major, length, pos = head(data, pos)
        if major != 3 or pos + length > data.shape[0]:
            return -1, text
        if word > 0 and not _after(data, rows[word - 1, 0], rows[word - 1, 1], pos, pos + length):
            return -1, text
        rows[word, 0] = pos
        pos += length
        rows[word, 1] = pos
        merged = 0
        if merging.shape[0] > 0:  # most edits only drop pages: no word to hash
            hashed = _fnv1a(data, rows[word, 0], pos)
            place = numpy.searchsorted(merging, hashed)
            merged = 1 if place < merging.shape[0] and merging[place] == hashed else 0
        major, postings, pos = head(data, pos)
        if major != 4:
            return -1, pos
        number = kept = count = 0
        last = -1
        ordered = True
        for _ in range(postings):  # the kept postings: new number, where its locations start and end
            posting = pos
            major, length, pos = head(data, pos)
            if major != 4 or length != 3:
                return -1, posting
            major, delta, pos = head(data, pos)
            if major != 0:
                return -1, posting
            body = pos
            pos, locs = skip_integers(data, pos)
            if pos < 0:
                return -1, body
            pos, meta_locs = skip_integers(data, pos)
            if pos < 0:
                return -1, body
            number += delta
            if number >= new_numbers.shape[0]:
                return -1, posting
            new = new_numbers[number]
            if new >= 0:
                if new <= last:
                    ordered = False
                found[kept, 0] = new
                found[kept, 1] = body
                found[kept, 2] = pos
                last = new
                kept += 1
                count += locs + meta_locs + 1
        # Delta coding needs the postings by new number: sorted where the renumbering moved them.
        if not ordered:
            found[:kept] = found[:kept][numpy.argsort(found[:kept, 0])]
        last = filled = 0
        for i in range(kept):
            new, body, end = found[i, 0], found[i, 1], found[i, 2]
            if i > 0 and new == last:
                return -1, body  # two kept pages given one number
            scratch[filled] = 0x83
            filled = put_head(scratch, filled + 1, 0, new - last)
            scratch[filled : filled + end - body] = data[body:end]
            filled += end - body
            last = new
        forms = pos
        pos = skip_item(data, pos)
        if pos < 0:
            return -1, forms
        has_forms = 1 if pos - forms > 1 else 0
        rows[word, 2] = entry
        rows[word, 3] = pos
        rows[word, 4] = at
        if kept > 0 and has_forms == 0 and merged == 0:
            out[at] = 0x83
            at += 1
            out[at : at + rows[word, 1] - text] = data[text : rows[word, 1]]
            at = put_head(out, at + rows[word, 1] - text, 4, kept)
            out[at : at + filled] = scratch[:filled]
            at += filled
            out[at] = 0x80
            at += 1
        rows[word, 5] = at
        rows[word, 6] = count
        rows[word, 7] = kept
        rows[word, 8] = has_forms
        rows[word, 9] = merged
        rows[word, 10] = _first_character(data, rows[word, 0], rows[word, 1])
    if pos != data.shape[0]:
        return -1, pos
    return words, at


@jit
def _first_character(data: Any, start: int, end: int) -> int:
    """The word's first character's UTF-8 bytes as a big-endian number, first byte highest."""
    if start >= end:
        return 0
    lead = data[start]
    size = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    packed = 0
    for i in range(4):
        packed = (packed << 8) | (data[start + i] if i < size and start + i < end else 0)
    return packed


@jit
def _after(data: Any, start: int, end: int, other: int, other_end: int) -> bool:
    """Whether the bytes ``data[other:other_end]`` sort after ``data[start:end]``."""
    for i in range(min(end - start, other_end - other)):
        if data[other + i] != data[start + i]:
            return data[other + i] > data[start + i]  # type: ignore[no-any-return]
    return other_end - other > end - start


_FNV_OFFSET = numpy.uint64(14695981039346656037)
_FNV_PRIME = numpy.uint64(1099511628211)


@jit
def _fnv1a(data: Any, start: int, end: int) -> Any:
    hashed = _FNV_OFFSET
    for i in range(start, end):
        hashed = (hashed ^ numpy.uint64(data[i])) * _FNV_PRIME
    return hashed


@jit
def word_hashes(text: Any, ends: Any) -> Any:
    """The FNV-1a hash of each word of ``text`` (UTF-8 laid end to end; word i ends at ``ends[i]``)."""
    hashes = numpy.empty(ends.shape[0], dtype=numpy.uint64)
    start = 0
    for i in range(ends.shape[0]):
        hashes[i] = _fnv1a(text, start, ends[i])
        start = ends[i]
    return hashes


@jit
def chunk_ends(counts: Any, limits: Any) -> Any:
    """Where Pagefind ends each index chunk (index/mod.rs chunk_index): after the word that brings
    the chunk's locations to its limit or past it, and after the last word."""
    ends = numpy.empty(counts.shape[0] + 1, dtype=numpy.int64)
    cuts = size = 0
    for i in range(counts.shape[0]):
        size += counts[i]
        if size >= limits[i]:
            ends[cuts] = i + 1
            cuts += 1
            size = 0
    if (ends[cuts - 1] if cuts else 0) < counts.shape[0]:
        ends[cuts] = counts.shape[0]
        cuts += 1
    return ends[:cuts]
