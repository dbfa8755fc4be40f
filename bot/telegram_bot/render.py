"""Answers as Telegram HTML messages: escaped, and split under Telegram's length limit.

Pure functions over the core's dataclasses; the Telegram shell only sends what they return.
Every string that comes from a user or a document is escaped here and nowhere else.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.answer import Answer, Hit

TELEGRAM_LIMIT = 4096
SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")
Place = Callable[[str, str, str], str]

BOT_NAME = "娘家人"
EXAMPLES = ("单位有没有哺乳室？", "工会能帮忙介绍对象吗？", "外卖骑手的权益谁来管？")
PRIVACY = (
    "隐私说明：您的问题会被记录下来，用于改进服务和安排培训；记录中不保存您的 Telegram "
    "账号、用户名或姓名。"
)


@dataclass(frozen=True)
class Para:
    """One paragraph: plain text and how to show it ("", "b", "i" or "blockquote")."""

    text: str
    style: str = ""

    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        return f"<{self.style}>{body}</{self.style}>" if self.style else body


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _sentences(text: str, room: int) -> list[str]:
    """Sentences of ``text``; one longer than ``room`` (escaped) is cut into shorter runs."""
    out: list[str] = []
    cut = max(1, room // 5)  # escaping can grow a character to 5 ("&amp;")
    for sentence in (s for s in SENTENCE_END.split(text) if s):
        while utf16_len(html.escape(sentence, quote=False)) > room:
            out.append(sentence[:cut])
            sentence = sentence[cut:]
        out.append(sentence)
    return out


def pack(paras: list[Para], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Paragraphs joined by newlines into as few messages as fit under ``limit``; a paragraph
    too long for what is left of a message continues in the next one, cut at a sentence end."""
    messages: list[str] = []
    current = ""

    def fits(chunk: str) -> bool:
        return utf16_len(f"{current}\n{chunk}" if current else chunk) <= limit

    def add(chunk: str) -> None:
        nonlocal current
        current = f"{current}\n{chunk}" if current else chunk

    for para in paras:
        if fits(para.html()):
            add(para.html())
            continue
        if utf16_len(para.html()) <= limit:
            messages.append(current)
            current = para.html()
            continue
        room = limit - utf16_len(Para("", para.style).html())
        run = ""
        for sentence in _sentences(para.text, room):
            if fits(Para(run + sentence, para.style).html()):
                run += sentence
                continue
            if run:
                add(Para(run, para.style).html())
            if current:
                messages.append(current)
            current, run = "", sentence
        if run:
            add(Para(run, para.style).html())
    if current:
        messages.append(current)
    return messages or [""]


def hit_paras(hit: Hit, place: Place, full: bool = False) -> list[Para]:
    """One clause: where it stands, the quote (or the whole text), 责任单位, its parallel."""
    paras = [
        Para(place(hit.doc_code, hit.number, hit.title), "b"),
        Para(hit.doc_code, "i"),
        Para(hit.text if full else hit.quote, "blockquote"),
    ]
    if hit.departments:
        paras.append(Para("责任单位：" + "、".join(hit.departments)))
    if hit.parallel:
        p = hit.parallel
        paras.append(Para("对应条款：" + place(p.doc_code, p.number, p.title)))
    return paras


def answer_paras(answer: Answer, place: Place) -> list[Para]:
    """The first reply to a question."""
    if not answer.answered or not answer.hits:
        return [Para(line) for line in answer.message.split("\n")]
    if answer.intent == "dept":
        head, *_ = answer.message.split("\n")
        paras = [Para(head, "b")]
        paras += [Para("· " + place(h.doc_code, h.number, h.title)) for h in answer.hits]
        return paras
    if answer.intent == "clause":
        paras: list[Para] = []
        for i, hit in enumerate(answer.hits):
            paras += ([Para("")] if i else []) + hit_paras(hit, place, full=True)
        return paras
    top = answer.hits[0]
    paras = []
    if answer.intent == "who" and top.departments:
        paras.append(Para(f"这项工作的责任单位是：{'、'.join(top.departments)}", "b"))
    return paras + hit_paras(top, place)


def more_paras(hits: list[Hit], place: Place) -> list[Para]:
    """更多相关条款: the other hits, one quote each."""
    if not hits:
        return [Para("没有更多相关条款了。")]
    paras = [Para("更多相关条款：", "b")]
    for hit in hits:
        paras += [Para(""), Para(place(hit.doc_code, hit.number, hit.title), "b")]
        paras.append(Para(hit.quote, "blockquote"))
        if hit.departments:
            paras.append(Para("责任单位：" + "、".join(hit.departments)))
    return paras


def start_paras(examples: tuple[str, ...] = EXAMPLES) -> list[Para]:
    return [
        Para(f"您好，我是{BOT_NAME}。", "b"),
        Para(
            "我能回答关于工会女职工工作政策的问题：全国总工会《关于加强新时代工会女职工工作的"
            "意见》和湖北省总工会的实施方案里怎么规定、由哪个部门负责。"
        ),
        Para(""),
        Para("您可以直接发问题，比如：", "b"),
        *[Para("· " + q) for q in examples],
        Para(""),
        Para(PRIVACY, "i"),
    ]


def help_paras() -> list[Para]:
    return [
        Para("怎么用", "b"),
        Para("直接发送您的问题，我会引用文件原文，并说明条款出处和责任单位。"),
        Para(""),
        Para("/dept 部门：这个部门负责哪些工作，例如 /dept 宣传部"),
        Para("/clause 文件 编号：查看一条条款，例如 /clause 湖北 4 或 /clause 全总 五"),
        Para("/help：显示本说明"),
        Para(""),
        Para("在群里使用时，请 @我 或回复我的消息。"),
        Para(PRIVACY, "i"),
    ]
