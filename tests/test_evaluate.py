"""Scoring dialogues: each turn for its kind, files read, conversations played in the engine."""

from __future__ import annotations

import json

import pytest

from bot.core.dialogue import Dialogue
from bot.core.evaluate import (
    Example,
    evaluate_dialogues,
    format_dialogue_table,
    is_dialogue_file,
    read_dialogues,
    read_examples,
    score_turn,
)
from bot.core.replies import Hit, reply
from bot.errors import GoldFileError
from tests.conftest import HUBEI, NATIONAL

CARE = (HUBEI, "提升女职工生活品质")
RIGHTS = (HUBEI, "维护女职工合法权益和特殊利益")
COVERAGE = "扩大工会女职工组织覆盖"
DEPTS = ["女职工部", "宣传部（网络工作部）"]


def hit(doc_title: tuple[str, str], departments: list[str] | None = None) -> Hit:
    doc, title = doc_title
    return Hit(
        doc,
        "文件",
        "4",
        title,
        f"{doc} {title}",
        "引文",
        f"{title}的全文。",
        departments or [],
        None,
        1.0,
    )


def answer(*hits: Hit, intent: str = "search", answered: bool = True, view: str = "quote"):
    return reply("问题", intent, answered, "", list(hits), view)


def example(kind: str, *gold: tuple[str, str], depts: list[str] | None = None) -> Example:
    return Example("x", kind, "问题", list(gold), depts=depts)


@pytest.mark.parametrize(
    "kind, gold, ans, right",
    [
        ("worker", [CARE], answer(hit(CARE)), 1.0),
        ("worker", [CARE], answer(hit(RIGHTS), hit(CARE)), 0.0),  # only the top counts
        ("worker", [CARE], answer(hit(CARE), answered=False), 0.0),  # a decline ranks nothing
        ("oos", [], answer(hit(CARE), answered=False), 1.0),
        ("oos", [], answer(hit(CARE)), 0.0),
        ("smalltalk", [], answer(intent="smalltalk", view="none"), 1.0),
        ("smalltalk", [], answer(hit(CARE)), 0.0),
        ("dept", [CARE, RIGHTS], answer(hit(RIGHTS), hit(CARE), intent="dept"), 1.0),
        ("dept", [CARE, RIGHTS], answer(hit(CARE), intent="dept"), 0.0),
        ("dept", [CARE], answer(hit(CARE), hit(RIGHTS), intent="dept"), 0.0),
        ("full", [CARE], answer(hit(CARE), view="full"), 1.0),
        ("full", [CARE], answer(hit(CARE), view="quote"), 0.0),  # only a quote shown
    ],
)
def test_score_turn_kind_by_kind(kind, gold, ans, right):
    assert score_turn(example(kind, *gold), ans, None) == right


def test_a_who_turn_needs_the_gold_clause_with_exactly_its_departments():
    ex = example("who", CARE, depts=DEPTS)
    assert score_turn(ex, answer(hit(CARE, DEPTS), intent="who"), None) == 1.0
    assert score_turn(ex, answer(hit(CARE, DEPTS[:1]), intent="who"), None) == 0.0
    assert score_turn(ex, answer(hit(RIGHTS, DEPTS), intent="who"), None) == 0.0


def test_a_more_turn_must_show_something_new():
    ex = example("more", CARE, RIGHTS)
    assert score_turn(ex, answer(hit(RIGHTS)), previous_top=CARE) == 1.0
    assert score_turn(ex, answer(hit(CARE)), previous_top=CARE) == 0.0


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def gold(*pairs: tuple[str, str]) -> list[dict]:
    return [{"doc": doc, "title": title} for doc, title in pairs]


