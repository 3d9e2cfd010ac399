"""Golden queries for search quality (issue 7): what people type, with the records that answer it.

``make_golden_queries`` turns the records published at a build's as-of date into queries of the
kinds people type (full names, 2-4 character fragments, short names, credit codes, document and
licence numbers, district + industry, phrases from 违法事实).  Each query's expected set is computed
by scanning *every* published record, so it is exact whatever the index does; a query is a hit when
any expected record is among the first 10 results.  ``run_golden_queries`` runs them in a real
browser against the built site's search page and times each one.  docs/search.md explains it all.

Also a command, for a site built elsewhere (the benchmark)::

    .venv/bin/python -m tests.golden --releases data_releases --as-of 2026-11-20 --site build
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from disclosure._internal.pagefind_index import read_bundle
from disclosure.fold import PublishedRecord
from disclosure.identifiers import district_of
from disclosure.model import KIND_LABELS, Kind
from disclosure.site.bundles import search_entry_sorts
from disclosure.site.views import record_url

if TYPE_CHECKING:
    from playwright.sync_api import Page

TOP = 10  # a hit is an expected record among the first TOP results (what the page shows first)

# Share of each category in a suite of ``count`` queries (largest remainder, so they sum to count).
CATEGORY_SHARES: dict[str, int] = {
    "full_name": 28,
    "fragment_2": 24,
    "fragment_3": 24,
    "fragment_4": 20,
    "short_name": 24,
    "credit_code": 22,
    "document_number": 18,
    "document_digits": 14,
    "license_number": 14,
    "district_industry": 20,
    "facts_phrase": 22,
    "name_kind_filter": 10,
}

_LEGAL_SUFFIX = re.compile(r"(?:股份有限公司|有限责任公司|有限公司)$")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_DIGIT_RUN = re.compile(r"\d+")
# Words people pair with a district ("鼓楼区 餐饮"): industries and shop types of the sample names.
INDUSTRY_WORDS = (
    "食品", "餐饮", "水产", "茶业", "超市", "贸易", "商贸", "进出口", "建筑", "建材", "房地产", "物流",
    "运输", "客运", "环保", "化工", "机械", "纺织", "电子", "医药", "医疗器械", "酒店", "物业", "网络",
    "文化传媒", "小吃", "餐馆", "便利店", "水果", "五金", "汽车修理", "货运", "诊所", "药房", "理发",
    "足浴", "废品", "幼儿园", "小学", "合作社",
)  # fmt: skip
# A phrase does not start or end on a particle: people copy words, not 的.
_PARTICLES = frozenset("的了于在其及和与为将被并以对某")
# Fields whose text a phrase may come from or match: all published free text, not the
# department (authority/source) that every record of a department repeats.
_TEXT_FIELDS_SKIPPED = frozenset(
    {"authority", "authority_uscc", "source", "source_uscc", "subjects", "decided", "valid_from"}
)
_NUMBER_FIELDS = ("document_number", "case_number")


@dataclass(frozen=True)
class GoldenQuery:
    """One query and the record URLs (/kind/id/) any of which in the top 10 makes it a hit."""

    query: str
    category: str
    expected: frozenset[str]
    detail: str = ""  # the flavour within the category: fragment position, short-name form, ...
    kind_filter: str | None = None  # a 类别 value (行政处罚, ...) sent as &kind=


@dataclass(frozen=True)
class _Record:
    """What the generator needs of one published record."""

    url: str
    kind: Kind
    names: tuple[str, ...]  # the subject's name, and every subject of a case
    codes: tuple[str, ...]  # their credit codes
    districts: tuple[tuple[str, str], ...]  # (name, district of its code) for subjects with a code
    numbers: tuple[str, ...]  # document / case numbers
    license_number: str
    facts: str
    text: str  # every published text field, names included


def _record(published: PublishedRecord) -> _Record:
    entry = published.entry
    fields = entry.fields
    pairs: list[tuple[str, str | None]] = [(entry.subject.name, entry.subject.code)]
    raw = fields.get("subjects")
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and item.get("name"):
                code = item.get("code")
                pairs.append((str(item["name"]), str(code) if code else None))
    names = tuple(dict.fromkeys(name for name, _ in pairs))
    codes = tuple(dict.fromkeys(code for _, code in pairs if code))
    districts = tuple(dict.fromkeys((name, district_of(code)) for name, code in pairs if code))
    parts = [*names, *codes]
    for key, value in sorted(fields.items()):
        if key in _TEXT_FIELDS_SKIPPED or value is None:
            continue
        parts.append("、".join(map(str, value)) if isinstance(value, list) else str(value))
    return _Record(
        url=record_url(entry.kind, entry.id),
        kind=entry.kind,
        names=names,
        codes=codes,
        districts=districts,
        numbers=tuple(str(fields[k]) for k in _NUMBER_FIELDS if fields.get(k)),
        license_number=str(fields.get("license_number") or ""),
        facts=str(fields.get("facts") or ""),
        text="\n".join(parts),
    )


class _Corpus:
    """All published records, with the exact-scan matchers that define expected sets."""

    def __init__(self, published: Iterable[PublishedRecord]) -> None:
        self.records = sorted((_record(p) for p in published), key=lambda r: r.url)
        self.names = sorted({name for r in self.records for name in r.names})
        self.organisations = sorted({name for r in self.records for name, _ in r.districts})
        self.persons = sorted(set(self.names) - set(self.organisations))
        districts = {d for r in self.records for _, d in r.districts if d != "其他"}
        place = "|".join(sorted(map(re.escape, districts), key=len, reverse=True)) or "(?!)"
        self._place = re.compile(rf"^(?:福建省?|福州市?)?(?:{place})?")

    def core(self, name: str) -> str:
        """The distinctive part of a name: without the place in front and the legal form behind."""
        core = _LEGAL_SUFFIX.sub("", self._place.sub("", name, count=1))
        return core or name

    def name_contains(self, text: str) -> frozenset[str]:
        """Records whose subject's name, or one of a case's subjects' names, contains ``text``."""
        return frozenset(r.url for r in self.records if any(text in name for name in r.names))


