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

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# search.js EXACT_TOKEN is the same pattern: the two sides must cut a text into the same words.
_EXACT_TOKEN = re.compile(f"[{_HAN}]|[0-9a-z]+")
EXACT_BREAK = "|"  # a word Pagefind does not index but counts: no phrase spans two texts
# The exact pass's words are written in a code of their own (``exact_code``), marked by a Greek
# letter: nobody types one in a Chinese search box, so the query as typed never matches them.
_CODE_HAN = "ψ"
_CODE_RUN = "ω"


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
    """``text`` cut for the exact pass: each Han character alone, letters and digits in runs.

    NFKC first, so full-width letters and digits are the ASCII ones people type; lower case and no
    punctuation, as Pagefind makes a query.
    """
    return _EXACT_TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def exact_words(tokens: Sequence[str]) -> list[str]:
    """One word per token: a Han character with the next one if that is Han too, else the token.

    Pagefind searches a quoted query as a phrase of whole words at consecutive positions, and a
    metadata value's words are its space-separated parts.  Indexed this way, a record's names and
    numbers match the phrase of a query's words (``exact_phrase``) exactly when they contain the
    query, however ICU or jieba would cut it; and a pair is a word few records have, so the index
    chunks a query loads stay small (single characters were words on most pages).
    """
    return [
        token + tokens[i + 1] if i + 1 < len(tokens) and is_han(token) and is_han(tokens[i + 1]) else token
        for i, token in enumerate(tokens)
    ]


def exact_phrase(tokens: Sequence[str]) -> list[str]:
    """The words of a query's phrase (search.js ``exactPhrase`` is the same); empty: no exact pass.

    A query's last Han character is where a record's text may go on (鑫源 in 鑫源恒泰: the record
    has 源恒 there, not 源): it is left to the pair before it, or, alone, to the query as typed.
    """
    words = exact_words(tokens)
    return words[:-1] if tokens and is_han(tokens[-1]) else words


@functools.cache  # a city's names share their words: 2.5 million calls at 10^5 records, 0.3 million words
def exact_code(word: str) -> str:
    """How a word of the exact pass is indexed and searched (search.js ``exactCode``).

    The browser cuts a quoted query into words again, with ICU, which splits a pair it does not
    know (锦鑫 into 锦|鑫); a run of letters and digits it keeps whole.  So Han words are written as
    their code points in hex.  And a word of its own (not 食品 or 2026) is one that only the exact
    metadata has: a phrase of one word then matches the names and numbers, not the text.
    """
    if is_han(word[0]):
        return _CODE_HAN + "".join(f"{ord(char):05x}" for char in word)
    return _CODE_RUN + word


def is_exact_code(word: str) -> bool:
    """Whether an indexed word is one of ``exact_code``'s (searched whole, never as a prefix)."""
    return word[:1] in (_CODE_HAN, _CODE_RUN)


def exact_sequence(texts: Iterable[str]) -> str:
    """The metadata value of the exact pass: each text's coded words, texts apart by EXACT_BREAK."""
    return f" {EXACT_BREAK} ".join(
        " ".join(exact_code(word) for word in exact_words(tokens))
        for text in texts
        if (tokens := exact_tokens(text))
    )


def is_han(token: str) -> bool:
    """Whether a token of ``exact_tokens`` (or a word of ``exact_words``) is Han, not letters and digits."""
    return not token.isascii()
