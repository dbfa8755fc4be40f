"""The training-needs report, on a tiny log and on a synthetic one of 100,000 questions."""

from __future__ import annotations

import base64
import re

import pytest

from bot.querylog.report import (
    FOLLOWUP_LABELS,
    build_report,
    cluster_questions,
    gather,
    to_html,
    to_markdown,
)
from bot.querylog.store import QueryLog
from tests.conftest import FakeEncoder
from tests.synthetic_log import make_log


def ask(qlog: QueryLog, qa, text: str, i: int, followup: str = "", context: str = "") -> None:
    qlog.record_answer(
        qa.ask(text),
        channel="cli",
        chat_type="terminal",
        user="",
        text=text,
        latency_ms=10,
        ref=f"r{i}",
        followup=followup,
        context=context,
    )


@pytest.fixture
def small_log(tmp_path, qa):
    qlog = QueryLog(tmp_path / "querylog.db")
    questions = ["宣传部负责什么", "湖北方案第4项", "湖北方案第4项", "全总意见第（五）条"]
    for i, q in enumerate(questions):
        ask(qlog, qa, q, i)
    for i, q in enumerate(["   ", "😀", "hello", "产假", "产假天数", "加班费"], start=10):
        ask(qlog, qa, q, i)  # declined: empty, emoji, English, and (threshold 0) no hits?
    qlog.record_feedback("r1", -1, "k")
    qlog.close()
    return tmp_path / "querylog.db"


def test_a_small_log_reads_well(small_log, qa):
    data = gather(small_log, qa.place, FakeEncoder())
    assert data.total == 8 and data.unreadable == 2  # "   " and 😀 are no questions
    assert data.clauses[0] == ("湖北方案 第4项「提升女职工生活品质」", 2)
    assert data.weeks and sum(w[1] for w in data.weeks) == 8
    assert sum(c.size for c in data.clusters) == data.total - data.answered
    assert data.disliked[0].question == "湖北方案第4项"
    assert data.disliked[0].clause == "湖北方案 第4项「提升女职工生活品质」"
    assert any("湖北方案 第4项" in s for s in data.suggestions)
    page = to_html(data)
    assert page.startswith("<!doctype html>") and "建议的培训重点" in page
    assert "湖北方案 第4项「提升女职工生活品质」" in page
    assert "<script" not in page and 'src="http' not in page  # self-contained
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    markdown = to_markdown(data)
    assert "| 湖北方案 第4项「提升女职工生活品质」 | 2 |" in markdown


def test_a_period_selects_its_questions(small_log, qa):
    data = gather(small_log, qa.place, None, since="2000-01-01", until="2000-12-31")
    assert data.total == 0 and data.suggestions == ["这段时间没有提问记录，暂无建议。"]
    assert "没有记录" in to_html(data)
    assert "这段时间没有追问。" in to_html(data) and "这段时间没有追问。" in to_markdown(data)


def test_a_log_without_follow_ups_says_so_in_one_line(small_log, qa):
    data = gather(small_log, qa.place, FakeEncoder())
    assert (data.followups, data.followup_kinds, data.wanting_more) == (0, [], [])
    markdown = to_markdown(data)
    section = markdown.split("## 追问：大家接着问什么")[1].split("##")[0]
    assert section.strip() == "这段时间没有追问。"


HUBEI_4 = "湖北方案 第4项「提升女职工生活品质」"
QUANZONG_5 = "全总意见 第（五）条「维护女职工合法权益和特殊利益」"


