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
from collections.abc import Iterable

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


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