def _allocate(count: int, shares: dict[str, int]) -> dict[str, int]:
    """``count`` split over the categories in proportion to ``shares`` (largest remainder)."""
    total = sum(shares.values())
    exact = {c: count * s / total for c, s in shares.items()}
    result = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: (result[c] - exact[c], c))[: count - sum(result.values())]:
        result[c] += 1
    return result


def make_golden_queries(
    published: Iterable[PublishedRecord], *, seed: int, count: int = 240
) -> list[GoldenQuery]:
    """About ``count`` distinct queries over the categories of CATEGORY_SHARES, the same for a seed.

    A category with too few candidates in the data (a tiny site) gets fewer queries.
    """
    corpus = _Corpus(published)
    rng = random.Random(f"golden/{seed}")
    wanted = _allocate(count, CATEGORY_SHARES)
    makers: dict[str, Callable[[_Corpus, random.Random], Iterator[GoldenQuery]]] = {
        "full_name": _full_names,
        "fragment_2": functools.partial(_fragments, size=2),
        "fragment_3": functools.partial(_fragments, size=3),
        "fragment_4": functools.partial(_fragments, size=4),
        "short_name": _short_names,
        "credit_code": _credit_codes,
        "document_number": _document_numbers,
        "document_digits": _document_digits,
        "license_number": _license_numbers,
        "district_industry": _district_industry,
        "facts_phrase": _facts_phrases,
        "name_kind_filter": _name_kind_filter,
    }
    queries: list[GoldenQuery] = []
    seen: set[tuple[str, str | None]] = set()
    for category, maker in makers.items():
        made = 0
        for query in maker(corpus, rng):
            key = (query.query, query.kind_filter)
            if made >= wanted[category]:
                break
            if key in seen or not query.expected:
                continue
            seen.add(key)
            queries.append(query)
            made += 1
    return queries


def category_counts(queries: Iterable[GoldenQuery]) -> dict[str, int]:
    counts = Counter(q.category for q in queries)
    return {c: counts[c] for c in CATEGORY_SHARES if counts[c]}


def _shuffled(rng: random.Random, items: Iterable[str]) -> list[str]:
    """The items in a random order: a category takes what it needs and skips the unusable ones."""
    result = list(items)
    rng.shuffle(result)
    return result


