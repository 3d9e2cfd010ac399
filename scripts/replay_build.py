#!/usr/bin/env python3
"""Replay one incremental build from a saved site, for any checkout (issue 4's A/B comparisons).

A weekly or daily build's time depends on what it starts from: the site in place, its spare and
their states.  ``scripts/bench.py`` makes all of them afresh, so two benchmark runs compare two
hours of a shared machine as much as two commits.  This saves them once and replays the same
build from a fresh copy as often as asked:

    .venv/bin/python scripts/replay_build.py save /tmp/snap --site /tmp/b100k/site
    .venv/bin/python scripts/replay_build.py run /tmp/snap --releases /tmp/b100k/releases \\
        --as-of 2026-12-01 --code /tmp/wt-old --work /tmp/replay --repeat 2 --cold

``run`` copies the snapshot with ``cp -a`` (the hard links between the site and its spare and
every modification time are kept: the build's reuse checks compare sizes and times), or with
``--link`` hard-links its files (``cp -al``: a build replaces files, never writes them), relabels
both states and ``latest.json`` files for the checkout's generator (its code, theme and settings:
a build by another generator starts over), renames each state for its copy's inode (states are
kept by inode) and runs ``disclosure build``.  It prints the build's step line and the wall, CPU
and peak memory that ``bench.run_step`` measures.  ``--cold`` drops the page cache first (root
only), as a week between two builds may.  docs/benchmarks.md keeps the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import StepFailed, run_step  # noqa: E402  (the same measurement as the benchmark)

SNAPSHOT_FILE = "snapshot.json"
# states.ROUTE_CACHE_PREFIX and DATA_CACHE_PREFIX: caches kept per generator (a snapshot saved
# before session 14 has no data cache; the replayed build then makes every CSV row).
CACHE_PREFIXES = ("routes-", "data-")
PROJECT = Path(__file__).resolve().parent.parent


def _companions(site: Path) -> dict[str, Path]:
    """The site folder and what a build keeps beside it (states/states.py names them)."""
    return {
        "site": site,
        "spare": site.with_name(f".{site.name}.spare"),
        "states": site.with_name(f".{site.name}.states"),
    }


def save(snapshot: Path, site: Path) -> None:
    folders = _companions(site.absolute())
    if not folders["states"].is_dir():
        raise SystemExit(f"{folders['states']} is missing: build {site} first")
    snapshot.mkdir(parents=True)
    present = [path for path in folders.values() if path.exists()]
    subprocess.run(["cp", "-a", *map(str, present), str(snapshot)], check=True)
    inodes = {role: os.stat(folders[role]).st_ino for role in ("site", "spare") if folders[role].exists()}
    (snapshot / SNAPSHOT_FILE).write_text(json.dumps({"site": site.name, "inodes": inodes}) + "\n")


def generator_of(code: Path) -> str:
    """The generator fingerprint of the checkout at ``code``, as its own builds compute it."""
    script = (
        "from disclosure.build import DEFAULT_CONFIG, generator_fingerprint as g; print(g(DEFAULT_CONFIG))"
    )
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, cwd="/", capture_output=True, text=True, check=True
    ).stdout.strip()


def restore(snapshot: Path, work: Path, generator: str, *, link: bool = False) -> Path:
    """A copy of the snapshot in ``work``, its states relabelled for ``generator``; returns the site.

    ``link``: its files are hard links to the snapshot's (``cp -al``), which a build never writes
    in place where another path links them (tree.py): few files are copied, and emptying ``work``
    frees few inodes.  Only the files the saved spare and states folder held alone are copied:
    a build writes those over in place (``tree.rewrite_file``), which hard links would turn back
    into new files (and the snapshot's would be written over).  On this machine's file system,
    freeing some 400,000 inodes (the old copy) slows making new ones for minutes
    (docs/benchmarks.md, session 15), and the copy then took about 3 minutes.
    """
    saved = json.loads((snapshot / SNAPSHOT_FILE).read_text())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    copy = ["cp", "-al" if link else "-a"]
    companions = _companions(snapshot / saved["site"])
    alone = {role: _alone(companions[role]) for role in ("spare", "states")} if link else {}
    subprocess.run([*copy, *(str(p) for p in companions.values() if p.exists()), str(work)], check=True)
    folders = _companions(work / saved["site"])
    for role, relatives in alone.items():
        _copy_alone(companions[role], folders[role], relatives)
    # Every old state is read and removed before any is written: a copy's new inode can be the
    # number another folder had when saved, and writing its state first would overwrite that one.
    relabelled: dict[str, dict[str, Any]] = {}
    ends: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}  # each folder's latest.json as saved -> as relabelled
    for role, old_inode in saved["inodes"].items():
        latest_path = folders[role] / "latest.json"
        saved_text = latest_path.read_text()
        latest = json.loads(saved_text)
        latest["generator"] = generator
        text = texts[saved_text] = json.dumps(latest, sort_keys=True) + "\n"  # as build.py writes it
        latest_path.unlink()  # a new file: with --link the old one is the snapshot's
        latest_path.write_text(text)
        old_state = folders["states"] / f"{old_inode}.json"
        state = orjson.loads(old_state.read_bytes())
        state["latest"] = text
        old_state.unlink()
        inode = os.stat(folders[role]).st_ino
        relabelled[f"{inode}.json"] = state
        old_end = folders["states"] / f"{old_inode}.end"  # when its build ended (states.py)
        if old_end.exists():
            # Ended now: the copy's folders are new, and as that build left them.
            ends[f"{inode}.end"] = {
                **orjson.loads(old_end.read_bytes()),
                "latest": text,
                "ns": time.time_ns(),
            }
            old_end.unlink()
    for name, state in relabelled.items():
        replaced = state.get("replaces")  # the spare as the site's build noted it (states.py)
        if replaced is not None and replaced["latest"] in texts:
            replaced["latest"] = texts[replaced["latest"]]
        (folders["states"] / name).write_bytes(orjson.dumps(state))
    for name, end in ends.items():
        (folders["states"] / name).write_bytes(orjson.dumps(end))
    for prefix in CACHE_PREFIXES:
        for cache in folders["states"].glob(f"{prefix}*"):
            cache.rename(folders["states"] / f"{prefix}{generator}")
    return folders["site"]


def _alone(saved: Path) -> list[str]:
    """The files under ``saved`` that no other path links, relative to it."""
    return [
        os.path.relpath(os.path.join(folder, name), saved)
        for folder, _, names in os.walk(saved)
        for name in names
        if os.lstat(os.path.join(folder, name)).st_nlink == 1
    ]


def _copy_alone(saved: Path, linked: Path, alone: list[str]) -> None:
    """Copy the files ``alone`` of ``saved`` over their hard links in ``linked``, times kept."""
    for relative in alone:
        (linked / relative).unlink()
        shutil.copy2(saved / relative, linked / relative, follow_symlinks=False)


def drop_page_cache() -> None:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        raise SystemExit(f"--cold needs root to drop the page cache: {exc}") from exc


def run(args: argparse.Namespace) -> None:
    code = args.code.absolute()
    if not (code / "disclosure" / "build.py").is_file():
        raise SystemExit(f"no checkout at {code}: the build would silently use the installed package")
    generator = generator_of(code)
    env = {**os.environ, "PYTHONPATH": str(code)}
    for number in range(1, args.repeat + 1):
        site = restore(args.snapshot, args.work, generator, link=args.link)
        if args.cold:
            drop_page_cache()
        argv = [sys.executable, "-m", "disclosure", "build", "--releases", str(args.releases.absolute())]
        argv += ["--out", str(site), "--as-of", args.as_of]
        print(f"replay {number} with {code}", flush=True)
        try:  # prints the step's wall, CPU and peak memory, as the benchmark does
            step = run_step(f"replay {number}", argv, args.work, args.work / "logs", env)
        except StepFailed as exc:
            raise SystemExit(str(exc)) from exc
        print(next((line for line in step.stdout.splitlines() if line.startswith("built ")), ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    saving = commands.add_parser("save", help="copy a built site, its spare and states into SNAPSHOT")
    saving.add_argument("snapshot", type=Path)
    saving.add_argument("--site", type=Path, required=True, help="the site folder a build wrote (--out)")
    running = commands.add_parser("run", help="replay a build from SNAPSHOT with a checkout's code")
    running.add_argument("snapshot", type=Path)
    running.add_argument("--releases", type=Path, required=True)
    running.add_argument("--as-of", required=True)
    running.add_argument(
        "--code", type=Path, default=PROJECT, help="checkout to build with (default: this one)"
    )
    running.add_argument("--work", type=Path, required=True, help="scratch folder, emptied first")
    running.add_argument("--repeat", type=int, default=1)
    running.add_argument("--cold", action="store_true", help="drop the page cache before each build (root)")
    running.add_argument(
        "--link", action="store_true", help="hard-link the snapshot's files instead of copying them"
    )
    args = parser.parse_args()
    if args.command == "save":
        save(args.snapshot, args.site)
    else:
        run(args)


if __name__ == "__main__":
    main()
