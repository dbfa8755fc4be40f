"""The CLI through its real entry point: click's runner for most, a subprocess for a few."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

import bot.loader
from bot.cli import cli
from tests.conftest import FakeEncoder


@pytest.fixture
def runner(settings, monkeypatch):
    monkeypatch.setattr(bot.loader, "load_encoder", lambda s, threads=None: FakeEncoder())
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input, obj={"settings": settings})

    return invoke


def test_ask_json(runner):
    result = runner("ask", "宣传部负责什么", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["intent"] == "dept" and len(data["hits"]) == 6


def test_ask_reads_questions_from_stdin_one_per_line(runner):
    result = runner("ask", "--json", "-k", "2", input="两癌筛查\n\n湖北方案第4项\n")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [d["query"] for d in lines] == ["两癌筛查", "", "湖北方案第4项"]
    assert lines[1]["answered"] is False
    assert len(lines[0]["hits"]) <= 2


def test_chat_ends_at_end_of_input(runner):
    result = runner("chat", input="两癌筛查\n")
    assert result.exit_code == 0
    assert "提升女职工生活品质" in result.output and "再见" in result.output


def test_run_without_token_is_the_chat(runner):
    result = runner("run", input="五期保护\n")
    assert result.exit_code == 0 and "再见" in result.output


def test_serve_without_token_says_how_to_get_one(runner):
    result = runner("serve")
    assert result.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in result.output
    assert "BotFather" in result.output


def test_index_build_and_status(runner):
    result = runner("index", "build")
    assert result.exit_code == 0, result.output
    assert "34 条条款" in result.output
    status = json.loads(runner("index", "status", "--json").output)
    assert status["state"] == "ok" and status["model"] == "fake-bigram-hash"
    assert status["clauses"] == 34


def test_eval_prints_methods_side_by_side(runner, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"id": "a", "kind": "worker", "q": "两癌筛查",
         "gold": [{"doc": "鄂工办发〔2023〕7号", "title": "提升女职工生活品质"}]},
        {"id": "b", "kind": "oos", "q": "产假一共有多少天", "gold": []},
    ]  # fmt: skip
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner("eval", str(gold))
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0]
    assert "bm25" in header and "dense" in header and "hybrid" in header
    assert "out-of-scope declined" in result.output


def test_missing_knowledge_is_a_clear_error(runner, settings):
    for path in settings.knowledge_dir.iterdir():
        path.unlink()
    result = runner("ask", "两癌筛查")
    assert result.exit_code == 1
    assert "错误：" in result.output


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("name, command", list(_commands(cli)))
def test_every_command_has_help_with_an_example(name, command):
    assert command.help and "Example:" in command.help, name
