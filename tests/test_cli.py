"""The command-line interface: documented completely, and wired to the library."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from disclosure.cli import build_parser, main

DOCS = Path(__file__).parent.parent / "docs" / "cli.md"


def walk(
    parser: argparse.ArgumentParser, prefix: str = "disclosure"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, f"{prefix} {name}")


def test_every_command_and_option_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    missing = []
    for command, parser in walk(build_parser()):
        if command != "disclosure" and f"`{command}" not in docs:
            missing.append(command)
        for action in parser._actions:
            for option in action.option_strings:
                if f"`{option}" not in docs and f" {option}" not in docs:
                    missing.append(f"{command} {option}")
            positional = not action.option_strings and not action.dest.endswith("command")
            if positional and action.metavar and str(action.metavar) not in docs:
                missing.append(f"{command} {action.metavar}")
    assert missing == []


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stage"])
    assert exc.value.code == 2


def test_the_command_exits_at_once_with_its_output_flushed(tmp_path: Path) -> None:
    """``run`` (the ``disclosure`` script) leaves by ``os._exit``: into a pipe, stdout is buffered,
    and what the command printed must still arrive."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-m", "disclosure", "keygen", "--out", str(tmp_path / "key"), "--kdf-rounds", "4"],
        env={**env, "DISCLOSURE_PASSPHRASE": "测试口令"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip()) == 64  # the key id
    failed = subprocess.run(
        [sys.executable, "-m", "disclosure", "verify", "--releases", str(tmp_path / "none")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1 and failed.stderr.strip()


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--as-of", "2026-13-01"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err


@pytest.mark.xdist_group("site")
def test_the_office_week_as_the_readme_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """keygen -> init -> sample -> stage -> preview -> sign -> verify -> due/report -> build -> verify --site."""
    import json

    monkeypatch.setenv("DISCLOSURE_PASSPHRASE", "一个很长的口令")
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> str:
        capsys.readouterr()
        assert main(list(argv)) == 0, capsys.readouterr().err
        return capsys.readouterr().out

    key_id = run("keygen", "--out", "office.key", "--kdf-rounds", "2").strip()
    assert len(key_id) == 64 and "PRIVATE" not in key_id
    assert (tmp_path / "office.key").stat().st_mode & 0o777 == 0o600
    assert (
        run("init", "--releases", "rel", "--pubkey", "office.key.pub", "--date", "2026-01-01").strip()
        == key_id
    )
    for number, week in enumerate(("2026-11-09", "2026-11-16"), start=1):
        args = ["sample", "--out", f"inbox{number}", "--records", "60", "--seed", str(number), "--week", week]
        files = run(*args, *(["--releases", "rel"] if number > 1 else [])).split()
        staged = run("stage", *files, "--releases", "rel", "--date", week).splitlines()[-1]
        assert Path(staged).name == f"{number:06d}"
        assert "未签名" in run("preview", staged, "--releases", "rel")
        run("sign", staged, "--key", "office.key")
    assert "OK: 2 releases" in run("verify", "--releases", "rel")
    due = json.loads(run("due", "--releases", "rel", "--as-of", "2026-11-20", "--within", "400", "--json"))
    assert due and {"id", "kind", "until"} <= set(due[0])
    report = json.loads(run("report", "timeliness", "--releases", "rel", "--json"))
    assert report and {"department", "total", "late"} <= set(report[0])
    assert sum(d["late"] for d in report) > 0  # the sample publishes some decisions late
    run("build", "--releases", "rel", "--as-of", "2026-11-20", "--out", "site")
    assert (tmp_path / "site" / "index.html").exists()
    assert "matches the signed releases" in run("verify", "--releases", "rel", "--site", "site")
