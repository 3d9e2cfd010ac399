"""Render the portal's own pages (records, entities, lists, releases, feeds, data) into a folder.

Independent of Pelican: it takes a Jinja environment that can load the
theme's templates, so unit tests render with the same templates the build
uses.  Output depends only on the releases and the as-of date (no clock, no
set order, no absolute paths), which is what makes builds reproducible.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import jinja2
from markupsafe import Markup

from disclosure._internal.forks import SharesBeside, balanced_shares
from disclosure._internal.tree import link_file, remove_files, rewrite_file
from disclosure.fold import FoldResult
from disclosure.model import Kind, Op
from disclosure.release import MANIFEST_FILE, SIGNATURE_FILE, SSH_SIGNATURE_FILE, Release
from disclosure.site import downloads, feeds, sitemaps
from disclosure.site.bundles import (
    JOB_CAP,
    PLACEHOLDER_WORD,
    Bundle,
    IndexWork,
    plan_bundles,
    plan_index_work,
)
from disclosure.site.charts import MonthCount, monthly_timeliness_svg
from disclosure.site.markup import render_markdown
from disclosure.site.views import (
    KIND_ORDER,
    Facet,
    ListPage,
    RecordView,
    ReleaseView,
    counts_by_kind,
    facets,
    group_entities,
    newest_first,
    paginate,
    record_view,
    removed_view,
)
from disclosure.tally import ReleaseTally, timeliness
from disclosure.trust import KEYS_DIR, TrustStore

# Scratch folder in the output: one minimal page per record, at the record's URL, for Pagefind to
# index (search_entry.html); the build deletes it once the index is written.
INDEX_SOURCE = ".index-src"
# The only page of an empty site's search bundle (see disclosure/site/bundles.py).
PLACEHOLDER_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>-</title></head><body>'
    f'<main data-pagefind-body>{PLACEHOLDER_WORD}<span data-pagefind-sort="date[data-value]" '
    'data-value="0"></span></main></body></html>\n'
)
FACET_LABELS = {"district": "按区县", "department": "按部门", "year": "按年度"}


@dataclass
class SiteInput:
    """What a build hands the renderer: verified releases, their fold, the trust store."""

    releases: Sequence[Release]
    fold: FoldResult
    trust: TrustStore
    releases_root: Path
    tallies: Sequence[ReleaseTally] = ()  # one per release, from the verification pass
    site_url: str = ""
    previous: Path | None = None  # the site this build replaces: unchanged files are linked from it
    reusable: dict[str, Reusable] = field(default_factory=dict)  # the files of ``previous``
    base: dict[str, Reusable] = field(default_factory=dict)  # the files the output folder starts with
    vouched: Container[str] = frozenset()  # of ``base``, those known unchanged without a stat (Output)
    previous_bundles: dict[str, str] = field(default_factory=dict)  # bundle name -> key
    previous_pages: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # URL -> indexed in (bundle, digest)
    workers: int = 1
    data_cache: Path | None = None  # a folder where the CSV rows are kept for the next build
    # Called with the search bundles (oldest first) once they are planned, early in rendering: the
    # build starts the routing table then, which needs nothing else.
    bundles_planned: Callable[[Sequence[Bundle]], None] | None = None
    # Waits until the output folder holds ``base`` (files linked into it beside the render's
    # first steps, when the build has no spare); called before any of them is checked.
    base_ready: Callable[[], object] | None = None
    # Called with the output once the flush's workers are started, while this process only waits
    # for them: the build loads the bundle writers' compiled loop then.
    pages_started: Callable[[Output], object] | None = None
    # Called with the output once this process has written the search entries it writes itself
    # (``Output.entries``), while the flush's workers render: the build starts Pagefind on them then.
    entries_written: Callable[[Output], object] | None = None
    # Called with the output once the flush has written its pages (the search entries among them),
    # before the renderer's bookkeeping and the sitemap: the build starts the index step then.
    pages_written: Callable[[Output], object] | None = None
    result: Output | None = None  # filled in by the renderer


# A file's bytes, or text (UTF-8), or its bytes in parts (the data files, downloads.in_parts).
Content = bytes | str | Iterator[bytes]


def _encode(data: Content) -> bytes | Iterator[bytes]:
    return data.encode("utf-8") if isinstance(data, str) else data


class Reusable(NamedTuple):
    """A file of an earlier build, by the key of what it was made from and its stat when made.

    A tuple, cheap to make: a build's state holds some 400,000 of them, made afresh each time it
    is read (``states.load_state``, from columns).
    """

    key: str
    size: int
    mtime_ns: int


@dataclass
class Output:
    """Writes the site under ``root``, reusing every file whose inputs did not change.

    Every file is declared with a ``key`` (a digest of everything it is made from) or none (always
    written).  A keyed file is reused if ``root`` already holds it as made from the same key (the
    spare a build starts from: ``base``) or else hard-linked from the ``previous`` site; pages are
    rendered lazily, so an unchanged page costs a stat (and a link), and the rest are rendered in
    worker processes.  The result is the same bytes a clean build writes.
    """

    root: Path
    previous: Path | None = None
    reusable: dict[str, Reusable] = field(default_factory=dict)  # the files of ``previous``
    base: dict[str, Reusable] = field(default_factory=dict)  # the files ``root`` starts with
    # Of ``base``, those known to be as first made without a stat (a listing vouched for them:
    # tree.Vouched); the others are checked by their size and modification time.
    vouched: Container[str] = frozenset()
    keys: dict[str, str] = field(default_factory=dict)  # this build's keyed files, for the next build
    written: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)  # page URLs for the sitemap
    pending: list[tuple[str, Callable[[], Content], float]] = field(default_factory=list)  # with costs
    # Files declared unchanged, checked in flush, with what makes them if the old file changed.
    unchanged: list[tuple[str, Content | Callable[[], Content]]] = field(default_factory=list)
    # Files this process writes itself while the flush's workers render (``write_early``).
    entries: list[tuple[str, Callable[[], Content]]] = field(default_factory=list)
    reused: dict[str, Reusable] = field(default_factory=dict)  # files kept or linked, as first made
    bundles: list[Bundle] = field(default_factory=list)  # the search index's bundles, oldest first
    index_work: IndexWork = field(default_factory=lambda: IndexWork((), (), ()))
    # What flush waits for before it checks ``base`` (SiteInput.base_ready), what it calls once its
    # workers are started (SiteInput.pages_started), once it has written ``entries``
    # (SiteInput.entries_written) and once its pages are written (SiteInput.pages_written).
    base_ready: Callable[[], object] | None = None
    pages_started: Callable[[Output], object] | None = None
    entries_written: Callable[[Output], object] | None = None
    pages_written: Callable[[Output], object] | None = None
    # Parts of the render, in seconds, for the build's log: "views" (the published records' views),
    # "pages" (flush: the reuse checks and the renders in worker processes).
    timings: dict[str, float] = field(default_factory=dict)

    def write(
        self,
        relative: str,
        data: Content | Callable[[], Content],
        *,
        key: str | None = None,
        cost: float = 1.0,
    ) -> None:
        """``cost``: what making ``data`` takes, in page renders (see ``flush``)."""
        self.written.append(relative)
        if key is not None:
            self.keys[relative] = key
            kept, known = self.base.get(relative), self.reusable.get(relative)
            if kept is not None and kept.key == key and relative in self.vouched:
                # Kept as ``root`` holds it, with nothing to check: most files of a weekly build,
                # which flush's workers had looked up again and this process recorded after them
                # (some 0.9 s of their CPU and 0.75 s of this process's at 10^5 records).
                self.reused[relative] = kept
                return
            if (kept is not None and kept.key == key) or (
                self.previous is not None and known is not None and known.key == key
            ):
                self.unchanged.append((relative, data))  # reused by flush, unless the old file changed
                return
        if callable(data):
            self.pending.append((relative, data, cost))
        else:
            _write_file(self.root / relative, _encode(data))

    def write_early(self, relative: str, make: Callable[[], Content]) -> None:
        """A file with no key that this process writes in ``flush``, first, while the workers render
        the pending files: a weekly build's search entries, which Pagefind can index while the rest
        is rendered (render_site)."""
        self.written.append(relative)
        self.entries.append((relative, make))

    def page(
        self, url: str, html: str | Callable[[], str], *, listed: bool = True, key: str | None = None
    ) -> None:
        """``/a/b/`` is written as ``a/b/index.html``; unlisted pages stay out of the sitemap."""
        self.write(url.strip("/") + "/index.html" if url != "/" else "index.html", html, key=key)
        if listed:
            self.listed.append(url)

    def flush(self, workers: int) -> int:
        """Reuse the unchanged files and render what is pending, in ``workers`` forked processes
        when there is enough of it; returns how many files were rendered.

        Reuse is checked here too, not as files are declared: at 10^5 records a weekly build reuses
        some 230,000 files (a stat and often a link and a folder each), 13 s on one core; only those
        a listing vouched for (``vouched``) are kept as they are declared, with no check left.  The
        pending files are dealt out by their cost, not their number: the data files, declared
        together near the end, took one worker 6 s in a daily build while the other idled.
        """
        start = time.perf_counter()
        if self.base_ready is not None:
            self.base_ready()
        workers = max(1, workers)
        count = len(self.pending)
        enough = count >= 200 or len(self.unchanged) >= 2000
        shares = workers * FLUSH_SHARES_PER_WORKER if enough and workers > 1 else 1
        pending = balanced_shares(self.pending, shares, cost=lambda item: item[2])
        unchanged = self.unchanged
        self.pending, self.unchanged = [], []

        def work(start: int, stop: int) -> tuple[list[str], list[str]]:
            """Shares ``start``..``stop`` of ``shares``: their part of both lists; returns the
            unchanged files made again and those linked from the previous site (the rest, most
            of them, were kept as ``root`` had them: not sent back, 2 * 10^5 names a weekly build)."""

            made, linked = [], []
            for relative, data in unchanged[
                len(unchanged) * start // shares : len(unchanged) * stop // shares
            ]:
                origin = self._reuse(relative)
                if origin is None:
                    _write_file(self.root / relative, _encode(data() if callable(data) else data))
                    made.append(relative)
                elif origin == "linked":
                    linked.append(relative)
            for share in pending[start:stop]:
                for relative, make, _ in share:
                    _write_file(self.root / relative, _encode(make()))
            return made, linked

        with SharesBeside(shares, workers, work, shares=shares, caller_takes_part=True) as rendering:
            for relative, make in self.entries:
                _write_file(self.root / relative, _encode(make()))
            if self.entries and self.entries_written is not None:
                self.entries_written(self)
            if self.pages_started is not None:
                self.pages_started(self)
            done = rendering.result()
        if self.pages_written is not None:
            self.pages_written(self)
        made = {relative for share_made, _ in done for relative in share_made}
        linked = {relative for _, share_linked in done for relative in share_linked}
        base, reusable, reused = self.base, self.reusable, self.reused
        for relative, _ in unchanged:
            if relative in linked:
                reused[relative] = reusable[relative]
            elif relative not in made:
                reused[relative] = base[relative]
        self.timings["pages"] = self.timings.get("pages", 0.0) + time.perf_counter() - start
        return count + len(self.entries) + len(made)

    def _reuse(self, relative: str) -> Literal["kept", "linked"] | None:
        """How an unchanged ``relative`` is reused: kept as ``root`` holds it, linked from the
        previous site, or None when neither holds it as first made (render it again).

        Plain strings and os calls: this runs for every unchanged file no listing vouched for
        (those ``write`` keeps as declared), a stat each.
        """
        key = self.keys[relative]
        target = f"{self.root}/{relative}"
        kept = self.base.get(relative)
        if kept is not None and kept.key == key and _made_as(target, kept):
            return "kept"
        known = self.reusable.get(relative)
        if self.previous is None or known is None or known.key != key:
            return None
        source = f"{self.previous}/{relative}"
        if not _made_as(source, known):
            return None
        _make_parent(target)
        link_file(source, target)
        return "linked"

    def remove_undeclared(self) -> set[str]:
        """Remove the files ``root`` started with that this build does not write; returns their
        folders, which may now be empty."""
        declared = set(self.written)
        return remove_files(self.root, (relative for relative in self.base if relative not in declared))

    def rendered_by_type(self) -> Counter[str]:
        """How many files of each type were made, not reused: where an incremental build spends."""
        return Counter(file_type(path) for path in self.written if path not in self.reused)

    def stat_keys(self) -> dict[str, Reusable]:
        """The keyed files as written, for the next build's reuse check: a reused file is the same
        inode as when first made, so it has the same stat; only the files made are stat'ed (a
        weekly build's 10^4 of 4 * 10^5, looked for as a set difference, not one by one)."""
        result = dict(self.reused)
        for relative in self.keys.keys() - result.keys():
            stat = os.stat(f"{self.root}/{relative}")
            result[relative] = Reusable(self.keys[relative], stat.st_size, stat.st_mtime_ns)
        return result


