"""The Pelican plugin: one generator that renders the portal from the build's fold.

``disclosure build`` puts a :class:`~disclosure.site.render.SiteInput` into the
settings as ``DISCLOSURE_SITE``; Pelican renders the editorial pages of
content/pages/ and copies the theme, and this generator renders everything
else through the same Jinja environment and theme.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from disclosure.site.filters import FILTERS
from disclosure.site.render import Output, SiteInput, render_site, write_sitemap


class PortalGenerator(Generator):  # type: ignore[misc]  # Pelican is untyped
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Department data is untrusted: escape it whatever pelicanconf.py says.
        self.env.autoescape = True
        # The theme does not change during a build: without this, Jinja stats a template's file at
        # every get_template, some 2 x 10^5 times at 10^5 records (about 5 s of CPU).
        self.env.auto_reload = False
        self.env.filters.update(FILTERS)
        self.env.globals.update(SITENAME=self.settings.get("SITENAME", ""))

    def generate_context(self) -> None:
        pass

    def generate_output(self, writer: Any) -> None:
        site = self.settings.get("DISCLOSURE_SITE")
        if not isinstance(site, SiteInput):
            raise RuntimeError("DISCLOSURE_SITE is not set: build the site with `disclosure build`")
        output = Output(
            Path(self.output_path),
            previous=site.previous,
            reusable=site.reusable,
            base=site.base,
            vouched=site.vouched,
            base_ready=site.base_ready,
            pages_started=site.pages_started,
            entries_written=site.entries_written,
            pages_written=site.pages_written,
        )
        render_site(site, self.env, output, workers=site.workers)
        pages = ["/" + page.url for page in self.context.get("pages", [])]
        write_sitemap(output, site.site_url, pages)
        site.result = output


def get_generators(_pelican: Any) -> type[PortalGenerator]:
    return PortalGenerator


def register() -> None:
    signals.get_generators.connect(get_generators)
