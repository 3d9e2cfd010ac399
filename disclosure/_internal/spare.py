"""The spare a build leaves when the site it replaced cannot be one: the new site, hard-linked.

Why: a build starts from the spare, the site the last swap replaced, and changes only what differs
(disclosure/build.py).  A first build replaces nothing, and a full build after new code or settings
replaces a site the next build cannot start from; the build after either had no spare, and linked
the whole site into its own folder beside its render: at 10^5 records some 146,000 folders and
250,000 links, 18-20 s for the first weekly build where a steady one takes 13-14 s
(docs/benchmarks.md, session 25).  The same links are made here once the site is swapped in, by a
detached process from the command line, while nobody waits for them.

The copy is made in a leftover-named folder (``.<out>.building-*``) and renamed into place only
once complete, so a copy cut short is never taken for a spare: the next build removes it as it
removes any leftover, and links the site itself.  The copy holds what a build reuses of a spare:
the files its state keys, the search index and ``latest.json``, which names the site's build
(``states.load_spare_state`` then takes the site's state for the spare's), and it notes its own
end as the site's build did, so that the next listing passes over its unchanged folders
(``tree.Unchanged``).  The routing table's shards are copied, not linked: every weekly build
changes them all, and a spare's shard held by no other path is written over in place
(``tree.rewrite_file``), where a linked one would be unlinked and made anew (65,536 shards: 0.4 s
against 5.1-5.6 s, session 23).

The process that makes the copy holds the build lock until it is done (the caller passes it down),
so a build started meanwhile waits for the spare rather than racing it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from disclosure._internal.forks import split_over_forks
from disclosure._internal.states import (
    LATEST_FILE,
    load_tree_end,
    load_tree_state,
    spare_path,
    write_tree_end,
)
from disclosure._internal.tree import link_files, list_files, sync_filesystem
from disclosure.release import fsync_dir
from disclosure.site.routing import ROUTE_DIR

SEARCH_DIR = "pagefind"
# Processes that link: the kernel's work (a folder or a link each, cold metadata a wait on the
# disk) overlaps in two, on a machine whose other core is idle or running the office's next step.
LINKING_PROCESSES = 2


def copy_site(site: Path, into: Path, files: Iterable[str], *, processes: int = LINKING_PROCESSES) -> int:
    """Hard-link into ``into`` (an empty folder on the same file system) each of ``files`` and
    every file of ``site``'s search index but the routing table's shards, which are copied; then
    ``latest.json``, last.  Returns how many files ``into`` then holds."""
    routes = f"{SEARCH_DIR}/{ROUTE_DIR}/"
    search = [f"{SEARCH_DIR}/{name}" for name in list_files(site / SEARCH_DIR)]
    linked = [*files, *(path for path in search if not path.startswith(routes))]
    counts = split_over_forks(
        len(linked),
        processes,
        lambda start, stop: link_files(site, into, linked[start:stop]),
        at_least=2000,
    )
    shards = [path for path in search if path.startswith(routes)]
    if shards:
        (into / routes).mkdir(parents=True, exist_ok=True)
    for relative in shards:
        shutil.copyfile(site / relative, into / relative)
    os.link(site / LATEST_FILE, into / LATEST_FILE)
    return sum(counts) + len(shards) + 1


def leave_spare(out: Path, into: Path, files: Iterable[str]) -> None:
    """Make ``into`` a copy of the site ``out`` (``copy_site``) and rename it to the spare's name,
    which must be free; ``into`` is left where anything fails, for the next build to remove."""
    copy_site(out, into, files)
    sync_filesystem(into)  # the copy's folders and links on disk before its name says it is complete
    end = load_tree_end(out, out)
    if end is not None:  # its folders hold what the site's do, keyed files alone where the site's do
        write_tree_end(out, into, (into / LATEST_FILE).read_text(), end.tops)
    os.rename(into, spare_path(out))
    fsync_dir(out.parent)


def main(argv: Sequence[str]) -> int:
    """``OUT INTO GENERATOR``: leave a spare of the site ``out`` as its state (written by ``GENERATOR``)
    lists it; nothing where there is no such state.  Run by ``build`` in a detached process."""
    out, into, generator = Path(argv[0]), Path(argv[1]), argv[2]
    state = load_tree_state(out, out, generator)
    if state is None:
        shutil.rmtree(into, ignore_errors=True)
        return 1
    leave_spare(out, into, state.files)
    return 0
