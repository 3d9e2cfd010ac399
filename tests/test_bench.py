"""Smoke test of scripts/bench.py: the benchmark still runs end to end on a tiny archive.

Not a timed test: it only guards the script against rot when the CLI or build
output changes (the build's step line is parsed), so that `make bench` works when
someone needs the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("sample", "stage", "sign", "verify", "build full", "build weekly", "build daily", "build daily 2",
         "build weekly 2")  # fmt: skip


@pytest.mark.slow
@pytest.mark.xdist_group("site")
def test_bench_runs_small(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--records", "300", "--skip-peers"]
        + ["--work", str(tmp_path / "work"), "--json", str(out), "--golden-count", "12"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    for step in STEPS:
        assert f"\n{step} " in result.stdout, f"no {step!r} row in:\n{result.stdout}"
    assert "weekly rebuild (2 %) / full build" in result.stdout
    assert "steady weekly rebuild (2 %, from a spare) / full build" in result.stdout
    assert not (tmp_path / "work").exists(), "the scratch folder is removed without --keep"
    figures = json.loads(out.read_text())
    if figures["search"]:  # chromium present: the browser measurement ran and counted Pagefind's files
        assert figures["search"][0]["kb_pagefind"] > 0
        assert figures["golden"]["queries"] == 12 and 0 <= figures["golden"]["recall_at_10"] <= 1
    build = next(s for s in figures["steps"] if s["name"] == "build full")
    assert {"views", "pages", "render", "index"} <= build["build"].keys(), (
        "the build's own step timings were not parsed"
    )
