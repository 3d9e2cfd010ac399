"""What a build leaves for the next one, per site folder: the files it made, by the keys of their
inputs and their stat, its search bundles and pages, the verified history and the tallies.

Two folders can be reused: the site (``out``) and its spare (``.<out>.spare``, the site the last
swap replaced, which the next build starts from).  Each one's state is kept under
``.<out>.states/`` by the folder's inode, which renames keep: the build writes its state for its
staging folder before the swap, and that same state then describes the site, and after the next
swap the spare.  A state is used only if it names the ``latest.json`` in its folder and the
generator (code, theme, settings) of the build reading it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

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


@dataclass
class BuildState(TreeState):
    """What the next build reuses of the site in place: its files and bundles, the pages each
    bundle indexes, the verified history and the tallies."""

    pages: dict[str, tuple[str, str]]  # URL -> (bundle it is indexed in, digest of its entry)
    history: VerifiedHistory
    tallier: Tallier


def spare_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.spare")


def write_state(out: Path, tree: Path, latest_text: str, state: BuildState) -> None:
    """Record ``state`` as that of ``tree`` (the staging folder about to become ``out``).

    The files go in columns (paths, keys, sizes, mtimes: in the order the build declared them),
    which orjson writes without a conversion per file and ``load_state`` zips back.
    """
    files = state.files.values()
    data = {
        "latest": latest_text,
        "files": {
            "paths": list(state.files),
            "keys": [known.key for known in files],
            "sizes": [known.size for known in files],
            "mtimes": [known.mtime_ns for known in files],
        },
        "bundles": dict(sorted(state.bundles.items())),
        "pages": dict(sorted(state.pages.items())),
        "history": state.history.to_json(),
        "tallies": state.tallier.to_json(),
    }
    _states_dir(out).mkdir(exist_ok=True)
    write_file_atomic(_state_path(out, tree), orjson.dumps(data))


def load_state(out: Path, tree: Path, generator: str) -> BuildState | None:
    """What ``tree`` (the site in ``out``, or its spare) was made from, if it is the build the state
    describes and this build's generator made it."""
    try:
        state = _load(out, tree, generator)
        if state is None:
            return None
        return BuildState(
            **_tree_fields(state),
            pages={url: (bundle, digest) for url, (bundle, digest) in state["pages"].items()},
            history=VerifiedHistory.from_json(state["history"]),
            tallier=Tallier.from_json(state["tallies"]),
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


def _load(out: Path, tree: Path, generator: str) -> dict[str, Any] | None:
    """The state file of ``tree``, parsed, if it names the tree's ``latest.json`` and ``generator``."""
    state = orjson.loads(_state_path(out, tree).read_bytes())
    current = (tree / LATEST_FILE).read_text()
    if not isinstance(state, dict) or state.get("latest") != current:
        return None
    latest = json.loads(current)
    if not isinstance(latest, dict) or latest.get("generator") != generator:
        return None
    return state


def _tree_fields(state: dict[str, Any]) -> dict[str, Any]:
    files = state["files"]
    reusable = map(Reusable, files["keys"], files["sizes"], files["mtimes"])
    return {"files": dict(zip(files["paths"], reusable, strict=True)), "bundles": dict(state["bundles"])}


def remove_stale_states(out: Path) -> None:
    """The states of folders that are gone (replaced spares, failed builds) and the old single file."""
    live = set()
    for tree in (out, spare_path(out)):
        with contextlib.suppress(OSError):
            live.add(_state_path(out, tree).name)
    for path in _states_dir(out).glob("*.json"):
        if path.name not in live:
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
    cache = _states_dir(out) / f"{prefix}{generator}"
    for path in _states_dir(out).glob(f"{prefix}*"):  # none before a first build
        if fresh or path != cache:
            shutil.rmtree(path, ignore_errors=True)
    return cache


def _states_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.states")


def _state_path(out: Path, tree: Path) -> Path:
    return _states_dir(out) / f"{os.stat(tree).st_ino}.json"