def test_the_report_says_what_people_ask_next(tmp_path, qa):
    qlog = QueryLog(tmp_path / "querylog.db")
    turns = [
        ("湖北方案第4项", "", ""),
        *[("那谁负责？", "who", HUBEI_4)] * 3,
        ("详细说说", "full", HUBEI_4),
        *[("详细说说", "full", QUANZONG_5)] * 2,
        ("还有吗", "more", QUANZONG_5),
        ("下一项", "next", HUBEI_4),
        ("上一条", "previous", HUBEI_4),
        ("那组织部呢", "ellipsis", "组织部"),
        ("不对", "alternative", HUBEI_4),
        ("谢谢", "smalltalk", ""),
        *[("说简单点", "simpler", QUANZONG_5)] * 3,
    ]
    for i, (text, kind, context) in enumerate(turns):
        ask(qlog, qa, text, i, kind, context)
    qlog.close()
    data = gather(tmp_path / "querylog.db", qa.place, FakeEncoder())
    assert data.total == 15 and data.followups == 14 and data.followup_share == 14 / 15  # no 谢谢
    assert data.followup_kinds == [
        ("追问责任单位", 3),
        ("要看全文", 3),
        ("要求说简单点", 3),
        ("上一条/下一条", 2),
        ("还有吗", 1),
        ("换个对象接着问", 1),
        ("说“不对”", 1),
    ]
    assert data.wanting_more == [
        ("who", HUBEI_4, 3),
        ("full", QUANZONG_5, 2),
        ("full", HUBEI_4, 1),
        ("more", QUANZONG_5, 1),
        ("simpler", QUANZONG_5, 3),
    ]
    assert f"{HUBEI_4}（3 次）答完后常被追问“谁负责”" in " ".join(data.suggestions)
    assert f"{QUANZONG_5}（3 次）常被要求“说简单点”" in " ".join(data.suggestions)
    assert not any("详细说说" in s for s in data.suggestions)  # 2 is not many
    page = to_html(data)
    assert "<h2>追问：大家接着问什么</h2>" in page and "占全部问题的 93%" in page
    assert f'<tr><td>追问责任单位</td><td>{HUBEI_4}</td><td class="n">3</td></tr>' in page
    markdown = to_markdown(data)
    assert "| 要看全文 | 3 | 21% |" in markdown
    assert f"| 要看全文 | {QUANZONG_5} | 2 |" in markdown


def test_questions_with_markup_are_escaped(tmp_path, qa):
    qlog = QueryLog(tmp_path / "querylog.db")
    ask(qlog, qa, "<script>alert(1)</script>产假", 1)
    qlog.record_feedback("r1", -1, "k")  # so that the question is listed
    ask(qlog, qa, "那谁负责", 2, "who", "<script>alert(2)</script>条款")
    qlog.close()
    page = to_html(gather(tmp_path / "querylog.db", qa.place, FakeEncoder()))
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;条款" in page


def test_the_markdown_report_cannot_be_written_into(tmp_path, qa):
    markdown_it = pytest.importorskip("markdown_it")  # installed with rich, not a dependency

    qlog = QueryLog(tmp_path / "querylog.db")
    hostile = [
        "<script>alert(1)</script>产假",
        "</td><h1>大标题</h1>工资",
        "[点我](javascript:alert(1))加班费",
        "看 https://evil.example 和 www.evil.example",
        "**粗体** `代码` | 表格",
    ]
    for i, text in enumerate(hostile):
        ask(qlog, qa, text, i)
        qlog.record_feedback(f"r{i}", -1, "k")  # so that each is listed with its question
    qlog.close()
    markdown = to_markdown(gather(tmp_path / "querylog.db", qa.place, FakeEncoder()))
    assert "<script>" not in markdown and "&lt;script&gt;alert" in markdown
    assert "<h1>" not in markdown and "](javascript" not in markdown
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script" not in rendered and "<h1>大标题" not in rendered
    assert "<a " not in rendered and "<strong>粗体" not in rendered and "<code>" not in rendered
    assert "javascript：alert" in rendered and "https：//evil.example" in rendered


def test_messages_of_no_letters_are_counted_apart_and_form_no_topic(tmp_path, qa):
    from bot.querylog import queries

    qlog = QueryLog(tmp_path / "querylog.db")
    for i, text in enumerate(["😀😀", "\u200b\u200b", "👍👍👍", "！？", "产假有多少天", "😀😀"]):
        ask(qlog, qa, text, i)
    qlog.close()
    path = tmp_path / "querylog.db"
    data = gather(path, qa.place, FakeEncoder())
    assert data.total == 1 and data.unreadable == 5
    assert [q for c in data.clusters for q in c.examples] == ["产假有多少天"]
    assert all(any(ch.isalnum() for ch in word) for word, _ in data.topics)
    assert "另有 5 条无法理解的消息" in to_html(data) and "另有 5 条无法理解的消息" in to_markdown(
        data
    )
    (week,) = queries.stats(path).windows[:1]
    assert (week.asked, week.unreadable) == (1, 5)


