"""The CLI through its real entry point: click's runner for most, a subprocess for a few."""

from __future__ import annotations

import json
import re

import click
import pytest
from click.testing import CliRunner

import bot.core.encoders
import bot.core.live
from bot.cli import cli
from bot.core.decline import DeclineModel
from tests.conftest import HUBEI, HUBEI_TITLE, FakeEncoder, quantity_only
from tests.documents_fixtures import TASK_LIST


@pytest.fixture
def runner(settings, monkeypatch):
    fake = lambda s, threads=None: FakeEncoder()  # noqa: E731
    monkeypatch.setattr(bot.core.live, "load_encoder", fake)
    monkeypatch.setattr(bot.core.encoders, "load_encoder", fake)
    # The shipped decline model reads e5's cosines, not the fake encoder's.
    monkeypatch.setattr(DeclineModel, "load", classmethod(lambda cls, path: quantity_only()))
    monkeypatch.setattr(bot.core.live, "encoder_variant", lambda s: FakeEncoder.variant)
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


def test_a_goodbye_is_answered_once(runner):
    said = runner("chat", input="两癌筛查\n拜拜\n").output
    assert said.count("再见") == 1 and said.rstrip().endswith("有需要随时来找娘家人。")
    after = runner("chat", input="拜拜\n两癌筛查\n").output
    assert after.count("再见") == 2  # the goodbye, then the usual one when input ends


CARE = "湖北方案 第4项「提升女职工生活品质」"


def test_chat_json_keeps_the_conversation_until_a_blank_line(runner):
    stdin = "湖北方案第4项\n那谁负责\n\n那谁负责\n \n"
    result = runner("chat", "--json", input=stdin)
    assert result.exit_code == 0, result.output
    first, who, after_blank, spaces = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["intent"] == "clause" and first["context"] is None
    assert who["intent"] == "who" and who["context"] == CARE
    assert who["hits"][0]["departments"][:2] == ["女职工部", "宣传部（网络工作部）"]
    assert after_blank["context"] is None and not after_blank["answered"]  # nothing to follow
    assert spaces["query"] == " " and not spaces["answered"]  # only an empty line is a reset


def test_chat_starts_a_new_conversation_at_a_blank_line_too(runner):
    kept = runner("chat", input="湖北方案第4项\n那谁负责\n").output
    reset = runner("chat", input="湖北方案第4项\n\n那谁负责\n").output
    assert "（接上一条：" in kept and "女职工部" in kept.split("（接上一条：")[1]
    assert "（接上一条：" not in reset and "请把问题说完整" in reset


def test_chat_json_reads_bad_bytes_and_退出_as_messages(runner):
    result = runner("chat", "--json", input="两癌".encode() + b"\xff" + "筛查\n退出\n".encode())
    assert result.exit_code == 0, result.output
    bad, quit_ = [json.loads(line) for line in result.stdout.splitlines()]
    assert bad["query"] == "两癌\ufffd筛查" and quit_["query"] == "退出"