def _full_names(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """Whole names as written; one in six a person's name (persons have no credit code)."""
    people = _shuffled(rng, corpus.persons)
    organisations = _shuffled(rng, corpus.organisations)
    for i in range(max(len(people), len(organisations))):
        pool, detail = (people, "person") if i % 6 == 5 and people else (organisations, "organisation")
        if pool:
            name = pool.pop()
            yield GoldenQuery(name, "full_name", corpus.name_contains(name), detail)


def _fragments(corpus: _Corpus, rng: random.Random, *, size: int) -> Iterator[GoldenQuery]:
    """``size`` contiguous characters of a name's distinctive part (its core), at any position.

    ``detail`` says where in the core: prefix, middle or suffix; the core's prefix is itself in
    the middle of the full name whenever the name starts with a place (福州, 福州市鼓楼区, ...).
    """
    for name in _shuffled(rng, corpus.organisations):
        core = corpus.core(name)
        runs = [run for run in _HAN.findall(core) if len(run) >= size]
        if not runs:
            continue
        run = rng.choice(runs)
        start = rng.randrange(len(run) - size + 1)
        fragment = run[start : start + size]
        at = core.find(fragment)
        if at == 0:
            detail = "prefix"
        elif at + size == len(core):
            detail = "suffix"
        else:
            detail = "middle"
        yield GoldenQuery(fragment, f"fragment_{size}", corpus.name_contains(fragment), detail)


def _short_names(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """Names without 有限公司 (and the like); every other one also without the place in front."""
    companies = [name for name in corpus.organisations if _LEGAL_SUFFIX.search(name)]
    for i, name in enumerate(_shuffled(rng, companies)):
        short = _LEGAL_SUFFIX.sub("", name)
        detail = "no_legal_form"
        if i % 2:
            core = corpus.core(name)
            if len(core) >= 4 and core != short:
                short, detail = core, "no_place_no_legal_form"
        yield GoldenQuery(short, "short_name", corpus.name_contains(short), detail)


def _credit_codes(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    codes = sorted({code for r in corpus.records for code in r.codes})
    for code in _shuffled(rng, codes):
        yield GoldenQuery(code, "credit_code", frozenset(r.url for r in corpus.records if code in r.codes))


def _document_numbers(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """Whole 决定书文号 / 案号 as printed, e.g. 榕市监处罚〔2026〕45012号."""
    numbers = sorted({number for r in corpus.records for number in r.numbers})
    for number in _shuffled(rng, numbers):
        expected = frozenset(r.url for r in corpus.records if number in r.numbers)
        yield GoldenQuery(number, "document_number", expected, "whole")


def _document_digits(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """Only the serial number of a document number (45012 of 榕市监处罚〔2026〕45012号).

    The search page's tips say 文书号可只输入其中的数字.  Serial numbers restart for every department
    and kind, so one may answer several records: all whose document or case number has that
    digit run (whole, not inside a longer one) are expected.
    """

    def digit_runs(record: _Record) -> set[str]:
        return {run for number in record.numbers for run in _DIGIT_RUN.findall(number)}

    runs = {r.url: digit_runs(r) for r in corpus.records}
    serials = sorted(
        {_DIGIT_RUN.findall(x)[-1] for r in corpus.records for x in r.numbers if re.search(r"\d", x)}
    )
    for serial in _shuffled(rng, serials):
        if len(serial) >= 3:
            yield GoldenQuery(
                serial, "document_digits", frozenset(u for u, found in runs.items() if serial in found)
            )


def _license_numbers(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    numbers = sorted({r.license_number for r in corpus.records if r.license_number})
    for number in _shuffled(rng, numbers):
        expected = frozenset(r.url for r in corpus.records if r.license_number == number)
        yield GoldenQuery(number, "license_number", expected)


def _district_industry(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """ "鼓楼区 餐饮": records of subjects registered in the district whose name has the word.

    The district is the one the credit code names (positions 3-8), whether or not the name says
    it.  Combinations answered by 1-10 records come first, so a hit means the right few.
    """
    combos: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in corpus.records:
        for name, district in record.districts:
            if district == "其他":
                continue
            for word in INDUSTRY_WORDS:
                if word in name:
                    combos[district, word].add(record.url)
    small = sorted(k for k, v in combos.items() if len(v) <= TOP)
    large = sorted(k for k, v in combos.items() if len(v) > TOP)
    rng.shuffle(small)
    rng.shuffle(large)
    for district, word in small + large:
        size = "few" if len(combos[district, word]) <= TOP else "many"
        yield GoldenQuery(f"{district} {word}", "district_industry", frozenset(combos[district, word]), size)


def _facts_phrases(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """3-6 contiguous characters of a penalty's 违法事实, as someone copying a few words would take.

    The facts are cut at punctuation, numbers with their unit (2026年, 3批), particles (的, 于, 在,
    某, ...), district names and 当事人 (in every record's facts).  A phrase is a whole piece of 3-6
    characters (预包装食品, 擅自开工建设) or, failing one, the start or end of a longer piece (超过保质期
    from 经营场所销售超过保质期): never a stretch across a cut.  ``detail`` says which ("piece" or
    "window").  Of each record's phrases the rarest is taken; the sample facts are templates, so a
    phrase is shared by every record of a violation type.  Expected: every record whose published
    text (facts, content, basis, case bodies, names, ...) contains the phrase.
    """
    districts = "|".join(sorted({d for r in corpus.records for _, d in r.districts}, key=len, reverse=True))
    cut = re.compile(
        rf"[0-9A-Za-z·]+[年月日元吨名台次批具处倍份个号]?|闽(?=[A-Z])|当事人|[^\u3400-\u9fff]"
        rf"|[{''.join(sorted(_PARTICLES))}]|{districts or '(?!)'}"
    )
    frequency: dict[str, int] = {}
    with_facts = [r for r in corpus.records if r.facts]
    rng.shuffle(with_facts)
    for record in with_facts:
        pieces = [p for p in cut.split(record.facts) if len(p) >= 3]
        whole = sorted({p for p in pieces if len(p) <= 6})
        ends = sorted(
            {p[:k] for p in pieces if len(p) > 6 for k in range(3, 7)}
            | {p[-k:] for p in pieces if len(p) > 6 for k in range(3, 7)}
        )
        candidates = whole or ends
        if not candidates:
            continue
        for phrase in candidates:
            if phrase not in frequency:
                frequency[phrase] = sum(phrase in r.text for r in corpus.records)
        rarest = min(frequency[c] for c in candidates)
        phrase = rng.choice([c for c in candidates if frequency[c] == rarest])
        expected = frozenset(r.url for r in corpus.records if phrase in r.text)
        yield GoldenQuery(phrase, "facts_phrase", expected, "piece" if whole else "window")


def _name_kind_filter(corpus: _Corpus, rng: random.Random) -> Iterator[GoldenQuery]:
    """A full name with the 类别 filter of one of its records' kinds (the filter across bundles)."""
    by_name: dict[str, set[Kind]] = defaultdict(set)
    for record in corpus.records:
        for name in record.names:
            by_name[name].add(record.kind)
    for name in _shuffled(rng, [m for m in corpus.organisations if len(by_name[m]) > 1]):
        kind = rng.choice(sorted(by_name[name]))
        expected = frozenset(
            r.url for r in corpus.records if r.kind is kind and any(name in x for x in r.names)
        )
        yield GoldenQuery(name, "name_kind_filter", expected, kind.value, KIND_LABELS[kind])


# --- the browser ---------------------------------------------------------------------------------

# Installed before the page's scripts: notes when #search-status first says 找到 or 没有 (search.js
# sets it once the first results are on the page), in ms since navigation start.
_TIMER_SCRIPT = """
(() => {
  const mark = () => {
    if (window.__goldenReady === undefined && document.body?.dataset.searchReady === "true") {
      window.__goldenReady = performance.now();  // Pagefind loaded, the newest bundle merged
    }
    const el = document.getElementById("search-status");
    if (el && window.__goldenShown === undefined && /找到|没有/.test(el.textContent)) {
      window.__goldenShown = performance.now();
      window.__goldenStatus = el.textContent;
    }
  };
  new MutationObserver(mark).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})();
"""
# What Pagefind 1.5.2 searches for: the query cut by Intl.Segmenter (ICU) as pagefind.js does.
_TERMS_SCRIPT = """
q => [...new Intl.Segmenter("zh-CN", { granularity: "word" }).segment(q)]
  .map(s => s.segment.replace(/[\\p{P}\\s]/gu, "").toLowerCase()).filter(Boolean)
"""
_RESULTS_SCRIPT = """
n => [...document.querySelectorAll(".result-title a")].slice(0, n).map(a => new URL(a.href).pathname)
"""
_TOTAL = re.compile(r"找到\s*(\d+)")


@dataclass
class QueryResult:
    query: str
    category: str
    detail: str
    kind_filter: str | None
    expected_count: int
    expected_sample: list[str]
    got: list[str]  # the first TOP result URLs, in order
    hit: bool
    found: int  # expected records among them
    total: int | None  # results the page reported (a lower bound while it was still counting)
    ms: float  # navigation start (typed: the submit) to results shown, in the page's clock
    ready_ms: float | None  # navigation start to search.js ready (Pagefind loaded); URL mode only
    wall_ms: float  # the same around goto + wait, in Python
    terms: list[str]  # the query as Pagefind searches it (ICU words)
    status: str
    error: str | None = None
    why: dict[str, Any] | None = None  # for a miss, from IndexedWords.diagnose


@dataclass
class GoldenReport:
    results: list[QueryResult] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """recall@10: the share of queries with an expected record among the first 10 results."""
        return sum(r.hit for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def misses(self) -> list[QueryResult]:
        return [r for r in self.results if not r.hit]

    def timing(self, results: Sequence[QueryResult] | None = None) -> dict[str, float]:
        chosen = self.results if results is None else results
        times = sorted(r.ms for r in chosen)
        if not times:
            return {}
        timing = {
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[min(len(times) - 1, int(len(times) * 0.9))], 1),
            "worst_ms": round(times[-1], 1),
        }
        ready = [r.ready_ms for r in chosen if r.ready_ms is not None]
        if ready:  # URL mode: how much of a query's time is loading Pagefind
            timing["median_ready_ms"] = round(statistics.median(ready), 1)
        return timing

    def by_category(self) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[QueryResult]] = defaultdict(list)
        for result in self.results:
            groups[result.category].append(result)
        order = {c: i for i, c in enumerate(CATEGORY_SHARES)}
        table = {}
        for category in sorted(groups, key=lambda c: (order.get(c, len(order)), c)):
            items = groups[category]
            details: dict[str, list[QueryResult]] = defaultdict(list)
            for item in items:
                details[item.detail].append(item)
            answered = [r for r in items if r.got]
            table[category] = {
                "queries": len(items),
                "hits": sum(r.hit for r in items),
                "recall": round(sum(r.hit for r in items) / len(items), 3),
                # of the results shown, the share expected; of min(10, expected), the share shown
                "precision_at_10": round(statistics.fmean(r.found / len(r.got) for r in answered), 3)
                if answered
                else 0.0,
                "coverage_at_10": round(
                    statistics.fmean(r.found / min(TOP, r.expected_count) for r in items), 3
                ),
                **self.timing(items),
                "by_detail": {
                    d: f"{sum(r.hit for r in rs)}/{len(rs)}" for d, rs in sorted(details.items()) if d
                },
            }
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "queries": len(self.results),
            "recall_at_10": round(self.recall, 4),
            **self.timing(),
            "by_category": self.by_category(),
            "misses": [asdict(r) for r in self.misses],
            "results": [asdict(r) for r in self.results],
        }

    def summary(self) -> str:
        """A few lines for a terminal: overall, then per category."""
        t = self.timing()
        lines = [
            f"recall@10 {self.recall:.3f} over {len(self.results)} queries; "
            f"median {t.get('median_ms')} ms, p90 {t.get('p90_ms')} ms, worst {t.get('worst_ms')} ms"
            + (f" (Pagefind ready at {t['median_ready_ms']} ms)" if "median_ready_ms" in t else "")
        ]
        for category, row in self.by_category().items():
            details = " ".join(f"{d} {v}" for d, v in row["by_detail"].items())
            lines.append(
                f"  {category:<18} {row['hits']:>3}/{row['queries']:<3} {row['recall']:.3f}  "
                f"p@10 {row['precision_at_10']:.2f}  "
                f"median {row['median_ms']:>6} ms  worst {row['worst_ms']:>6} ms  {details}"
            )
        return "\n".join(lines)


def search_url(base_url: str, query: GoldenQuery) -> str:
    url = f"{base_url.rstrip('/')}/search/?q={quote(query.query)}"
    return url + (f"&kind={quote(query.kind_filter)}" if query.kind_filter else "")


def run_golden_queries(
    page: Page,
    base_url: str,
    queries: Sequence[GoldenQuery],
    *,
    typed: bool = False,
    timeout_ms: float = 20_000,
) -> GoldenReport:
    """Run each query on the search page and score its first 10 results.

    By default each query opens /search/?q=... as a visitor following a shared link does, and its
    time runs from navigation start to the moment the status line says 找到 or 没有 (search.js
    sets it once the first results are on the page): the page, Pagefind's worker and WebAssembly,
    and the bundles the query needs, with the browser's cache warm.

    ``typed``: open the page once and submit each query through the form, as someone refining a
    query does; the time runs from the submit, and bundles merged for earlier queries stay merged.
    """
    page.add_init_script(_TIMER_SCRIPT)
    if typed:
        page.goto(f"{base_url.rstrip('/')}/search/")
        page.wait_for_function("() => document.body.dataset.searchReady === 'true'", timeout=timeout_ms)
    report = GoldenReport()
    for query in queries:
        started, error = time.perf_counter(), None
        try:
            if typed:
                page.evaluate(_SUBMIT_SCRIPT, [query.query, query.kind_filter])
            else:
                page.goto(search_url(base_url, query), wait_until="commit")
        except Exception as exc:  # reported with the query; the run goes on
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        report.results.append(_collect(page, query, started, error, timeout_ms))
    return report


# Typed mode: the query into the box, the 类别 boxes set, the form submitted; the clock starts here.
_SUBMIT_SCRIPT = """
([q, kind]) => {
  window.__goldenShown = undefined;
  window.__goldenStart = performance.now();
  document.getElementById("q").value = q;
  for (const box of document.querySelectorAll("#filters input[type=checkbox]")) {
    box.checked = box.dataset.filter === "类别" && box.value === kind;
  }
  document.getElementById("search-form").requestSubmit();
}
"""


def _collect(
    page: Page, query: GoldenQuery, started: float, error: str | None, timeout_ms: float
) -> QueryResult:
    """Wait for ``query``'s results in ``page`` and score them."""
    shown, ready, status, got, terms = timeout_ms, None, "", [], []
    if error is None:
        try:
            page.wait_for_function("() => window.__goldenShown !== undefined", timeout=timeout_ms)
            start = "(window.__goldenStart || 0)"
            shown, ready, status, got = page.evaluate(
                f"n => [window.__goldenShown - {start}, (window.__goldenReady ?? NaN) - {start},"
                f" window.__goldenStatus, ({_RESULTS_SCRIPT.strip()})(n)]",
                TOP,
            )
            terms = page.evaluate(_TERMS_SCRIPT, query.query)
        except Exception as exc:  # a query that never finishes is a miss, not the end of the run
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    wall = (time.perf_counter() - started) * 1000
    found = sum(url in query.expected for url in got)
    total = _TOTAL.search(status)
    return QueryResult(
        query=query.query,
        category=query.category,
        detail=query.detail,
        kind_filter=query.kind_filter,
        expected_count=len(query.expected),
        expected_sample=sorted(query.expected)[:5],
        got=got,
        hit=found > 0,
        found=found,
        total=int(total.group(1)) if total else (0 if "没有" in status else None),
        ms=round(float(shown), 1),
        ready_ms=round(ready, 1) if isinstance(ready, float | int) and ready >= 0 else None,
        wall_ms=round(wall, 1),
        terms=terms,
        status=status,
        error=error,
    )


# --- why a query missed: the words Pagefind indexed --------------------------------------------


class IndexedWords:
    """The words Pagefind 1.5.2 indexed for each record, read back from a built site's bundles.

    For analysis only: it reads Pagefind's private files with the build's own reader
    (disclosure/_internal/pagefind_index.py), so a Pagefind upgrade may break it; ``diagnose`` then
    says so instead of failing the run.
    """

    def __init__(self, site: Path) -> None:
        listing = site / "pagefind" / "bundles.json"
        paths = (
            [b["path"] for b in json.loads(listing.read_text())["bundles"]]
            if listing.exists()
            else ["/pagefind/"]
        )
        self.bundles: list[dict[str, set[str]]] = []  # newest first: word -> record URLs
        self.words: dict[str, set[str]] = defaultdict(set)  # record URL -> its words
        self.bundle_of: dict[str, int] = {}
        for number, path in enumerate(paths):
            index: dict[str, set[str]] = defaultdict(set)
            for url, page in read_bundle(site / path.strip("/"), sort_values=search_entry_sorts).items():
                for word in page.words:
                    index[word].add(url)
                self.words[url].update(page.words)
                self.bundle_of[url] = number
            self.bundles.append(index)

    def term_on(self, term: str, url: str) -> str:
        """How Pagefind's matching treats ``term`` for the record at ``url`` (in its bundle).

        A term matches the indexed words it is a prefix of; when no word of the bundle starts
        with it, Pagefind uses instead the longest word of the bundle that the term starts with
        (pagefind_web search.rs, find_word_extensions), and drops the term if there is none.
        """
        index = self.bundles[self.bundle_of[url]]
        if any(word.startswith(term) for word in self.words[url]):
            return "matches"
        if any(word.startswith(term) for word in index):
            return "no word of the record starts with it"
        shorter = max((word for word in index if term.startswith(word)), key=len, default=None)
        if shorter is None:
            return "dropped: no word of its bundle starts with it or with a part of it"
        return f"broadened to {shorter!r}: " + ("matches" if url in index[shorter] else "no match")

    def diagnose(self, result: QueryResult, expected: Iterable[str]) -> dict[str, Any]:
        """The likeliest reason an expected record is not in the top 10, for the closest one."""
        candidates = sorted(url for url in expected if url in self.bundle_of)
        if not candidates or not result.terms:
            return {"cause": "not indexed" if not candidates else "no terms"}
        notes = {url: {t: self.term_on(t, url) for t in result.terms} for url in candidates}

        def excluding(url: str) -> list[str]:  # the terms that keep the record out of the results
            return [t for t, n in notes[url].items() if n.startswith("no word") or n.endswith("no match")]

        url = min(candidates, key=lambda u: len(excluding(u)))
        broadened = sorted(
            {
                t
                for index in self.bundles
                for t in result.terms
                if not any(word.startswith(t) for word in index) and any(t.startswith(w) for w in index)
            }
        )
        if excluding(url):
            cause = "a query word starts no word indexed for the record"
        elif broadened:
            cause = "ranked below newer matches of a broadened word"
        else:
            cause = "ranked below newer matches"
        return {"cause": cause, "record": url, "terms": notes[url], "broadened": broadened}


def explain_misses(report: GoldenReport, queries: Sequence[GoldenQuery], site: Path) -> None:
    """Fill in ``why`` for every miss of ``report`` (made from ``queries``, in order)."""
    try:
        words = IndexedWords(site)
    except Exception as exc:  # Pagefind's private format changed: the run stays valid
        for result in report.misses:
            result.why = {"cause": f"cannot read the index: {type(exc).__name__}: {exc}"}
        return
    expected = {(q.query, q.kind_filter): q.expected for q in queries}
    for result in report.misses:
        result.why = words.diagnose(result, expected[result.query, result.kind_filter])


def causes(report: GoldenReport) -> dict[str, int]:
    """How many misses each cause explains (after explain_misses)."""
    counted = Counter(str((r.why or {}).get("cause", "unexplained")) for r in report.misses)
    return dict(counted.most_common())


# --- serving a built site ------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The page moves on to the next query while Pagefind still fetches: broken pipes are normal.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(directory: Path, handler: type[http.server.SimpleHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``directory`` on a free loopback port; yields the base URL."""
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the golden queries against a site built from ``--releases`` as of ``--as-of``."""
    from disclosure.fold import fold_releases
    from disclosure.verify import verify_releases

    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=main.__doc__)
    parser.add_argument("--releases", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--site", type=Path, required=True, help="the built site (the build's output)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--typed", action="store_true", help="submit queries in one loaded page")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)

    fold = fold_releases(verify_releases(args.releases), args.as_of)
    queries = make_golden_queries(fold.published(), seed=args.seed, count=args.count)
    print("queries per category:", json.dumps(category_counts(queries), ensure_ascii=False))
    from playwright.sync_api import sync_playwright

    with serve(args.site, _QuietHandler) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        page = browser.new_context(locale="zh-CN").new_page()
        report = run_golden_queries(page, base_url, queries, typed=args.typed)
        browser.close()
    explain_misses(report, queries, args.site)
    print(report.summary())
    print("misses by cause:", json.dumps(causes(report), ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
