"""Render the portal's own pages (records, entities, lists, releases, feeds, data) into a folder.

Independent of Pelican: it takes a Jinja environment that can load the
theme's templates, so unit tests render with the same templates the build
uses.  Output depends only on the releases and the as-of date (no clock, no
set order, no absolute paths), which is what makes builds reproducible.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from disclosure.fold import FoldResult
from disclosure.model import Decision, Kind, Op, Removal
from disclosure.office import timeliness_report
from disclosure.release import MANIFEST_FILE, SIGNATURE_FILE, SSH_SIGNATURE_FILE, Release
from disclosure.site import downloads, feeds
from disclosure.site.charts import MonthCount, monthly_timeliness_svg
from disclosure.site.markup import render_markdown
from disclosure.site.views import (
    KIND_ORDER,
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
from disclosure.trust import KEYS_DIR, TrustStore

FACET_LABELS = {"district": "按区县", "department": "按部门", "year": "按年度"}


@dataclass
class SiteInput:
    """What a build hands the renderer: verified releases, their fold, the trust store."""

    releases: Sequence[Release]
    fold: FoldResult
    trust: TrustStore
    releases_root: Path
    site_url: str = ""


@dataclass
class Output:
    """Writes files under ``root`` and remembers what it wrote (for the sitemap and verify)."""

    root: Path
    written: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)  # page URLs for the sitemap

    def write(self, relative: str, data: bytes | str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.written.append(relative)

    def page(self, url: str, html: str, *, listed: bool = True) -> None:
        """``/a/b/`` is written as ``a/b/index.html``; unlisted pages stay out of the sitemap."""
        self.write(url.strip("/") + "/index.html" if url != "/" else "index.html", html)
        if listed:
            self.listed.append(url)


def render_site(site: SiteInput, env: jinja2.Environment, out: Path) -> Output:
    output = Output(out)
    records = newest_first(record_view(r) for r in site.fold.published())
    removed = [removed_view(r) for r in site.fold.removed()]
    release_views = _release_views(site.releases)
    latest = release_views[-1] if release_views else None
    common: dict[str, Any] = {
        "as_of": site.fold.as_of,
        "latest_release": latest,
        "kinds": KIND_ORDER,
        "site_url": site.site_url,
    }

    def render(template: str, **context: Any) -> str:
        return env.get_template(template).render(**common, **context)

    for record in records:
        body_html = render_markdown(record.body_markdown) if record.body_markdown else ""
        output.page(record.url, render("record.html", record=record, body_html=body_html))
        output.write(record.url.strip("/") + "/record.json", record.line + b"\n")
    for gone in removed:
        output.page(gone.url, render("removed.html", removed=gone), listed=False)
    entities = group_entities(records)
    for entity in entities:
        output.page(entity.url, render("entity.html", entity=entity))
    _render_lists(records, render, output)
    _render_releases(site, release_views, render, output)
    _render_keys(site, render, output)
    _render_feeds_and_data(site, records, release_views, render, output)
    this_week = [r for r in records if latest is not None and r.first_release == latest.sequence]
    output.page(
        "/",
        render(
            "index.html",
            counts=counts_by_kind(records),
            this_week=this_week[:20],
            this_week_counts=counts_by_kind(this_week),
            entity_count=len(entities),
        ),
    )
    output.page("/search/", render("search.html", facets=_search_facets(records)))
    _render_stats(site, render, output)
    output.write("404.html", render("404.html"))
    return output


def _render_lists(records: list[RecordView], render: Any, output: Output) -> None:
    by_kind: dict[Kind, list[RecordView]] = defaultdict(list)
    for record in records:
        by_kind[record.kind].append(record)
    for kind in KIND_ORDER:
        items = by_kind.get(kind, [])
        kind_facets = facets(kind, items)
        nav = {axis: [f for f, _ in values] for axis, values in kind_facets.items()}
        for page in paginate(kind, f"/{kind.value}/", kind.label, items):
            output.page(page.url, render("list.html", page=page, facets=nav, facet_labels=FACET_LABELS))
        for axis, values in kind_facets.items():
            for facet, group in values:
                title = f"{kind.label} · {FACET_LABELS[axis]} · {facet.label}"
                for page in paginate(kind, facet.url, title, group):
                    output.page(
                        page.url, render("list.html", page=page, facets=nav, facet_labels=FACET_LABELS)
                    )


def _release_views(releases: Sequence[Release]) -> list[ReleaseView]:
    """Release notes: counts per kind and op, and per department (no entry is named)."""
    department_of: dict[str, str] = {}
    views = []
    for release in releases:
        by_department: dict[str, Counter[str]] = defaultdict(Counter)
        total = 0
        for _line, entry in release.entries():
            total += 1
            if isinstance(entry, Decision):
                department_of[entry.id] = entry.department.name
                by_department[entry.department.name][entry.op.label] += 1
            elif isinstance(entry, Removal):
                by_department[department_of.get(entry.id, "")][entry.op.label] += 1
        views.append(
            ReleaseView(
                sequence=release.sequence,
                name=release.path.name,
                published=release.published,
                key=release.manifest.key or "",
                manifest_sha256=release.manifest_sha256,
                counts=release.manifest.counts,
                by_department=dict(sorted(by_department.items())),
                total=total,
            )
        )
    return views


def _render_releases(site: SiteInput, views: list[ReleaseView], render: Any, output: Output) -> None:
    for release, view in zip(site.releases, views, strict=True):
        base = view.url.strip("/")
        for name in (MANIFEST_FILE, SIGNATURE_FILE, SSH_SIGNATURE_FILE):
            source = release.path / name
            if source.exists():
                output.write(f"{base}/{name}", source.read_bytes())
        output.page(view.url, render("release.html", release=view, ops=list(Op)))
    output.page("/releases/", render("releases.html", releases=list(reversed(views))))


def _render_keys(site: SiteInput, render: Any, output: Output) -> None:
    keys_dir = site.releases_root / KEYS_DIR
    for path in sorted(keys_dir.rglob("*")):
        if path.is_file():
            output.write(f"keys/{path.relative_to(keys_dir).as_posix()}", path.read_bytes())
    keys = sorted(site.trust.keys.values(), key=lambda k: (k.valid_from, k.key_id))
    output.page("/keys/", render("keys.html", keys=keys, trust=site.trust))


def _render_feeds_and_data(
    site: SiteInput, records: list[RecordView], views: list[ReleaseView], render: Any, output: Output
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
        output.write(f"data/{kind.value}.csv", downloads.kind_csv(kind, items, site.site_url))
        output.write(f"data/{kind.value}.json", downloads.kind_json(items))
    output.page("/data/", render("data.html", counts=counts_by_kind(records)))


def _render_stats(site: SiteInput, render: Any, output: Output) -> None:
    """/stats/: the 7-working-day rule, per department and per month, over the releases applied."""
    applied = [r for r in site.releases if r.published <= site.fold.as_of]
    departments = timeliness_report(applied)
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for department in departments:
        for month, (total, late) in department.by_month.items():
            months[month][0] += total
            months[month][1] += late
    series = [MonthCount(month, total, late) for month, (total, late) in sorted(months.items())]
    chart = monthly_timeliness_svg(series, title="双公示信息按月公示及时情况")
    output.page("/stats/", render("stats.html", departments=departments, months=series, chart=chart))


def _search_facets(records: list[RecordView]) -> dict[str, list[str]]:
    years = sorted({str(r.year) for r in records}, reverse=True)
    districts = sorted({r.district for r in records})
    departments = sorted({r.department for r in records})
    return {"years": years, "districts": districts, "departments": departments}


def write_sitemap(output: Output, site_url: str, extra_urls: Sequence[str] = ()) -> None:
    """Every listed page, plus the editorial pages Pelican wrote; never a removed record's notice."""
    urls = sorted(set(output.listed) | set(extra_urls))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    lines += [f"<url><loc>{site_url}{url}</loc></url>" for url in urls]
    lines.append("</urlset>\n")
    output.write("sitemap.xml", "\n".join(lines))
