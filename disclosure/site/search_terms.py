"""Extra index terms for what the segmenters miss.

Pagefind indexes jieba words and prefix-matches ICU-segmented query words; it
has no substring search, so two characters from the middle of a company name
find nothing.  Each record page therefore carries, in an element only the
indexer reads, the overlapping character bigrams and trigrams of the names it
concerns: any 2-3 character fragment of a name is then a whole indexed word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


def name_ngrams(names: Iterable[str], sizes: tuple[int, ...] = (2, 3)) -> list[str]:
    """Distinct n-grams of the Han-character runs of ``names``, in first-seen order."""
    seen: dict[str, None] = {}
    for name in names:
        for run in _HAN_RUN.findall(name):
            for size in sizes:
                for start in range(len(run) - size + 1):
                    seen.setdefault(run[start : start + size], None)
    return list(seen)
