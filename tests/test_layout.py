"""Imports flow inward: the core never imports Telegram or the CLI library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
SHELLS = {"cli.py", "__main__.py", "telegram_app.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported(path)}


@pytest.mark.parametrize("path", sorted(p for p in BOT.glob("*.py") if p.name not in SHELLS))
def test_core_imports_neither_telegram_nor_click(path):
    assert not imported_roots(path) & {"telegram", "click"}, path.name
    shells = {f"bot.{name.removesuffix('.py')}" for name in SHELLS}
    assert not imported(path) & shells, path.name


def test_only_config_reads_the_environment():
    for path in BOT.glob("*.py"):
        if path.name != "config.py":
            assert "os.environ" not in path.read_text(encoding="utf-8"), path.name


def test_no_module_shadows_the_telegram_library():
    assert not (BOT / "telegram.py").exists()
