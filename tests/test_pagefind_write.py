"""disclosure/_internal/pagefind_write.py: canonical bundles and edited ones, against real Pagefind 1.5.2 runs."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from disclosure._internal.pagefind_index import BundleFormatError, IndexedPage, page_urls
from disclosure._internal.pagefind_write import edit_bundle, write_bundle
from disclosure.site.bundles import search_entry_sorts
from tests.pagefind_pages import A, B, Built, R, S, decode, pagefind, read, tree


def test_same_pages_give_the_same_bytes(built: Built) -> None:
    full = tree(built.full)
    assert full == tree(built.merged)
    assert full == tree(built.removed)
    assert len([name for name in full if name.startswith("index/")]) >= 1
    assert len([name for name in full if name.startswith("filter/")]) == 5  # 类别, 区县, 部门, 年度, 日期


def test_fragments_read_from_disk_are_linked_not_written_again(built: Built, tmp_path: Path) -> None:
    pages = read(built.full)
    write_bundle(pages.values(), tmp_path / "again", runtime=built.full)
    for page in pages.values():
        assert page.fragment_file is not None
        copy = tmp_path / "again" / "fragment" / page.fragment_file.name
        assert copy.stat().st_ino == page.fragment_file.stat().st_ino  # one inode, two names
    # The runtime's scripts and wasm too.
    for script in ("pagefind.js", "pagefind-worker.js", "wasm.unknown.pagefind"):
        assert (tmp_path / "again" / script).stat().st_ino == (built.full / script).stat().st_ino
    assert tree(tmp_path / "again") == tree(built.full)


def test_a_tag_names_every_page_and_reads_back(built: Built, tmp_path: Path) -> None:
    # A search result's id is its page's fragment name: the tag says which bundle it came from.
    pages = read(built.full)
    write_bundle(pages.values(), tmp_path / "tagged", runtime=built.full, page_tag="5e1f09a")
    names = [name for name, _ in decode(next((tmp_path / "tagged").glob("*.pf_meta")))[1]]
    assert len(names) == len(pages) and all(re.fullmatch(r"zh-cn_5e1f09a-[0-9a-f]{7,}", n) for n in names)
    assert read(tmp_path / "tagged") == pages

    def fragments(bundle: Path) -> list[bytes]:
        return sorted(data for name, data in tree(bundle).items() if name.startswith("fragment/"))

    assert fragments(tmp_path / "tagged") == fragments(built.full)  # the same pages, renamed
    with pytest.raises(ValueError, match="page tag"):
        write_bundle(pages.values(), tmp_path / "bad", runtime=built.full, page_tag="2026-11")


def test_the_index_says_what_pagefind_said(built: Built) -> None:
    """Decoded, the canonical index holds the same words, filters and sort order as Pagefind's."""

    def content(bundle: Path) -> tuple[Any, ...]:
        meta = decode(next(bundle.glob("*.pf_meta")))
        urls = [
            json.loads(gzip.decompress((bundle / "fragment" / f"{h}.pf_fragment").read_bytes())[12:])["url"]
            for h, _ in meta[1]
        ]
        words = {}
        for chunk in bundle.glob("index/*.pf_index"):
            for word, pages, variants in decode(chunk)[0]:
                number, found = 0, set()
                for delta, *_ in pages:
                    number += delta
                    found.add(urls[number])
                words[word] = (found, sorted(form for form, _ in variants))
        filters = {}
        for chunk in bundle.glob("filter/*.pf_filter"):
            name, values = decode(chunk)
            filters[name] = {value: {urls[n] for n in numbers} for value, numbers in values}
        sorts = {key: [urls[n] for n in order] for key, order in meta[4]}
        return words, filters, meta[5], {k: [_date(u) for u in v] for k, v in sorts.items()}

    assert content(built.fresh) == content(built.full)


