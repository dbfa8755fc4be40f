"""Imports flow inward, package by package: the core imports none of the others; ingestion and
the query log sit on the core; the Telegram shell and the CLI sit on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
PACKAGES = ("core", "ingest", "querylog", "telegram_bot")
# What each part of the project may import from the others.
ALLOWED = {
    "errors": set(),
    "config": {"errors"},
    "core": {"config", "errors"},
    "ingest": {"config", "errors", "core"},
    "querylog": {"config", "errors", "core"},
    "telegram_bot": {"config", "errors", "core", "ingest", "querylog"},
    "cli": {"config", "errors", "core", "ingest", "querylog", "telegram_bot"},
    "__main__": {"cli"},
}


def part_of(path: Path) -> str:
    relative = path.relative_to(BOT)
    return relative.parts[0] if len(relative.parts) > 1 else path.stem


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


MODULES = sorted(p for p in BOT.rglob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_imports_flow_inward(path):
    part = part_of(path)
    used = {name.split(".")[1] for name in imported(path) if name.startswith("bot.")}
    assert used - {part} <= ALLOWED[part], f"{path.relative_to(BOT)} imports {used - {part}}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_only_the_shells_import_telegram_and_click(path):
    roots = {name.split(".")[0] for name in imported(path)}
    if part_of(path) != "telegram_bot":
        assert "telegram" not in roots
    if part_of(path) != "cli":
        assert "click" not in roots


def test_every_module_belongs_to_a_known_part():
    assert {part_of(p) for p in MODULES} <= set(ALLOWED)
    assert {p.name for p in BOT.iterdir() if p.is_dir() and p.name != "__pycache__"} >= set(
        PACKAGES
    )


def test_only_config_reads_the_environment():
    for path in MODULES:
        if path.name != "config.py":
            assert "os.environ" not in path.read_text(encoding="utf-8"), path.name


def test_no_module_shadows_the_telegram_library():
    assert not list(BOT.rglob("telegram.py"))


def test_a_plain_install_carries_every_package():
    """``pip install .`` (not only the editable install) must find every subpackage."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((BOT.parent / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set(find_packages(str(BOT.parent), include=include))
    folders = {"bot"} | {f"bot.{p.name}" for p in BOT.iterdir() if (p / "__init__.py").exists()}
    assert folders <= found and len(folders) > len(PACKAGES)
