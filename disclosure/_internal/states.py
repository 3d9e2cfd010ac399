"""What a build leaves for the next one, per site folder: the files it made, by the keys of their
inputs and their stat, its search bundles and pages, the verified history and the tallies.

Two folders can be reused: the site (``out``) and its spare (``.<out>.spare``, the site the last
swap replaced, which the next build starts from).  Each one's state is kept under
``.<out>.states/`` by the folder's inode, which renames keep: the build writes its state for its
staging folder before the swap, and that same state then describes the site, and after the next
swap the spare.  A state is used only if it names the ``latest.json`` in its folder and the
generator (code, theme, settings) of the build reading it.

The spare is usually the site the last build replaced, whose files that build knew: it notes them
in the site's state, as changes to the site's own (``replaces``), and the next build takes the
spare's files from there rather than reading the spare's state too (0.6-0.8 s at 10^5 records,
where about 2 % of the files differ).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from disclosure._internal.tree import Unchanged
from disclosure.release import write_file_atomic
from disclosure.site.render import Reusable
from disclosure.tally import Tallier
from disclosure.verify import VerifiedHistory

LATEST_FILE = "latest.json"
ROUTE_CACHE_PREFIX = "routes-"
DATA_CACHE_PREFIX = "data-"


@dataclass
class TreeState:
    """What a folder holds as its build made it: files by their inputs, and search bundles.  All a
    build needs of the spare it starts from."""

    files: dict[str, Reusable]
    bundles: dict[str, str]  # bundle name -> key
    latest: str = field(default="", compare=False, kw_only=True)  # the folder's latest.json, as read


@dataclass(frozen=True)
class ReplacedTree:
    """The site a build replaced (the next build's spare), as its build noted it: its latest.json,
    its bundles, and its files as changes to the build's own."""

    latest: str
    bundles: dict[str, str]
    changed: dict[str, Reusable]  # its files the build's lack, or have made otherwise
    gone: list[str]  # the build's files it lacks

    def files(self, build: dict[str, Reusable]) -> dict[str, Reusable]:
        """Its files, from ``build``'s; KeyError if one that is gone is not there."""
        files = dict(build)
        for relative in self.gone:
            del files[relative]
        files.update(self.changed)
        return files


@dataclass
class BuildState(TreeState):
    """What the next build reuses of the site in place: its files and bundles, the pages each
    bundle indexes, the verified history and the tallies, and the site it replaced."""

    pages: dict[str, tuple[str, str]]  # URL -> (bundle it is indexed in, digest of its entry)
    history: VerifiedHistory
    tallier: Tallier
    replaced: ReplacedTree | None = field(default=None, compare=False, kw_only=True)


def spare_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.spare")


def write_state(
    out: Path, tree: Path, latest_text: str, state: BuildState, replaces: TreeState | None = None
) -> None:
    """Record ``state`` as that of ``tree`` (the staging folder about to become ``out``), and
    ``replaces``, the state of the site it is to replace, as changes to it (``load_spare_state``).

    The files go in columns (paths, keys, sizes, mtimes: in the order the build declared them),
    which orjson writes without a conversion per file and ``load_state`` zips back.
    """
    data: dict[str, Any] = {
        "latest": latest_text,
        "files": _columns(state.files),
        "bundles": dict(sorted(state.bundles.items())),
        "pages": state.pages,  # in the bundles' order: sorting 10^5 URLs took 0.6 s beside the writers
        "history": state.history.to_json(),
        "tallies": state.tallier.to_json(),
    }
    if replaces is not None and replaces.latest:
        files, theirs = state.files, replaces.files
        data["replaces"] = {
            "latest": replaces.latest,
            "bundles": dict(sorted(replaces.bundles.items())),
            "changed": _columns({path: known for path, known in theirs.items() if files.get(path) != known}),
            "gone": [path for path in files if path not in theirs],
        }
    states_dir(out).mkdir(exist_ok=True)
    write_file_atomic(_state_path(out, tree), orjson.dumps(data))


def _columns(files: dict[str, Reusable]) -> dict[str, list[Any]]:
    known = files.values()
    return {
        "paths": list(files),
        "keys": [file.key for file in known],
        "sizes": [file.size for file in known],
        "mtimes": [file.mtime_ns for file in known],
    }


def _files(columns: dict[str, list[Any]]) -> dict[str, Reusable]:
    reusable = map(Reusable, columns["keys"], columns["sizes"], columns["mtimes"])
    return dict(zip(columns["paths"], reusable, strict=True))


def load_state(out: Path, tree: Path, generator: str) -> BuildState | None:
    """What ``tree`` (the site in ``out``, or its spare) was made from, if it is the build the state
    describes and this build's generator made it."""
    try:
        state = _load(out, tree, generator)
        if state is None:
            return None
        replaced = state.get("replaces")
        return BuildState(
            **_tree_fields(state),
            pages={url: (bundle, digest) for url, (bundle, digest) in state["pages"].items()},
            history=VerifiedHistory.from_json(state["history"]),
            tallier=Tallier.from_json(state["tallies"]),
            replaced=None if replaced is None else _replaced(replaced),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no usable state: build everything


def load_tree_state(out: Path, tree: Path, generator: str) -> TreeState | None:
    """``load_state`` without the history, tallies and pages, which a build takes from the site in
    place and never from its spare: reading the spare's history took 0.6-0.9 s at 10^5 records."""
    try:
        state = _load(out, tree, generator)
        return None if state is None else TreeState(**_tree_fields(state))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _replaced(data: dict[str, Any]) -> ReplacedTree:
    return ReplacedTree(
        latest=data["latest"],
        bundles=dict(data["bundles"]),
        changed=_files(data["changed"]),
        gone=list(data["gone"]),
    )


def load_spare_state(out: Path, spare: Path, generator: str, site: BuildState | None) -> TreeState | None:
    """The state of ``spare``: from ``site``'s (the state of the site in ``out``) when the spare has
    the latest.json of the site that build replaced, or else of the site itself (a copy of it,
    ``disclosure._internal.spare``); else read as ``load_tree_state`` reads it."""
    if site is None:
        return load_tree_state(out, spare, generator)
    try:
        current = (spare / LATEST_FILE).read_text()
    except OSError:
        return None
    replaced = site.replaced
    if replaced is not None and current == replaced.latest and _made_by(current, generator):
        with contextlib.suppress(KeyError):  # changes to files the site's state lacks
            return TreeState(replaced.files(site.files), dict(replaced.bundles), latest=current)
    elif current == site.latest:  # and so made by this generator: load_state checked it
        return TreeState(site.files, dict(site.bundles), latest=current)
    return load_tree_state(out, spare, generator)


def made_by(tree: Path, generator: str) -> bool:
    """Whether ``tree``'s latest.json names ``generator``: a site the next build can start from."""
    try:
        return _made_by((tree / LATEST_FILE).read_text(), generator)
    except (OSError, ValueError):
        return False


def _made_by(latest_text: str, generator: str) -> bool:
    latest = json.loads(latest_text)
    return isinstance(latest, dict) and latest.get("generator") == generator


def _load(out: Path, tree: Path, generator: str) -> dict[str, Any] | None:
    """The state file of ``tree``, parsed, if it names the tree's ``latest.json`` and ``generator``."""
    state = orjson.loads(_state_path(out, tree).read_bytes())
    current = (tree / LATEST_FILE).read_text()
    if not isinstance(state, dict) or state.get("latest") != current:
        return None
    return state if _made_by(current, generator) else None


def _tree_fields(state: dict[str, Any]) -> dict[str, Any]:
    return {"files": _files(state["files"]), "bundles": dict(state["bundles"]), "latest": state["latest"]}


def write_tree_end(out: Path, tree: Path, latest_text: str, tops: frozenset[str]) -> None:
    """Note that the build of ``tree`` (named by its ``latest.json``) changes none of its folders
    from now on, and the top folders where it wrote no file without a key: a later listing may
    pass over the folders there that have not changed since (``tree.Unchanged``)."""
    data = {"latest": latest_text, "ns": time.time_ns(), "tops": sorted(tops)}
    states_dir(out).mkdir(exist_ok=True)
    write_file_atomic(_end_path(out, tree), orjson.dumps(data))


def load_tree_end(out: Path, tree: Path) -> Unchanged | None:
    """What a listing of ``tree`` may pass over, if its build noted its end (``write_tree_end``)."""
    try:
        data = orjson.loads(_end_path(out, tree).read_bytes())
        if data["latest"] != (tree / LATEST_FILE).read_text():
            return None  # not the build that noted it
        return Unchanged(int(data["ns"]), frozenset(map(str, data["tops"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_stale_states(out: Path) -> None:
    """The states (and ends) of folders that are gone (replaced spares, failed builds) and the old
    single file."""
    live = set()
    for tree in (out, spare_path(out)):
        with contextlib.suppress(OSError):
            live.add(_state_path(out, tree).stem)
    for path in [*states_dir(out).glob("*.json"), *states_dir(out).glob(f"*{_END_SUFFIX}")]:
        if path.stem not in live:
            path.unlink(missing_ok=True)
    out.with_name(f".{out.name}.state.json").unlink(missing_ok=True)  # before the spare existed


def route_cache(out: Path, generator: str, *, fresh: bool) -> Path:
    """Where the builds of ``out`` by this generator keep each search bundle's route-key counts
    (search_index.write_routes), by bundle key."""
    return _generator_cache(out, ROUTE_CACHE_PREFIX, generator, fresh=fresh)


def data_cache(out: Path, generator: str, *, fresh: bool) -> Path:
    """Where the builds of ``out`` by this generator keep the rows of each kind's CSV, by record
    (downloads.kind_csv)."""
    return _generator_cache(out, DATA_CACHE_PREFIX, generator, fresh=fresh)


def _generator_cache(out: Path, prefix: str, generator: str, *, fresh: bool) -> Path:
    """The folder ``<prefix><generator>`` in the states folder (not made here).  Another
    generator's is removed, and this one's too when the build is to start ``fresh`` (a full build
    reads nothing an earlier one left)."""
    cache = states_dir(out) / f"{prefix}{generator}"
    for path in states_dir(out).glob(f"{prefix}*"):  # none before a first build
        if fresh or path != cache:
            shutil.rmtree(path, ignore_errors=True)
    return cache


def states_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.states")


def _state_path(out: Path, tree: Path) -> Path:
    return states_dir(out) / f"{os.stat(tree).st_ino}.json"


_END_SUFFIX = ".end"


def _end_path(out: Path, tree: Path) -> Path:
    return states_dir(out) / f"{os.stat(tree).st_ino}{_END_SUFFIX}"