def test_chunks_are_cut_where_pagefind_cuts_them(built: Built, tmp_path: Path) -> None:
    """With small chunks (many of them), the canonical chunks and their from/to are Pagefind's."""
    small = pagefind(tmp_path / "small", S, chunk_size=300)
    write_bundle(read(small).values(), tmp_path / "canonical", runtime=small, chunk_size=300)
    pages = read(built.fresh)
    write_bundle(reversed(list(pages.values())), tmp_path / "other", runtime=built.fresh, chunk_size=300)
    assert tree(tmp_path / "canonical") == tree(tmp_path / "other")

    def chunks(bundle: Path) -> list[tuple[str, str, list[str]]]:
        meta = decode(next(bundle.glob("*.pf_meta")))
        return [(f, t, [w for w, *_ in decode(bundle / "index" / f"{h}.pf_index")[0]]) for f, t, h in meta[2]]

    assert len(chunks(small)) > 5
    assert chunks(small) == chunks(tmp_path / "canonical")


def test_a_chunk_size_by_word_cuts_only_where_asked(built: Built, tmp_path: Path) -> None:
    """Words that start with 2 (the years in the text) go in chunks of at most 50 locations, the rest
    in one chunk; the bundle reads back the same."""
    pages = read(built.fresh)
    write_bundle(
        pages.values(),
        tmp_path / "split",
        runtime=built.fresh,
        chunk_size=lambda w: 50 if w[0] == "2" else 10**9,
    )
    meta = decode(next((tmp_path / "split").glob("*.pf_meta")))
    chunks = [[w for w, *_ in decode(tmp_path / "split" / "index" / f"{h}.pf_index")[0]] for *_, h in meta[2]]
    assert len(chunks) > 3
    for words in chunks[:-1]:
        assert words[-1][0] == "2"  # only such a word ends a chunk
    assert read(tmp_path / "split") == pages


def _date(url: str) -> str:
    return next((e.decided.isoformat() for e in S if e.url == url), "")


def test_nothing_of_a_removed_page_remains(built: Built) -> None:
    gone = {entry.url for entry in R}
    kept_words = {w for url, p in built.with_removed.items() if url not in gone for w in p.words}
    only_removed = {w for url in gone for w in built.with_removed[url].words} - kept_words
    assert "翡翠" in only_removed or "翡翠湾" in only_removed or any("翡翠" in w for w in only_removed)
    for chunk in built.removed.glob("index/*.pf_index"):
        assert not only_removed & {word for word, *_ in decode(chunk)[0]}
    meta = decode(next(built.removed.glob("*.pf_meta")))
    assert not any(word in only_removed for chunk in meta[2] for word in chunk[:2])
    for chunk in built.removed.glob("filter/*.pf_filter"):
        assert "万州区" not in {value for value, _ in decode(chunk)[1]}
    names = {p.name for p in (built.removed / "fragment").iterdir()}
    assert len(names) == len(S) + 1
    for url in gone:
        assert not any(
            built.with_removed[url].fragment_hash.startswith(n.removesuffix(".pf_fragment")) for n in names
        )
    for path in (built.removed / "fragment").iterdir():
        assert json.loads(gzip.decompress(path.read_bytes())[12:])["url"] not in gone


def _edit(base: Path, drop: set[str], add: list[IndexedPage], target: Path, **options: Any) -> bool:
    urls = list(read(base))
    return edit_bundle(base, urls, drop, add, target, runtime=base, sort_values=search_entry_sorts, **options)


