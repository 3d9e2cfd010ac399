"""disclosure/_internal/pagefind_postings.py: renumbering an index chunk's pages in its CBOR bytes."""

from __future__ import annotations

from typing import Any

import libipld
import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    array_head,
    chunk_ends,
    first_character,
    renumber_chunk,
    word_hashes,
)

PAGES = 40

locations = st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=6)
meta_locations = st.lists(st.integers(min_value=-(2**31), max_value=70000), max_size=4)
words = st.text(
    alphabet=st.sampled_from("公司有限福州ψωabc0123榕罚é"), min_size=1, max_size=30
)  # one to three UTF-8 bytes a character; 30 characters need a two-byte head


@st.composite
def chunks(draw: Any) -> tuple[list[Any], list[int], set[str]]:
    """A chunk as Pagefind writes it, and a renumbering: one that keeps order (drops pages, adds
    gaps), or one that shuffles the kept pages (a Pagefind run's walk order to a bundle's URL order)."""
    entries: list[list[Any]] = []
    for word in sorted(draw(st.sets(words, min_size=1, max_size=8))):
        pages = sorted(draw(st.sets(st.integers(0, PAGES - 1), min_size=1, max_size=PAGES)))
        postings = [[page, draw(locations), draw(meta_locations)] for page in pages]
        for posting, before in zip(reversed(postings[1:]), reversed(postings[:-1]), strict=True):
            posting[0] -= before[0]
        forms = [["é" + word, [[pages[0], [1], []]]]] if draw(st.booleans()) and len(entries) % 3 == 0 else []
        entries.append([word, postings, forms])
    renumber, number = [], 0
    for _ in range(PAGES):
        number += draw(st.sampled_from([0, 0, 1, 300, 70000]))  # pages added before this one
        if draw(st.booleans()):
            renumber.append(-1)
        else:
            renumber.append(number)
            number += 1
    if draw(st.booleans()):
        kept = [new for new in renumber if new >= 0]
        shuffled = iter(draw(st.permutations(kept)))
        renumber = [next(shuffled) if new >= 0 else -1 for new in renumber]
    merging = {word for word, _, _ in entries if draw(st.booleans())} | draw(st.sets(words, max_size=3))
    return entries, renumber, merging


def renumbered(postings: list[Any], renumber: list[int]) -> tuple[list[Any], int]:
    """The reference: absolute numbers, renumbered, dropped, sorted, delta-coded again; and the count."""
    found, number = [], 0
    for delta, locs, meta_locs in postings:
        number += delta
        if renumber[number] >= 0:
            found.append([renumber[number], locs, meta_locs])
    found.sort(key=lambda posting: posting[0])
    last = 0
    for posting in found:
        posting[0], last = posting[0] - last, posting[0]
    return found, sum(len(locs) + len(meta_locs) + 1 for _, locs, meta_locs in found)


@settings(max_examples=300, deadline=None)
@given(chunks())
def test_every_word_is_renumbered_as_decoding_would(chunk: tuple[list[Any], list[int], set[str]]) -> None:
    entries, renumber, merging = chunk
    data = libipld.encode_dag_cbor([entries])
    spans = renumber_chunk(data, numpy.array(renumber, dtype=numpy.int64), word_hashes(merging))
    assert len(spans.rows) == len(entries)
    as_is = []  # the entries of the words kept as they are, in order
    for (word, postings, forms), row in zip(entries, spans.rows, strict=True):
        assert data[row[TEXT_START] : row[TEXT_END]].decode() == word
        assert libipld.decode_dag_cbor(data[row[ENTRY_START] : row[ENTRY_END]]) == [word, postings, forms]
        assert row[HAS_FORMS] == (1 if forms else 0)
        assert row[MERGED] == (1 if word in merging else 0)
        assert first_character(int(row[FIRST])) == word[:1]
        kept, count = renumbered(postings, renumber)
        assert (row[KEPT], row[COUNT]) == (len(kept), count)
        encoded = spans.encoded[row[OUT_START] : row[OUT_END]]
        if kept and not forms and word not in merging:
            assert encoded == libipld.encode_dag_cbor([word, kept, []])  # shortest form, as DAG-CBOR
            as_is.append(encoded)
        else:
            assert encoded == b""
    assert spans.encoded == b"".join(as_is)  # back to back: a run of rows is one slice


def test_words_out_of_order_are_an_error() -> None:
    renumber = numpy.arange(4, dtype=numpy.int64)
    for words in (["罚", "福州"], ["福州", "福州"], ["ab", "a"]):  # 罚 is U+7F5A, 福 U+798F
        data = libipld.encode_dag_cbor([[[word, [[0, [1], []]], []] for word in words]])
        with pytest.raises(ChunkFormatError):
            renumber_chunk(data, renumber)
    data = libipld.encode_dag_cbor([[[word, [[0, [1], []]], []] for word in ["a", "ab", "福州", "罚"]]])
    assert len(renumber_chunk(data, renumber).rows) == 4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=40), st.lists(st.integers(1, 60), min_size=1, max_size=3))
def test_chunk_ends_cut_where_pagefind_does(counts: list[int], limits: list[int]) -> None:
    """The reference is pagefind_write's loop before it was compiled (index/mod.rs chunk_index)."""
    word_limits = [limits[i % len(limits)] for i in range(len(counts))]
    expected, size, pending = [], 0, False
    for i, (count, limit) in enumerate(zip(counts, word_limits, strict=True)):
        size, pending = size + count, True
        if size >= limit:
            expected.append(i + 1)
            size, pending = 0, False
    if pending:
        expected.append(len(counts))
    ends = chunk_ends(numpy.array(counts, dtype=numpy.int64), numpy.array(word_limits, dtype=numpy.int64))
    assert ends.tolist() == expected


def test_a_damaged_chunk_is_an_error_not_a_crash() -> None:
    entries = [["福州", [[1, [3, 70000], [-1, 2]], [2, [5], []]], []], ["罚", [[0, [1], []]], [["x", []]]]]
    data = libipld.encode_dag_cbor([entries])
    renumber = numpy.arange(8, dtype=numpy.int64)
    assert len(renumber_chunk(data, renumber).rows) == 2
    for end in range(len(data)):  # every read is checked against the end, not the memory's
        with pytest.raises(ChunkFormatError):
            renumber_chunk(memoryview(data)[:end], renumber)
    with pytest.raises(ChunkFormatError):
        renumber_chunk(data + b"\x00", renumber)
    for other in (
        [[["福州", [[1, [3], {}]], []]]],  # a map where locations go
        [[["福州", [[1, [2**40], []]], []]]],  # an integer wider than Pagefind writes
        [[[b"\xe7\xa6", [[1, [3], []]], []]]],  # a word as bytes, not text
        [[["福州", [[1, [3]]], []]]],  # a posting of two items
    ):
        with pytest.raises(ChunkFormatError):
            renumber_chunk(libipld.encode_dag_cbor(other), renumber)
    with pytest.raises(ChunkFormatError):  # a page the renumbering does not know
        renumber_chunk(data, numpy.arange(2, dtype=numpy.int64))
    with pytest.raises(ChunkFormatError):  # two kept pages given one number
        renumber_chunk(data, numpy.array([0, 5, 4, 5, 2, 1, 0, 0], dtype=numpy.int64))  # pages 1 and 3


@pytest.mark.parametrize("length", [0, 1, 23, 24, 255, 256, 65535, 65536])
def test_array_head_is_dag_cbor_s(length: int) -> None:
    assert libipld.encode_dag_cbor([0] * length) == array_head(length) + b"\x00" * length