# Shares of a flush a worker takes, about, one after the other as it comes free: two static
# halves left one worker idle for 2 s of a weekly build's 8 s at 10^5 (docs/benchmarks.md,
# session 22), the cost estimates being rough and the routing table sharing the cores.
FLUSH_SHARES_PER_WORKER = 8

_MADE_DIRS: set[str] = set()


def _make_parent(path: str) -> None:
    """mkdir -p of the parent, remembering what exists (one stat per folder, not per file)."""
    parent = os.path.dirname(path)
    if parent not in _MADE_DIRS:
        os.makedirs(parent, exist_ok=True)
        _MADE_DIRS.add(parent)


def _write_file(path: Path, data: bytes | Iterator[bytes]) -> None:
    """Written over the file there when the spare holds it alone (it changed in the last build
    too: the data files, the newest lists), else as a new inode (tree.rewrite_file).

    The folder is made only when the file cannot be opened without it (a new record's): a
    weekly build writes some 10^4 files into folders that are there, nearly one folder a file,
    and a mkdir -p of each folder cost two system calls and an exception."""
    try:
        rewrite_file(path, data)
    except FileNotFoundError:  # before any of ``data`` is taken
        _make_parent(str(path))
        rewrite_file(path, data)


def _made_as(path: str, known: Reusable) -> bool:
    """Whether the file at ``path`` is still as its build wrote it (by size and modification time)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (known.size, known.mtime_ns)


_LIST_AXES = {"page", "district", "department", "year"}
_KIND_DIRS = {kind.value for kind in KIND_ORDER}


def file_type(relative: str) -> str:
    """A coarse type of an output file, for the build's log."""
    parts = relative.split("/")
    if parts[0] == INDEX_SOURCE:
        return "search entry"
    if parts[0] in _KIND_DIRS:
        if parts[-1] == "record.json":
            return "record.json"
        if len(parts) == 3 and parts[1] not in _LIST_AXES:
            return "record page"
        return "list page"
    return parts[0] if len(parts) > 1 else "top-level"


