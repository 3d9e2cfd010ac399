"""A stage or sign killed at any moment leaves the old state or the new one, never half of either.

The commands run as real processes and are SIGKILLed after a spread of delays; afterwards the
tree must verify as it was (or with the new release complete), and running the command again
must succeed.  (The build's own kill test is in test_build.py.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from disclosure.keys import write_key_pair
from disclosure.verify import check_releases
from tests.conftest import SignedTree, stage_only
from tests.factories import day, penalty_row, write_csv

pytestmark = pytest.mark.xdist_group("crash")
DELAYS = (0.05, 0.3, 0.6, 0.8, 1.0, 1.3)


def run_and_kill(command: list[str], delay: float, env: dict[str, str] | None = None) -> int | None:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(delay)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    return process.wait()


def test_killed_stage_writes_all_or_nothing(signed_releases: SignedTree, tmp_path: Path) -> None:
    batch = write_csv(
        tmp_path / "p.csv", [penalty_row(f"榕市监处罚〔2026〕{8000 + i}号") for i in range(300)]
    )
    for delay in DELAYS:
        root = tmp_path / f"r{delay}"
        shutil.copytree(signed_releases.root, root)
        command = [
            sys.executable,
            "-m",
            "disclosure",
            "stage",
            str(batch),
            "--releases",
            str(root),
            "--date",
            "2026-11-23",
        ]
        code = run_and_kill(command, delay)
        result = check_releases(root, allow_unsigned_tip=True)
        leftovers = [f for f in result.faults if "unexpected file" not in str(f)]
        assert leftovers == [], (delay, code)
        assert len(result.releases) in (4, 5), (delay, code)  # the old tree, or the new release whole
        if len(result.releases) == 4:
            path, again = stage_only(root, [batch], day("2026-11-23"))
            assert path is not None and path.name == "000005", again.errors
        assert check_releases(root, allow_unsigned_tip=True).faults == []


def test_killed_sign_is_unsigned_or_signed_and_can_be_retried(
    signed_releases: SignedTree, office_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    key_path = tmp_path / "office.key"
    write_key_pair(key_path, office_key, b"pw", 2)
    env = {**os.environ, "DISCLOSURE_PASSPHRASE": "pw"}
    batch = write_csv(tmp_path / "p.csv", [penalty_row("榕市监处罚〔2026〕8500号")])
    outcomes = set()
    for delay in DELAYS:
        root = tmp_path / f"r{delay}"
        shutil.copytree(signed_releases.root, root)
        path, _ = stage_only(root, [batch], day("2026-11-23"))
        assert path is not None
        run_and_kill(
            [sys.executable, "-m", "disclosure", "sign", str(path), "--key", str(key_path)], delay, env
        )
        signed = (path / "manifest.sig").exists()
        outcomes.add(signed)
        if signed:
            assert check_releases(root).faults == [], delay
            continue
        assert all(
            "unexpected file .manifest" in str(f)
            for f in check_releases(root, allow_unsigned_tip=True).faults
        )
        retry = subprocess.run(
            [sys.executable, "-m", "disclosure", "sign", str(path), "--key", str(key_path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert retry.returncode == 0, retry.stderr
        assert check_releases(root).faults == [], delay
    assert True in outcomes  # the longest delay lets the signing finish