def test_unanswered_questions_are_grouped_by_meaning():
    class TwoTopics:
        """Questions about 产假 point one way, about 工资 the other."""

        def encode_queries(self, texts):
            import numpy as np

            return np.array([[1.0, 0.0] if "产假" in t else [0.0, 1.0] for t in texts], "float32")

    counted = [
        ("产假多少天", 5),
        ("工资怎么算", 4),
        ("产假几天", 3),
        ("拖欠工资", 2),
        ("陪产假", 1),
    ]
    clusters = cluster_questions(counted, TwoTopics())
    assert [(c.size, sorted(c.examples)) for c in clusters] == [
        (9, ["产假几天", "产假多少天", "陪产假"]),
        (6, ["工资怎么算", "拖欠工资"]),
    ]


def test_a_hundred_thousand_questions(tmp_path, docs, qa):
    path = tmp_path / "querylog.db"
    written = make_log(path, docs, 100_000)
    data = gather(path, qa.place, FakeEncoder())
    asked = 100_000 - written["smalltalk"]  # 谢谢 is no question
    assert data.total == asked and data.answered == written["answered"]
    assert sum(a for _, a, _ in data.weeks) == asked and 26 <= len(data.weeks) <= 28
    (doc, number, title), top_count = max(written["by_clause"].items(), key=lambda kv: kv[1])
    assert data.clauses[0] == (qa.place(doc, number, title), top_count)
    assert sum(c.size for c in data.clusters) == written["unanswered"]
    assert data.disliked_total == written["disliked"] and len(data.disliked) == 30
    assert data.departments and data.departments[0][1] > 0
    followups = {key: n for key, n in written["followups"].items() if key[0] != "smalltalk"}
    assert data.followups == sum(followups.values()) and 0.1 < data.followup_share < 0.2
    by_label: dict[str, int] = {}
    for (kind, _), n in followups.items():
        by_label[FOLLOWUP_LABELS[kind]] = by_label.get(FOLLOWUP_LABELS[kind], 0) + n
    assert dict(data.followup_kinds) == by_label and len(by_label) == 7
    assert data.followup_kinds[0][0] == "追问责任单位"  # the most common in the synthetic log
    for kind in ("who", "full", "more"):
        drew = sorted(((-n, c) for (k, c), n in followups.items() if k == kind))[:5]
        assert [(c, n) for k, c, n in data.wanting_more if k == kind] == [(c, -n) for n, c in drew]
    page = to_html(data)
    assert len(page) < 1_000_000 and "仅列出最近 30 条" in page
    assert "答完后常被追问“谁负责”" in page


def test_build_report_through_the_qa(small_log, qa):
    assert "培训需求分析" in build_report(small_log, qa, "md")


def test_small_talk_and_bare_follow_ups_are_neither_questions_nor_topics(tmp_path, qa, monkeypatch):
    """A conversation logged as the bot logs it (each turn's kind from the dialogue)."""
    import bot.core.dialogue
    from bot.core.dialogue import Dialogue

    monkeypatch.setattr(bot.core.dialogue, "RANKING_SHARE", 0.0)  # 不对 finds an alternative

    dialogue, talk = Dialogue(qa), None
    qlog = QueryLog(tmp_path / "querylog.db")
    messages = [
        *["你好", "谢谢", "那谁负责", "详细说说", "还有吗", "不对"],  # nothing to follow yet
        *["你好，请问单位有没有哺乳室", "那谁负责", "详细说说", "还有吗", "不对", "谢谢"],
        *["哺乳室由哪个部门负责？谢谢", "那托育呢", "产假有多少天", "好的谢谢"],
    ]
    for i, text in enumerate(messages):
        turn = dialogue.respond(text, talk)
        qlog.record_turn(turn, channel="cli", chat_type="terminal", user="", text=text,
                         latency_ms=1, ref=f"r{i}")  # fmt: skip
        talk = turn.context
    qlog.close()
    data = gather(tmp_path / "querylog.db", qa.place, FakeEncoder())
    assert data.total == 8  # 哺乳室 twice, 产假, and five follow-ups of an answer (托育 one)
    assert data.followups == 5 and "clarify" not in dict(data.followup_kinds)
    assert [q for c in data.clusters for q in c.examples] == ["产假有多少天"]
    assert data.total - data.answered == 1
    topics = dict(data.topics)
    assert topics["哺乳室"] == 2 and topics["托育"] == 1 and topics["产假"] == 1
    chat = {"你好", "谢谢", "负责", "还有", "详细", "不对", "部门", "单位", "好的"}
    assert not chat & set(topics), topics