def content_key(*parts: object) -> str:
    """A digest of a page's inputs, given as small stable values (entry digests stand for entries)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def record_key(record: RecordView) -> str:
    """The key of a record's page, which shows its entry and its releases: the entry's digest stands
    for the entry, so nothing is hashed again (``content_key`` took 0.8 s for 10^5 pages)."""
    return f"{record.digest[:32]}.{record.release}.{record.first_release}"


def render_site(site: SiteInput, env: jinja2.Environment, output: Output, *, workers: int = 1) -> Output:
    """Every page and file of the portal; pages whose inputs did not change are linked, not rendered."""
    start = time.perf_counter()
    records = newest_first(record_view(r) for r in site.fold.published_lines())
    output.timings["views"] = time.perf_counter() - start
    removed = [removed_view(r) for r in site.fold.removed()]
    release_views = _release_views(site.releases, site.tallies)
    latest = release_views[-1] if release_views else None
    # Only what every page shows goes here; dates that change daily would defeat reuse.
    common: dict[str, Any] = {"kinds": KIND_ORDER, "site_url": site.site_url}
    dated: dict[str, Any] = {"as_of": site.fold.as_of, "latest_release": latest}

    def render(template: str, **context: Any) -> Callable[[], str]:
        return lambda: env.get_template(template).render(**common, **context)

    def record_page(record: RecordView) -> Callable[[], str]:
        def make() -> str:
            body = render_markdown(record.body_markdown) if record.body_markdown else ""
            return env.get_template("record.html").render(**common, record=record, body_html=body)

        return make

    def search_entry(record: RecordView) -> Callable[[], str]:
        return lambda: env.get_template("search_entry.html").render(
            record=record, body_text=record.body_markdown
        )

    # Planned first: the routing table, started on the plan, then runs on the other core while
    # this one writes the records' JSON (15 s of one core in a full build at 10^5 records).
    output.bundles = plan_bundles(records)
    if site.bundles_planned is not None:
        site.bundles_planned(output.bundles)
    for record in records:
        output.page(record.url, record_page(record), key=record_key(record))
        # Made in the workers, not here, when it is new: each is a new folder and file (1-2 s of a
        # weekly build's serial part at 10^5, on this machine's file system).
        line = functools.partial(bytes.__add__, record.line, b"\n")
        output.write(record.url.strip("/") + "/record.json", line, key=record.digest, cost=0.2)
    for gone in removed:
        output.page(gone.url, render("removed.html", removed=gone), listed=False, key=content_key(gone))
    previous = (site.previous_bundles, site.previous_pages) if site.previous is not None else ({}, {})
    output.index_work = plan_index_work(output.bundles, *previous)
    # One Pagefind run's entries (a weekly build's) are written by this process while the flush's
    # workers render the rest, so that Pagefind indexes them beside the render, not after it; more
    # (a full build's 10^5) are rendered by the workers, and Pagefind starts once they have ended.
    early = sum(len(job_records) for _, job_records in output.index_work.jobs) <= JOB_CAP
    for job, job_records in output.index_work.jobs:
        for record in job_records:
            relative = f"{INDEX_SOURCE}/{job}{record.url}index.html"
            if early:
                output.write_early(relative, search_entry(record))
            else:
                output.write(relative, search_entry(record))
    entities = group_entities(records)
    for entity in entities:
        digests = [r.digest for _, group in entity.groups for r in group]
        key = content_key(entity.code, entity.name, entity.district, digests)
        output.page(entity.url, render("entity.html", entity=entity), key=key)
    _render_lists(records, render, output)
    _render_releases(site, release_views, render, dated, output)
    _render_keys(site, render, output)
    _render_feeds_and_data(site, records, release_views, render, dated, output)
    this_week = [r for r in records if latest is not None and r.first_release == latest.sequence]
    home = render(
        "index.html",
        counts=counts_by_kind(records),
        this_week=this_week[:20],
        this_week_counts=counts_by_kind(this_week),
        entity_count=len(entities),
        **dated,
    )
    output.page("/", home)
    # Marked noindex (its results are the record pages): not in the sitemap either.
    output.page("/search/", render("search.html", facets=_search_facets(records), **dated), listed=False)
    _render_stats(site, render, dated, output)
    output.write("404.html", render("404.html"))
    output.flush(workers)
    return output


def _render_lists(records: list[RecordView], render: Any, output: Output) -> None:
    for page, nav, key in list_pages(records):
        view = render("list.html", page=page, facets=nav, facet_labels=FACET_LABELS)
        output.page(page.url, view, key=key)


Nav = dict[str, list[Facet]]


def list_pages(records: list[RecordView]) -> Iterator[tuple[ListPage, Nav, str]]:
    """Every list page with the facet navigation it shows and the key of its inputs."""
    by_kind: dict[Kind, list[RecordView]] = defaultdict(list)
    for record in records:
        by_kind[record.kind].append(record)
    for kind in KIND_ORDER:
        items = by_kind.get(kind, [])
        kind_facets = facets(kind, items)
        by_count = {axis: [f for f, _ in values] for axis, values in kind_facets.items()}
        # Counts, and the order by count, are on the fronts only: every page would change with
        # each record otherwise.  Stretches list the facets by name.
        by_name = {axis: sorted(fs, key=lambda f: (f.label, f.url)) for axis, fs in by_count.items()}
        navs = (
            (by_count, content_key(by_count)),
            (by_name, content_key({a: [(f.label, f.url) for f in fs] for a, fs in by_name.items()})),
        )
        groups = [(f"/{kind.value}/", kind.label, items)] + [
            (facet.url, f"{kind.label} · {FACET_LABELS[axis]} · {facet.label}", group)
            for axis, values in kind_facets.items()
            for facet, group in values
        ]
        for base_url, title, group in groups:
            for page in paginate(kind, base_url, title, group):
                digests = [r.digest for r in page.records]
                shown = (page.total,) if page.is_front else (page.name,)
                nav, nav_key = navs[not page.is_front]
                yield page, nav, content_key(nav_key, page.title, shown, page.newer, page.older, digests)


def _release_views(releases: Sequence[Release], tallies: Sequence[ReleaseTally]) -> list[ReleaseView]:
    """Release notes: counts per kind and op, and per department (no entry is named)."""
    return [
        ReleaseView(
            sequence=release.sequence,
            name=release.path.name,
            published=release.published,
            key=release.manifest.key or "",
            manifest_sha256=release.manifest_sha256,
            counts=release.manifest.counts,
            by_department=dict(sorted(tally.by_department.items())),
            total=tally.total,
        )
        for release, tally in zip(releases, tallies, strict=True)
    ]


def _render_releases(
    site: SiteInput, views: list[ReleaseView], render: Any, dated: dict[str, Any], output: Output
) -> None:
    for release, view in zip(site.releases, views, strict=True):
        base = view.url.strip("/")
        for name in (MANIFEST_FILE, SIGNATURE_FILE, SSH_SIGNATURE_FILE):
            source = release.path / name
            if source.exists():
                output.write(f"{base}/{name}", source.read_bytes())
        output.page(view.url, render("release.html", release=view, ops=list(Op)), key=content_key(view))
    output.page("/releases/", render("releases.html", releases=list(reversed(views)), **dated))


def _render_keys(site: SiteInput, render: Any, output: Output) -> None:
    keys_dir = site.releases_root / KEYS_DIR
    for path in sorted(keys_dir.rglob("*")):
        if path.is_file():
            output.write(f"keys/{path.relative_to(keys_dir).as_posix()}", path.read_bytes())
    keys = sorted(site.trust.keys.values(), key=lambda k: (k.valid_from, k.key_id))
    output.page("/keys/", render("keys.html", keys=keys, trust=site.trust))


def _render_feeds_and_data(
    site: SiteInput,
    records: list[RecordView],
    views: list[ReleaseView],
    render: Any,
    dated: dict[str, Any],
    output: Output,
) -> None:
    dates = {v.sequence: v.published for v in views}
    updated = views[-1].published if views else site.fold.as_of
    output.write(
        "feeds/all.atom.xml",
        feeds.atom_feed(
            title="信用信息公示：全部", feed_url="/feeds/all.atom.xml", site_url=site.site_url,
            records=records, updated=updated, release_dates=dates,
        ),
    )  # fmt: skip
    for kind in KIND_ORDER:
        items = [r for r in records if r.kind is kind]
        feed_url = f"/feeds/{kind.value}.atom.xml"
        output.write(
            feed_url.lstrip("/"),
            feeds.atom_feed(
                title=f"信用信息公示：{kind.label}", feed_url=feed_url, site_url=site.site_url,
                records=items, updated=updated, release_dates=dates,
            ),
        )  # fmt: skip
        # Everything published of a kind: made in the render workers, not here (5 s at 10^5 records),
        # each costing about a page render (1 ms) per 25 CSV rows (120 where the last build's rows
        # are there to take) or 100 JSON items; linked instead when the kind's records are the
        # same (many days, for the lists).
        key = content_key("data", kind.value, site.site_url, downloads.records_digest(items))
        rows = site.data_cache / f"{kind.value}.csv.json" if site.data_cache else None
        output.write(
            f"data/{kind.value}.csv",
            functools.partial(downloads.kind_csv, kind, items, site.site_url, rows),
            key=key,
            cost=len(items) / (120 if rows is not None and rows.exists() else 25),
        )
        output.write(
            f"data/{kind.value}.json",
            functools.partial(downloads.kind_json, items),
            key=key,
            cost=len(items) / 100,
        )
    output.page("/data/", render("data.html", counts=counts_by_kind(records), **dated))


def _render_stats(site: SiteInput, render: Any, dated: dict[str, Any], output: Output) -> None:
    """/stats/: the 7-working-day rule, per department and per month, over the releases applied."""
    departments = timeliness([t for t in site.tallies if t.published <= site.fold.as_of])
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for department in departments:
        for month, (total, late) in department.by_month.items():
            months[month][0] += total
            months[month][1] += late
    series = [MonthCount(month, total, late) for month, (total, late) in sorted(months.items())]
    chart = monthly_timeliness_svg(series, title="双公示信息按月公示及时情况")
    output.page("/stats/", render("stats.html", departments=departments, months=series, chart=chart, **dated))


def _search_facets(records: list[RecordView]) -> Markup:
    """The filter values of every record, by Pagefind filter name, as JSON safe inside <script>."""
    facets: dict[str, Counter[str]] = {name: Counter() for name in ("类别", "区县", "部门", "年度")}
    for r in records:
        facets["类别"][r.kind_label] += 1
        facets["区县"][r.district] += 1
        facets["部门"][r.department] += 1
        facets["年度"][str(r.year)] += 1
    text = json.dumps(
        {k: dict(sorted(v.items())) for k, v in facets.items()}, ensure_ascii=False, sort_keys=True
    )
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def write_sitemap(output: Output, site_url: str, extra_urls: Sequence[str] = ()) -> None:
    """Every listed page, plus the editorial pages Pelican wrote; never a removed record's notice.
    In parts of ``sitemaps.URLS_PER_FILE`` (read here, so that tests can lower it)."""
    urls = sorted(set(output.listed) | set(extra_urls))
    for path, text in sitemaps.sitemap_files(site_url, urls, sitemaps.URLS_PER_FILE):
        output.write(path, text)
    output.write("robots.txt", sitemaps.robots_txt(site_url))