def test_an_edited_bundle_is_the_bundle_written_whole(built: Built, tmp_path: Path) -> None:
    """Dropping pages, adding pages (with words, diacritic forms and filter values no kept page
    has) and replacing one: the same bytes as write_bundle of the resulting pages, tag and all."""
    gone = {entry.url for entry in R}
    write_bundle(built.with_removed.values(), tmp_path / "all", runtime=built.full, page_tag="a1")
    assert _edit(tmp_path / "all", gone, [], tmp_path / "dropped", page_tag="b2")
    write_bundle(read(built.full).values(), tmp_path / "whole", runtime=built.full, page_tag="b2")
    assert tree(tmp_path / "dropped") == tree(tmp_path / "whole")

    a, b = read(pagefind(tmp_path / "a", A)), read(pagefind(tmp_path / "b", B, placeholder=False))
    write_bundle(a.values(), tmp_path / "a-only", runtime=built.full, page_tag="c3")
    assert _edit(tmp_path / "a-only", set(), list(b.values()), tmp_path / "added", page_tag="b2")
    assert tree(tmp_path / "added") == tree(tmp_path / "whole")
    assert any(page.variants for page in b.values())  # Société, Müller
    # A page with a diacritic form of a word that a kept page has plainly, and not that word itself:
    # the form joins the kept word's entry (one entry a word, as a whole write gives).
    formed = next(page for page in b.values() if page.variants)
    (word, _form), posting = next(iter(formed.variants.items()))
    plain = next(page for page in a.values() if page.url != "/_placeholder/")
    kept = dataclasses.replace(plain, words={**plain.words, word: posting})
    only_form = dataclasses.replace(formed, words={w: p for w, p in formed.words.items() if w != word})
    write_bundle([kept], tmp_path / "kept", runtime=built.full)
    assert _edit(tmp_path / "kept", set(), [only_form], tmp_path / "form-added")
    write_bundle([kept, only_form], tmp_path / "form-whole", runtime=built.full)
    assert tree(tmp_path / "form-added") == tree(tmp_path / "form-whole")

    changed = dataclasses.replace(S[3], body=S[3].body + "另查明其拒不改正")
    (page,) = read(pagefind(tmp_path / "changed", [changed], placeholder=False)).values()
    assert _edit(tmp_path / "whole", {changed.url}, [page], tmp_path / "edited", chunk_size=300)
    pages = read(built.full) | {changed.url: page}
    write_bundle(pages.values(), tmp_path / "expected", runtime=built.full, chunk_size=300)
    assert tree(tmp_path / "edited") == tree(tmp_path / "expected")
    assert len(list((tmp_path / "expected" / "index").iterdir())) > 5  # chunks cut anew

    # Chunks sized by word (the years in small ones), with words merged: cut as a whole write cuts.
    def by_word(word: str) -> int:
        return 50 if word[0] == "2" else 10**9

    assert _edit(tmp_path / "whole", {changed.url}, [page], tmp_path / "edited-by-word", chunk_size=by_word)
    write_bundle(pages.values(), tmp_path / "expected-by-word", runtime=built.full, chunk_size=by_word)
    assert tree(tmp_path / "edited-by-word") == tree(tmp_path / "expected-by-word")
    assert len(list((tmp_path / "expected-by-word" / "index").iterdir())) > 3


@pytest.mark.parametrize("into_trash", [False, True])
def test_an_edit_into_an_earlier_version_keeps_its_pages_files_and_writes_into_none(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, into_trash: bool
) -> None:
    """A weekly build edits a bundle where the spare holds it: the result is the bundle written
    whole, with nothing of the earlier version left over; the pages it shares with the base stay
    as they are, not linked again; and no file is written into, as the spare shares its files
    with the site being served.  Given a trash folder, the earlier version's index chunks and
    filters are moved there, folder by folder, and not one of them is unlinked."""
    gone = {entry.url for entry in R}
    write_bundle(built.with_removed.values(), tmp_path / "older", runtime=built.full, page_tag="t")
    (tmp_path / "older" / "fragment" / "zh-cn_t-0000000.pf_fragment").write_bytes(b"stray")
    (tmp_path / "older" / "index" / "stray.pf_index").write_bytes(b"stray")
    (tmp_path / "older" / "stray").mkdir()
    spare, served = tmp_path / "spare", tmp_path / "served"  # one set of files, two folders
    for folder in (spare, served):
        shutil.copytree(tmp_path / "older", folder, copy_function=os.link)
    before = tree(served)
    changed = dataclasses.replace(S[3], body=S[3].body + "另查明其拒不改正")
    (page,) = read(pagefind(tmp_path / "changed", [changed], placeholder=False)).values()
    assert _edit(tmp_path / "older", gone, [], tmp_path / "base", page_tag="t")  # last week's
    links: list[str] = []

    def link(existing: str, path: str) -> None:
        links.append(path)
        os.link(existing, path)

    monkeypatch.setattr("disclosure._internal.pagefind_write._link", link)
    unlinked: list[str] = []

    def unlink(path: str) -> None:
        unlinked.append(str(path))
        os.remove(path)

    monkeypatch.setattr("disclosure._internal.pagefind_write.os.unlink", unlink)
    trash = tmp_path / "trash" if into_trash else None
    assert _edit(tmp_path / "base", {changed.url}, [page], spare, page_tag="t", trash=trash)
    assert links == []  # every kept page's file, the scripts and the wasm were there already
    old_data = {path for path in unlinked if Path(path).parent.name in ("index", "filter")}
    served_data = {path: data for path, data in before.items() if path.split("/")[0] in ("index", "filter")}
    if trash is None:
        assert {str(Path(path).relative_to(spare)) for path in old_data} == served_data.keys()
    else:
        assert old_data == set()
        assert tree(trash) == served_data  # the stray chunk too
    expected = read(built.full) | {changed.url: page}
    write_bundle(expected.values(), tmp_path / "whole", runtime=built.full, page_tag="t")
    assert tree(spare) == tree(tmp_path / "whole")  # the dropped pages, the stray files: gone
    assert tree(served) == before  # written into nowhere
    fragments = {path.name: path.stat().st_ino for path in (tmp_path / "base" / "fragment").iterdir()}
    assert all(
        fragments.get(path.name, path.stat().st_ino) == path.stat().st_ino for path in spare.rglob("*")
    )


