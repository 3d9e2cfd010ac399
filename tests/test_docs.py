"""Every Pelican setting the project sets is documented (the CLI has its own test in test_cli.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_pelican_setting_is_documented() -> None:
    tree = ast.parse((ROOT / "pelicanconf.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and name.id.isupper():
                    names.add(name.id)
    docs = (ROOT / "docs" / "site.md").read_text(encoding="utf-8")
    assert names, "pelicanconf.py defines no settings?"
    assert sorted(n for n in names if f"`{n}`" not in docs) == []
