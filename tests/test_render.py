"""Answers as Telegram HTML: escaping, and splitting under the length limit."""

from __future__ import annotations

import re

import pytest

from bot.telegram_bot.render import (
    TELEGRAM_LIMIT,
    Para,
    answer_paras,
    hit_paras,
    more_paras,
    pack,
    start_paras,
    utf16_len,
)

TAGS = re.compile(r"</?(b|i|blockquote)>")


def visible(html: str) -> str:
    return TAGS.sub("", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_document_and_user_text_is_escaped():
    html = Para("<script>a & b</script>", "b").html()
    assert html == "<b>&lt;script&gt;a &amp; b&lt;/script&gt;</b>"


def test_short_paragraphs_stay_in_one_message():
    assert pack([Para("甲", "b"), Para(""), Para("乙")]) == ["<b>甲</b>\n\n乙"]


@pytest.mark.parametrize("limit", [60, 200, TELEGRAM_LIMIT])
def test_long_text_splits_at_sentence_ends_and_loses_nothing(limit):
    text = "".join(f"第{i}句话说明女职工权益。" for i in range(400))
    messages = pack([Para("标题", "b"), Para(text, "blockquote"), Para("完")], limit)
    assert len(messages) > 1
    assert all(utf16_len(m) <= limit for m in messages)
    for m in messages:
        assert m.count("<blockquote>") == m.count("</blockquote>")  # tags never cut apart
    assert all(visible(m).rstrip().endswith("。") for m in messages[:-1])
    assert "".join(visible(m).replace("\n", "") for m in messages) == "标题" + text + "完"


def test_a_sentence_longer_than_a_message_is_cut_and_escaping_is_counted():
    text = "&" * 300 + "。"
    messages = pack([Para(text)], limit=100)
    assert all(utf16_len(m) <= 100 for m in messages)
    assert "".join(visible(m) for m in messages) == text


def test_emoji_count_as_two_units():
    assert utf16_len("😀") == 2
    messages = pack([Para("😀" * 60)], limit=50)
    assert all(utf16_len(m) <= 50 for m in messages)


def test_an_answer_shows_place_quote_departments_and_parallel(qa):
    answer = qa.ask("湖北方案第4项")
    html = "\n".join(p.html() for p in answer_paras(answer))
    assert "<b>湖北方案 第4项「提升女职工生活品质」</b>" in html
    assert "<i>鄂工办发〔2023〕7号</i>" in html
    assert "责任单位：女职工部、宣传部（网络工作部）" in html
    assert "对应条款：全总意见 第（六）条「提升女职工生活品质」" in html


def test_a_who_answer_leads_with_the_departments(qa):
    answer = qa.ask("哪个部门负责婚恋交友服务")
    first = answer_paras(answer)[0]
    assert first.style == "b" and first.text.startswith("这项工作的责任单位是：女职工部")


def test_a_quote_is_short_and_the_full_view_is_whole(qa):
    hit = qa.ask("湖北方案第4项").hits[0]
    quote = next(p for p in hit_paras(hit) if p.style == "blockquote")
    full = next(p for p in hit_paras(hit, full=True) if p.style == "blockquote")
    assert quote.text == hit.quote and full.text == hit.text and len(hit.quote) < len(hit.text)


def test_declines_and_dept_lists(qa):
    declined = qa.ask("")
    assert [p.text for p in answer_paras(declined)] == declined.message.split("\n")
    dept = qa.ask_department("宣传部")
    paras = answer_paras(dept)
    assert paras[0].style == "b" and len(paras) == 1 + len(dept.hits)
    assert more_paras([])[0].text == "没有更多相关条款了。"


def test_start_lists_the_documents_loaded_with_examples_and_the_privacy_notice(qa):
    texts = [p.text for p in start_paras(qa.docs, ("问题一？", "问题二？", "问题三？"))]
    assert sum(t.startswith("· 《") for t in texts) == len(qa.docs) == 2
    assert any("全总意见" in t for t in texts) and any("湖北方案" in t for t in texts)
    assert sum(t.startswith("· ") for t in texts) == len(qa.docs) + 3
    assert any("不保存您的 Telegram" in t for t in texts)


def test_html_and_text_read_the_same_answer(qa):
    """One structure, two renderings: every line of the plain text shows up in the HTML."""
    import html as html_lib

    for question in ("哪个部门负责婚恋交友服务", "湖北方案第4项", "宣传部负责什么", ""):
        answer = qa.ask(question)
        rendered = html_lib.unescape("\n".join(p.html() for p in answer_paras(answer)))
        for line in answer.message.split("\n"):
            core = line.strip("【】“”· ")
            assert core in rendered, (question, line)