def test_chat_logs_follow_ups_and_不对_as_a_dislike(runner, settings):
    import sqlite_utils

    result = runner("chat", input="湖北方案第4项\n那谁负责\n谢谢\n不对\n退出\n两癌筛查\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("（接上一条：") == 2 and result.output.endswith("再见！\n")
    db = sqlite_utils.Database(settings.querylog_path)
    rows = list(db.query("select ref, text, followup, context from queries order by ts, rowid"))
    assert [(r["text"], r["followup"], r["context"]) for r in rows] == [
        ("湖北方案第4项", "", ""),
        ("那谁负责", "who", CARE),
        ("谢谢", "smalltalk", ""),
        ("不对", "alternative", CARE),
    ]
    (feedback,) = db.query("select query_ref, value from feedback")
    assert feedback == {"query_ref": rows[1]["ref"], "value": -1}  # not the 谢谢 reply


def test_run_without_token_is_the_chat(runner):
    result = runner("run", input="五期保护\n")
    assert result.exit_code == 0 and "再见" in result.output


def test_serve_without_token_says_how_to_get_one(runner):
    result = runner("serve")
    assert result.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in result.output
    assert "BotFather" in result.output


def test_docs_list_wraps_each_title_once(runner):
    result = runner("docs", "list")
    assert result.exit_code == 0, result.output
    hubei = result.output.splitlines()[1].split("\t")
    assert hubei[0] == "鄂工办发〔2023〕7号" and hubei[-1] == HUBEI_TITLE
    removing = runner("docs", "remove", "鄂工办发〔2023〕7号", input="n\n").output
    assert removing.startswith(f"将删除{HUBEI_TITLE}（鄂工办发〔2023〕7号，")


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


def test_eval_scores_a_dialogue_file(runner, tmp_path):
    gold = tmp_path / "dialogues.jsonl"
    care = {"doc": "鄂工办发〔2023〕7号", "title": "提升女职工生活品质"}
    rows = [
        {"id": "d1", "turns": [{"kind": "cross", "q": "湖北方案第4项", "gold": [care]},
                               {"kind": "full", "q": "详细说说", "gold": [care]}]},
        {"id": "d2", "turns": [{"kind": "smalltalk", "q": "你好", "gold": []}]},
    ]  # fmt: skip
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner("eval", str(gold), "--details")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    turns = [json.loads(line) for line in lines[:3]]
    assert [(t["id"], t["followup"], t["score"]) for t in turns] == [
        ("d1.0", "", 1.0),
        ("d1.1", "full", 1.0),
        ("d2.0", "smalltalk", 1.0),
    ]
    assert "| follow-up turns         | 1     | 1.000   |" in lines
    assert json.loads(lines[-1])["dialogues"]["turns"] == 3


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


def test_chat_questions_are_logged_and_searchable(runner, settings):
    runner("chat", input="单位有没有哺乳室\n产假有多少天\n")
    result = runner("log", "search", "哺乳室")
    assert result.exit_code == 0 and "单位有没有哺乳室" in result.output
    result = runner("log", "export", "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["单位有没有哺乳室", "产假有多少天"]
    assert all(r["channel"] == "cli" and "user_key" not in r for r in rows)


def test_log_purge_and_bad_age(runner):
    runner("chat", input="单位有没有哺乳室\n")
    assert "已删除 0 条早于 365 天的" in runner("log", "purge", "--older-than", "365d").output
    assert "早于 36 小时的" in runner("log", "purge", "--older-than", "36h").output
    assert "已删除 1 条" in runner("log", "purge", "--older-than", "0d").output
    result = runner("log", "purge", "--older-than", "a year")
    assert result.exit_code == 2 and "365d" in result.output


def test_export_pairs_writes_confirmed_answers(runner, settings, tmp_path):
    from bot.querylog.store import QueryLog, QueryRecord

    log = QueryLog(settings.querylog_path)
    hit = {"doc_code": "鄂工办发〔2023〕7号", "number": "4", "title": "提升女职工生活品质"}
    for ref, title in (("a", hit["title"]), ("b", "已经改名的条款")):
        log.record_query(
            QueryRecord(
                ref,
                "telegram",
                "private",
                "k",
                f"问题{ref}",
                "search",
                True,
                [{**hit, "title": title}],
            )
        )
        log.record_feedback(ref, 1, "k")
    log.close()
    out = tmp_path / "pairs.jsonl"
    result = runner("log", "export-pairs", "--out", str(out))
    assert "写入 1 对，1 对的条款已不在现有文件中" in result.output
    (pair,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert pair["anchor"] == "问题a" and pair["positive"].startswith("提升女职工生活品质。")


@pytest.mark.parametrize("fmt, marker", [("html", "<!doctype html>"), ("md", "# 娘家人")])
def test_report_command(runner, tmp_path, fmt, marker):
    runner("chat", input="宣传部负责什么\n湖北方案第4项\n")
    out = tmp_path / f"report.{fmt}"
    result = runner("report", "--out", str(out), "--format", fmt)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(marker) and "湖北方案 第4项「提升女职工生活品质」" in text
    bad = runner("report", "--out", str(out), "--since", "yesterday")
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output


def test_docs_add_previews_every_clause_and_the_lines_it_skipped(runner, settings, tmp_path):
    path = tmp_path / "tasks.txt"
    path.write_text(TASK_LIST.replace("二、保障措施", "5）开展两癌筛查\n二、保障措施"), "utf-8")
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    result = runner("docs", "add", str(path), input="n\n")
    assert result.exit_code == 0 and "已取消，文件没有变化。" in result.output  # declined
    assert "  · 3 关爱环卫女工\n" in result.output and "  · 5）开展两癌筛查\n" in result.output
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


def test_core_errors_end_as_one_line_with_exit_code_1(runner):
    for args in (
        ["docs", "remove", "没有这个文号", "--yes"],
        ["log", "export", "--since", "yesterday"],
    ):
        result = runner(*args)
        assert result.exit_code == 1, args
        assert result.output.startswith("错误：") and "Traceback" not in result.output, args
    listed = runner("docs", "remove", "不存在〔2020〕1号").output
    assert listed.startswith("错误：没有文号为 不存在〔2020〕1号 的文件。")
    assert listed.endswith("现有：总工发〔2022〕5号、鄂工办发〔2023〕7号\n")


def test_a_bad_setting_exits_with_code_2(monkeypatch):
    monkeypatch.setenv("NIANGJIA_WEBHOOK_PORT", "eighty")
    result = CliRunner().invoke(cli, ["index", "status"])
    assert result.exit_code == 2
    assert result.output.startswith("错误：NIANGJIA_WEBHOOK_PORT")


def test_log_commands_on_a_fresh_log_find_nothing(runner):
    assert runner("log", "search", "哺乳室").output == ""
    result = runner("log", "export", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.startswith("ts,channel")


def test_eval_scores_several_files_together_and_keeps_dialogues_apart(runner, tmp_path):
    first, second, talks = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "d.jsonl"
    oos = {"kind": "oos", "q": "产假一共有多少天", "gold": []}
    first.write_text(json.dumps(oos, ensure_ascii=False), encoding="utf-8")
    second.write_text(
        json.dumps({**oos, "q": "今天天气怎么样"}, ensure_ascii=False), encoding="utf-8"
    )
    talks.write_text(json.dumps({"id": "d", "turns": [oos]}, ensure_ascii=False), encoding="utf-8")
    result = runner("eval", str(first), str(second), "--method", "hybrid", "--details")
    assert result.exit_code == 0, result.output
    assert sum(1 for line in result.output.splitlines() if line.startswith('{"method"')) == 2
    mixed = runner("eval", str(first), str(talks))
    assert mixed.exit_code == 2 and "分开" in mixed.output


def test_chat_starts_without_the_log_when_the_data_folder_cannot_be_written(settings, tmp_path):
    from dataclasses import replace

    from bot.ingest.changes import open_live
    from tests import fake_model_cli

    open_live(settings, encoder=FakeEncoder())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    unwritable = replace(settings, data_dir=blocked / "data")
    result = fake_model_cli.run(unwritable, "chat", stdin="两癌筛查\n")
    assert result.returncode == 0, result.stderr
    assert "提升女职工生活品质" in result.stdout and "再见" in result.stdout
    (note,) = result.stderr.strip().splitlines()
    assert note.startswith("注意：提问记录无法写入，本次对话不记录")


def test_bad_bytes_in_argv_become_replacement_characters(settings):
    import os
    import subprocess
    import sys

    from bot.config import ROOT
    from bot.ingest.changes import open_live
    from tests import fake_model_cli

    open_live(settings, encoder=FakeEncoder())
    argv = [sys.executable, "-m", "tests.fake_model_cli", "ask", "--json"]
    result = subprocess.run(
        [*argv, os.fsencode("两癌") + b"\xff" + os.fsencode("筛查")],
        cwd=ROOT,
        env=fake_model_cli.command_env(settings),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    answer = json.loads(result.stdout)
    assert answer["query"] == "两癌\ufffd筛查"
    assert answer["hits"][0]["title"] == "提升女职工生活品质"  # as for 两癌筛查


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--out"],
        ["log", "export", "--out"],
        ["log", "export-pairs", "--out"],
    ],
    ids=["report", "export", "export-pairs"],
)
def test_an_output_file_that_cannot_be_written_is_one_clear_line(runner, tmp_path, args):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for out, why in (
        (tmp_path / "no" / "such" / "r.html", f"文件夹 {tmp_path / 'no' / 'such'} 不存在"),
        (blocker / "r.html", "不是文件夹"),
        (tmp_path, "这是一个文件夹"),  # a folder itself: in Chinese too, not click's English
    ):
        result = runner(*args, str(out))
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception  # no traceback
        assert result.output.startswith(f"错误：无法写入 {out}：") and why in result.output


def test_a_report_into_a_missing_folder_shows_no_traceback(settings, tmp_path):
    from tests import fake_model_cli

    result = fake_model_cli.run(settings, "report", "--out", "/nonexistent/dir/r.html")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "错误：无法写入 /nonexistent/dir/r.html：文件夹 /nonexistent/dir 不存在。"
        "请先建立这个文件夹，或换一个位置。"
    )


@pytest.fixture
def plan(tmp_path):
    from tests.documents_fixtures import CITY_PLAN

    path = tmp_path / "plan.txt"
    path.write_text(CITY_PLAN, encoding="utf-8")
    return path


def _knowledge(settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(settings.knowledge_dir.iterdir())}


def test_answering_no_at_a_confirmation_cancels_quietly(runner, settings, plan):
    before = _knowledge(settings)
    for answer in ("n\n", "\n", "否\n", "maybe\nn\n"):
        result = runner("docs", "add", str(plan), input=answer)
        assert result.exit_code == 0, result.output
        assert result.output.rstrip().endswith("已取消，文件没有变化。")
        assert "Aborted" not in result.output
    assert "请输入 y（是）或 n（否）。" in result.output  # after "maybe"
    result = runner("docs", "remove", "鄂工办发〔2023〕7号", input="n\n")
    assert result.exit_code == 0 and result.output.rstrip().endswith("已取消，文件没有变化。")
    assert _knowledge(settings) == before


def test_end_of_input_at_a_confirmation_fails_without_a_change(runner, settings, plan):
    before = _knowledge(settings)
    result = runner("docs", "add", str(plan), input="")
    assert result.exit_code == 1 and "Aborted" not in result.output
    assert "错误：没有得到确认，文件没有变化。（不需确认时请加 --yes。）" in result.output
    assert _knowledge(settings) == before


def test_docs_add_refuses_a_code_that_is_no_文号(runner, settings, plan):
    before = _knowledge(settings)
    result = runner("docs", "add", str(plan), "--code", "abc", "--yes")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert (
        result.output.startswith("错误：“abc”看起来不是文号。")
        and "武工发〔2024〕3号" in result.output
    )
    assert _knowledge(settings) == before


def test_tune_reports_out_of_fold_figures_over_draws_of_the_folds(runner, tmp_path):
    care = {"doc": HUBEI, "title": "提升女职工生活品质"}
    rows = [
        {"id": "1", "kind": "worker", "q": "单位有没有哺乳室", "gold": [care]},
        {"id": "2", "kind": "worker", "q": "两癌筛查有没有", "gold": [care]},
        {"id": "3", "kind": "worker", "q": "女职工休息室", "gold": [care]},
        {"id": "4", "kind": "oos", "q": "明天会下雨吗", "gold": []},
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows * 2))
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"q": "红烧肉怎么做", "answerable": false}\n')
    more = tmp_path / "more.jsonl"  # one question of gold.jsonl again, and one out of scope
    extra = {"id": "5", "kind": "oos", "q": "红烧肉怎么做才好吃", "gold": []}
    more.write_text(
        json.dumps(rows[0], ensure_ascii=False) + "\n" + json.dumps(extra, ensure_ascii=False)
    )
    result = runner(
        "tune", str(gold), str(more), str(gold), "--labelled", str(labelled),
        "--folds", "2", "--repeats", "3", "--together", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| top-1" in result.output and "out-of-fold" in result.output
    assert "each of 3 draws of the folds" in result.output
    assert "fold 2 (first draw)" in result.output
    # Each question counts once, in the first file holding it; each file is named once.
    assert "5 个问题在前面的文件里已经有了，只算一次" in result.output
    assert result.output.count("gold.jsonl (n=") == 1
    assert re.search(r"gold\.jsonl \(n=4\): top-1 \d\.\d{3} recall@3 \d\.\d{3}", result.output)
    assert "more.jsonl (n=1): top-1 - recall@3 - false declines -" in result.output
    assert re.search(r"gold\.jsonl \+ more\.jsonl \(n=5\): top-1 \d\.\d{3}", result.output)
    for wrong in ("1", "3"):  # one file is no group; there are two files
        refused = runner("tune", str(gold), str(more), "--together", wrong)
        assert refused.exit_code == 2 and "2 到 2 之间" in refused.output


def test_a_gold_file_that_cannot_be_read_is_named_before_the_index_is_opened(
    runner, settings, tmp_path
):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"q": "两癌筛查", "gold": [["a", "b"]]}\n', encoding="utf-8")
    for command in ("eval", "tune"):
        result = runner(command, str(gold))
        assert result.exit_code == 1, result.output
        assert "第 1 行的字段不对" in result.output and "Traceback" not in result.output
    assert not settings.index_dir.exists()  # nothing was built for a file it cannot read