def test_a_bundle_carved_out_of_a_pagefind_run_is_the_bundle_written_whole(
    built: Built, tmp_path: Path
) -> None:
    """A full build carves each bundle out of the run that indexed it with its neighbours: the run's
    own page numbers (not in URL order) are renumbered by URL, its other pages dropped."""
    run = pagefind(tmp_path / "sr", S + R)
    order = page_urls(run)
    assert order is not None and order != sorted(order)
    gone = {entry.url for entry in R}
    assert edit_bundle(run, order, gone, [], tmp_path / "carved", runtime=run, sort_values=search_entry_sorts)
    assert tree(tmp_path / "carved") == tree(built.removed)
    kept = set(order) - gone
    assert edit_bundle(
        run, order, kept, [], tmp_path / "other", runtime=run, sort_values=search_entry_sorts, page_tag="d4"
    )
    write_bundle([built.with_removed[url] for url in gone], tmp_path / "whole", runtime=run, page_tag="d4")
    assert tree(tmp_path / "other") == tree(tmp_path / "whole")
    # Carved with pages of another run added: words on both sides merged, in URL order.
    a = pagefind(tmp_path / "a", A)
    b = read(pagefind(tmp_path / "b", B, placeholder=False))
    assert edit_bundle(
        a,
        page_urls(a) or [],
        set(),
        list(b.values()),
        tmp_path / "merged",
        runtime=a,
        sort_values=search_entry_sorts,
    )
    assert tree(tmp_path / "merged") == tree(built.merged)


def test_an_edit_that_would_change_names_or_fields_writes_nothing(built: Built, tmp_path: Path) -> None:
    pages = read(built.full)
    kept = next(page for page in pages.values() if page.url != "/_placeholder/")
    twin = dataclasses.replace(kept, url="/case/twin/", fragment_hash=kept.fragment_hash[:13] + "0" * 27)
    assert not _edit(built.full, set(), [twin], tmp_path / "twin")  # its short name would be lengthened
    new_field = dataclasses.replace(twin, fragment_hash="zh-cn_" + "f" * 40, meta_fields=("title", "x"))
    assert not _edit(built.full, set(), [new_field], tmp_path / "field")
    # The pages with an "entity" dropped: the fields left are fewer, and so are their ids.
    with_entity = {url for url, page in pages.items() if "entity" in page.meta_fields}
    assert with_entity and not _edit(built.full, with_entity, [], tmp_path / "no-entity")
    assert not any((tmp_path / name).exists() for name in ("twin", "field", "no-entity"))
    with pytest.raises(BundleFormatError, match="sort order"):
        edit_bundle(
            built.full,
            list(pages),
            set(),
            [],
            tmp_path / "sorts",
            runtime=built.full,
            sort_values=lambda filters: {"date": filters.get("区县", ["-"])[0]},
        )
    assert not (tmp_path / "sorts").exists()  # checked before anything is written
    with pytest.raises(BundleFormatError, match="pages, not"):
        urls = [*pages, "/case/extra/"]
        edit_bundle(
            built.full, urls, set(), [], tmp_path / "n", runtime=built.full, sort_values=search_entry_sorts
        )
