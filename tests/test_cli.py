"""The command-line interface: documented completely, and wired to the library."""

from __future__ import annotations

import argparse
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


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--as-of", "2026-13-01"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err
