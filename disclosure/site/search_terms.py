"""Extra index words for what the segmenters miss (docs/search.md, "Why the misses miss").

Pagefind indexes the text of a search entry as jieba words, but cuts the query with the
browser's ICU segmenter, and every query word must be the *start* of an indexed word.  The two
disagree most on names, abbreviations and phrases: ICU cuts 鼓楼区 into 鼓|楼|区 where jieba indexed
鼓楼|区, so 楼, inside a jieba word, matches nothing.

Metadata values are the one place Pagefind indexes words exactly as given (split on spaces, not
segmented).  So each search entry carries, in a metadata key the page never shows, the *suffix
grams* of its identifying text: at every position of a run of Han characters, the run of up to
``longest`` characters starting there.  Every substring of that text of at most ``longest``
characters is then the start of an indexed word, whatever cut ICU makes of the query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# search.js EXACT_TOKEN is the same pattern: the two sides must cut a text into the same words.
_EXACT_TOKEN = re.compile(f"[{_HAN}]|[0-9a-z]+")
_IS_HAN = re.compile(f"[{_HAN}]")
EXACT_BREAK = "|"  # a word Pagefind does not index but counts: no phrase spans two texts


def suffix_grams(texts: Iterable[str], longest: int) -> list[str]:
    """The grams of ``texts``' Han runs: at each position, up to ``longest`` characters from there.

    A gram that starts another one is left out (the longer one matches whatever it would), so
    the list is as short as it can be while every substring of length <= ``longest`` still starts
    one of its words.  Distinct, in first-seen order.
    """
    if longest < 1:
        raise ValueError("longest must be at least 1")
    grams = (
        run[start : start + longest]
        for text in texts
        for run in _HAN_RUN.findall(text)
        for start in range(len(run))
    )
    return merge_grams(grams)


def merge_grams(*lists: Iterable[str]) -> list[str]:
    """The distinct grams of ``lists`` in first-seen order, without those that start another."""
    grams = dict.fromkeys(g for grams in lists for g in grams)
    ordered = sorted(grams)  # a gram that starts others sorts right before the first of them
    covered = {a for a, b in zip(ordered, ordered[1:], strict=False) if b.startswith(a)}
    return [g for g in grams if g not in covered]


# --- the exact pass: names and numbers as typed (docs/search.md, "Exact matches first") ----------


def exact_tokens(text: str) -> list[str]:
    """``text`` as the words of the exact pass: each Han character alone, letters and digits in runs.

    Pagefind searches a quoted query as a phrase of whole words at consecutive positions, and a
    metadata value's words are its space-separated parts: so when a record's names and numbers are
    indexed one character a word, a phrase of the query's characters matches exactly the records
    whose name or number contains the query, however ICU or jieba would cut it.  NFKC first, so
    full-width letters and digits are the ASCII ones people type; punctuation is dropped, as
    Pagefind drops it from a query.
    """
    return _EXACT_TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def exact_sequence(texts: Iterable[str]) -> str:
    """The metadata value of the exact pass: each text's tokens, texts apart by EXACT_BREAK."""
    return f" {EXACT_BREAK} ".join(" ".join(tokens) for text in texts if (tokens := exact_tokens(text)))


def route_keys(tokens: Sequence[str]) -> set[str]:
    """What a bundle must hold for a phrase of ``tokens`` to match in it (site/routing.py).

    Every two neighbouring Han characters, and every run of letters and digits: any phrase that a
    record matches has all of its keys among the record's (a single Han character has none: it
    would route to every bundle).  search.js ``routeKeys`` computes the same for a query.
    """
    keys = {token for token in tokens if not _IS_HAN.fullmatch(token)}
    keys.update(
        a + b
        for a, b in zip(tokens, tokens[1:], strict=False)
        if _IS_HAN.fullmatch(a) and _IS_HAN.fullmatch(b)
    )
    return keys
