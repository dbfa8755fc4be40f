"""The answer's plain-text parts that stand alone: a document's title in 书名号, an answer
given another lead."""

from __future__ import annotations

import pytest

from bot.core.replies import Hit, book_title, relead, reply


@pytest.mark.parametrize(
    "title, shown",
    [
        (
            "中华全国总工会关于加强新时代工会女职工工作的意见",
            "《中华全国总工会关于加强新时代工会女职工工作的意见》",
        ),
        (
            "湖北省总工会贯彻落实《全总意见》实施方案",
            "《湖北省总工会贯彻落实〈全总意见〉实施方案》",
        ),
        ("《武汉市工作方案》", "《武汉市工作方案》"),  # wrapped already: not again
        (" 《落实〈意见〉的方案》 ", "《落实〈意见〉的方案》"),
        ("《意见》落实方案《细则》", "《〈意见〉落实方案〈细则〉》"),  # not wrapped whole
        ("《没有合上", "《〈没有合上》"),
    ],
)
def test_a_title_is_wrapped_once_with_inner_marks_nested(title, shown):
    assert book_title(title) == shown
    assert book_title(shown) == shown


def test_an_answer_given_another_lead_keeps_the_rest_and_renders_again():
    hit = Hit(
        "鄂",
        "湖北方案",
        "4",
        "提升女职工生活品质",
        "湖北方案 第4项",
        "引文。",
        "全文。",
        [],
        None,
        1.0,
    )
    first = reply("单位有哺乳室吗", "search", True, "文件里的相关规定：", [hit], "quote", "c")
    again = relead(first, "抱抱您。", "唉，单位有哺乳室吗")
    assert (again.intent, again.answered, again.hits, again.view, again.context) == (
        "search",
        True,
        [hit],
        "quote",
        "c",
    )
    assert again.query == "唉，单位有哺乳室吗" and again.message.startswith("抱抱您。")
    assert "文件里的相关规定" not in again.message
    assert relead(first, "").query == "单位有哺乳室吗"


def test_departments_named_in_the_lead_are_not_listed_again_under_the_clause():
    hit = Hit(
        "鄂",
        "湖北方案",
        "4",
        "t",
        "湖北方案 第4项",
        "引文。",
        "全文。",
        ["甲部", "乙部"],
        None,
        1.0,
    )
    told = reply("谁负责", "who", True, "这项工作的责任单位是：甲部、乙部。", [hit])
    assert told.message.count("甲部、乙部") == 1
    plain = reply("哺乳室", "search", True, "", [hit])
    assert "责任单位：甲部、乙部" in plain.message
    other = reply("谁负责", "who", True, "这项工作的责任单位是：甲部。", [hit])
    assert "责任单位：甲部、乙部" in other.message  # not the same list: shown
