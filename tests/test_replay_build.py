"""Smoke test of scripts/replay_build.py: a saved site replays an incremental build for a checkout.

Not a timed test: it guards the A/B tool (docs/benchmarks.md) against rot when the layout of
states, spare or latest.json changes.  A replay whose states were not taken up would build
everything again, so the test checks that the replayed build reused the saved site's files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from disclosure.build import build_site
from tests.conftest import WEEKS, SignedTree

ROOT = Path(__file__).resolve().parent.parent


def _files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("link", [False, True])
def test_a_saved_site_replays_the_next_build_from_its_states(
    signed_releases: SignedTree, tmp_path: Path, link: bool
) -> None:
    site = tmp_path / "built" / "site"
    build_site(signed_releases.root, WEEKS[-1], site)
    build_site(signed_releases.root, WEEKS[-1] + dt.timedelta(days=1), site)  # now with a spare
    snapshot = tmp_path / "snapshot"
    script = [sys.executable, str(ROOT / "scripts" / "replay_build.py")]
    subprocess.run([*script, "save", str(snapshot), "--site", str(site)], check=True, timeout=120)
    assert {p.name for p in snapshot.iterdir()} == {"site", ".site.spare", ".site.states", "snapshot.json"}
    for latest in (snapshot / "site" / "latest.json", snapshot / ".site.spare" / "latest.json"):
        text = latest.read_text().replace('"generator": "', '"generator": "0-', 1)
        latest.unlink()  # as if another checkout had built it: the replay relabels it
        latest.write_text(text)
    saved = _files(snapshot)
    as_of = (WEEKS[-1] + dt.timedelta(days=2)).isoformat()
    result = subprocess.run(
        [*script, "run", str(snapshot), "--releases", str(signed_releases.root), "--as-of", as_of]
        + ["--work", str(tmp_path / "replay"), "--repeat", "2"]
        + (["--link"] if link else []),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    # Each folder's end (states.write_tree_end) follows its copy and names its relabelled latest.json.
    copies = tmp_path / "replay"
    for tree in (copies / "site", copies / ".site.spare"):
        end = json.loads((copies / ".site.states" / f"{os.stat(tree).st_ino}.end").read_text())
        assert end["latest"] == (tree / "latest.json").read_text() and end["tops"]
    built = re.findall(r"^built .* (\d+) files, (\d+) unchanged \(.*spare", result.stdout, re.MULTILINE)
    assert len(built) == 2, result.stdout  # both replays started from the spare
    for files, unchanged in built:
        assert int(unchanged) > int(files) // 2, result.stdout  # the states were taken up
    # bench.run_step's line for each replay: its wall, CPU and peak memory
    assert re.search(r"^  replay 2 +[\d.]+ s  cpu +[\d.]+ s  peak +\d+ MB", result.stdout, re.MULTILINE)
    # The replays replaced files, never wrote into them: with --link, the snapshot is as saved.
    assert _files(snapshot) == saved


DAYS = {"site": "2026-12-01", "spare": "2026-11-30"}


def test_a_copy_that_takes_another_folder_s_old_inode_keeps_both_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inodes are reused: the restored site may get the number the spare had when it was saved.
    Writing the site's relabelled state first would then overwrite the spare's old one."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import replay_build

    snapshot = tmp_path / "snapshot"
    inodes = {"site": 11, "spare": 22}
    latests = {role: json.dumps({"as_of": day, "generator": "old"}) + "\n" for role, day in DAYS.items()}
    for role, folder in (("site", "site"), ("spare", ".site.spare")):
        (snapshot / folder).mkdir(parents=True)
        (snapshot / folder / "latest.json").write_text(latests[role])
        (snapshot / ".site.states").mkdir(exist_ok=True)
        state: dict[str, object] = {"latest": latests[role], "role": role}
        if role == "site":  # its build's notes on the site it replaced, now the spare (states.py)
            state["replaces"] = {"latest": latests["spare"]}
        (snapshot / ".site.states" / f"{inodes[role]}.json").write_text(json.dumps(state))
    (snapshot / "snapshot.json").write_text(json.dumps({"site": "site", "inodes": inodes}))
    work = tmp_path / "work"
    # The copies' inodes as this file system might deal them: the site gets the spare's old one.
    copies = {str(work / "site"): 22, str(work / ".site.spare"): 33}
    real_stat = os.stat

    def stat(path: str | os.PathLike[str], **options: bool) -> object:
        return (
            SimpleNamespace(st_ino=copies[str(path)]) if str(path) in copies else real_stat(path, **options)
        )

    monkeypatch.setattr(os, "stat", stat)  # the module replay_build uses
    replay_build.restore(snapshot, work, "new")
    states = {p.name: json.loads(p.read_text()) for p in (work / ".site.states").glob("*.json")}
    assert {name: state["role"] for name, state in states.items()} == {"22.json": "site", "33.json": "spare"}
    for name, folder in (("22.json", "site"), ("33.json", ".site.spare")):
        assert states[name]["latest"] == (work / folder / "latest.json").read_text()
        assert json.loads(states[name]["latest"])["generator"] == "new"
    # relabelled too: the spare is still the one the site's build replaced
    assert states["22.json"]["replaces"]["latest"] == (work / ".site.spare" / "latest.json").read_text()


def test_a_linked_copy_copies_what_the_spare_held_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build writes over the files its spare holds alone (tree.rewrite_file): with --link they
    are copied, times kept, so the replay writes them as the real build would, and the snapshot
    keeps its bytes; a file the spare shares with the site stays a link."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import replay_build

    saved = tmp_path / "saved"
    (saved / "data").mkdir(parents=True)
    (saved / "data" / "penalty.csv").write_text("主体名称\r\n")
    (saved / "shared.html").write_text("公示")
    os.link(saved / "shared.html", tmp_path / "site-twin.html")  # the site's name for it
    os.utime(saved / "data" / "penalty.csv", ns=(1, 1_700_000_000_123_456_789))
    alone = replay_build._alone(saved)
    assert alone == ["data/penalty.csv"]
    linked = tmp_path / "linked"
    subprocess.run(["cp", "-al", str(saved), str(linked)], check=True)
    replay_build._copy_alone(saved, linked, alone)
    copied, shared = linked / "data" / "penalty.csv", linked / "shared.html"
    assert os.stat(copied).st_ino != os.stat(saved / "data" / "penalty.csv").st_ino
    assert (
        copied.read_bytes() == "主体名称\r\n".encode()
        and os.stat(copied).st_mtime_ns == 1_700_000_000_123_456_789
    )
    assert os.stat(shared).st_ino == os.stat(saved / "shared.html").st_ino
