"""Smoke test of scripts/replay_build.py: a saved site replays an incremental build for a checkout.

Not a timed test: it guards the A/B tool (docs/benchmarks.md) against rot when the layout of
states, spare or latest.json changes.  A replay whose states were not taken up would build
everything again, so the test checks that the replayed build reused the saved site's files.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

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
    built = re.findall(r"^built .* (\d+) files, (\d+) unchanged \(.*spare", result.stdout, re.MULTILINE)
    assert len(built) == 2, result.stdout  # both replays started from the spare
    for files, unchanged in built:
        assert int(unchanged) > int(files) // 2, result.stdout  # the states were taken up
    # bench.run_step's line for each replay: its wall, CPU and peak memory
    assert re.search(r"^  replay 2 +[\d.]+ s  cpu +[\d.]+ s  peak +\d+ MB", result.stdout, re.MULTILINE)
    # The replays replaced files, never wrote into them: with --link, the snapshot is as saved.
    assert _files(snapshot) == saved