DIALOGUES = [
    {
        "id": "d1",
        "turns": [
            {"kind": "worker", "q": "两癌筛查", "gold": gold(CARE)},
            {"kind": "who", "q": "那谁负责", "gold": gold(CARE),
             "depts": ["女职工部", "宣传部（网络工作部）", "权益保障部（法律工作部）",
                       "经济技术劳动保护部", "基层工作部"]},
            {"kind": "full", "q": "详细说说", "gold": gold(CARE)},
        ],
    },
    {
        "id": "d2",
        "turns": [
            {"kind": "smalltalk", "q": "你好", "gold": []},
            {"kind": "cross", "q": "湖北方案第4项", "gold": gold(CARE)},
            {"kind": "cross", "q": "下一项", "gold": gold((HUBEI, COVERAGE))},
            {"kind": "cross", "q": "全总意见对应哪条", "gold": gold((NATIONAL, COVERAGE))},
        ],
    },
]  # fmt: skip


def test_read_dialogues_numbers_the_turns(tmp_path):
    path = write_jsonl(tmp_path / "dialogues.jsonl", DIALOGUES)
    assert is_dialogue_file(path)
    assert not is_dialogue_file(write_jsonl(tmp_path / "single.jsonl", [{"q": "两癌筛查"}]))
    first, second = read_dialogues(path)
    assert first.id == "d1" and [t.id for t in first.turns] == ["d1.0", "d1.1", "d1.2"]
    assert first.turns[1].kind == "who" and first.turns[1].gold == [CARE]
    assert first.turns[1].depts[0] == "女职工部"
    assert second.turns[0].gold == [] and second.turns[0].kind == "smalltalk"


def test_evaluate_dialogues_plays_each_from_a_fresh_context(qa, tmp_path):
    # The second dialogue starts with small talk: nothing of the first may carry over.
    path = write_jsonl(tmp_path / "dialogues.jsonl", DIALOGUES)
    scores, rows = evaluate_dialogues(Dialogue(qa), read_dialogues(path))
    assert [r["id"] for r in rows] == ["d1.0", "d1.1", "d1.2", "d2.0", "d2.1", "d2.2", "d2.3"]
    assert [r["followup"] for r in rows] == ["", "who", "full", "smalltalk", "", "next", "parallel"]
    assert (
        rows[0]["context"] is None and rows[1]["context"] == "湖北方案 第4项「提升女职工生活品质」"
    )
    assert all(r["score"] == 1.0 for r in rows), [r for r in rows if r["score"] != 1.0]
    assert (scores.dialogues, scores.turns, scores.followups) == (2, 7, 5)
    assert scores.all_turns == scores.followup_turns == 1.0
    assert scores.per_kind["cross"] == {"n": 3, "score": 1.0}
    table = format_dialogue_table(scores)
    assert "| follow-up turns         | 5     | 1.000   |" in table
    assert "| who                     | 1     | 1.000   |" in table


@pytest.mark.parametrize(
    "line, says",
    [
        ("not json", "第 2 行不是 JSON"),
        ("[1, 2]", "第 2 行不是 JSON 对象"),
        ('{"gold": []}', "第 2 行的字段不对"),
        ('{"q": "哺乳室", "gold": [["a", "b"]]}', "第 2 行的字段不对"),
        ('{"q": 7, "gold": []}', "第 2 行的字段不对"),
    ],
    ids=["not JSON", "not an object", "no question", "gold as pairs", "question not text"],
)
def test_a_gold_file_that_cannot_be_read_names_its_line(tmp_path, line, says):
    path = tmp_path / "gold.jsonl"
    good = {"q": "两癌筛查", "gold": [{"doc": HUBEI, "title": "提升女职工生活品质"}]}
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(GoldFileError, match=says):
        read_examples(path)


def test_a_dialogue_file_with_a_broken_turn_names_its_line(tmp_path):
    path = tmp_path / "dialogues.jsonl"
    path.write_text('{"id": "x", "turns": [{"gold": []}]}\n', encoding="utf-8")
    assert is_dialogue_file(path)
    with pytest.raises(GoldFileError, match="第 1 行"):
        read_dialogues(path)


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes("两癌".encode("gbk"))
    with pytest.raises(GoldFileError, match="UTF-8"):
        read_examples(path)
