"""Button data: what the bot puts on buttons parses back; anything else is refused."""

from __future__ import annotations

import json

import pytest

from bot.telegram_bot.keyboards import (
    InvalidButton,
    answer_keyboard,
    confirm_keyboard,
    parse,
    without_feedback,
)


def datas(markup) -> list:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_every_button_of_an_answer_parses_back_and_is_json(qa):
    for question in ("哪个部门负责婚恋交友服务", "湖北方案第4项", "宣传部负责什么"):
        answer = qa.ask(question)
        markup = answer_keyboard(answer)
        for data in datas(markup):
            assert json.loads(json.dumps(data)) == data  # the persistence stores JSON
            press = parse(json.loads(json.dumps(data)))  # tuples come back as lists
            for ref, _ in press.refs:
                assert qa.clause_of(ref) is not None


def test_a_search_answer_has_full_more_parallel_and_feedback(qa):
    markup = answer_keyboard(qa.ask("哪个部门负责婚恋交友服务"))
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["全文", "更多相关条款", "对应条款", "👍", "👎"]
    assert [parse(d).action for d in datas(markup)] == ["full", "more", "par", "up", "down"]
    assert without_feedback(markup).inline_keyboard == markup.inline_keyboard[:-1]


def test_an_answer_without_hits_has_no_buttons(qa):
    assert answer_keyboard(qa.ask("")) is None


def test_confirmation_buttons_carry_the_pending_change():
    presses = [parse(d) for d in datas(confirm_keyboard("abc", "确认加入"))]
    assert [(p.action, p.pending) for p in presses] == [("confirm", "abc"), ("cancel", "abc")]


@pytest.mark.parametrize(
    "data",
    [
        None,
        "1|f|AAAAAAAAAAAA|0",
        {},
        {"do": "nuke"},
        {"do": "full"},
        {"do": "full", "ref": ["a", "b"]},
        {"do": "full", "ref": ["a", "b", "c", "0"]},
        {"do": "more", "refs": []},
        {"do": "more", "refs": [["a", "b", "c", 0]] * 21},
        {"do": "confirm", "id": 5},
    ],
)
def test_malformed_data_is_refused(data):
    with pytest.raises(InvalidButton):
        parse(data)
