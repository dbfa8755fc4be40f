"""Answers as Telegram HTML messages: escaped, and split under Telegram's length limit.

Pure functions over the core's dataclasses; the Telegram shell only sends what they return.
Every string that comes from a user or a document is escaped here and nowhere else.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.core.documents import Document
from bot.core.replies import Answer, Hit, book_title, departments_said

TELEGRAM_LIMIT = 4096
SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")

BOT_NAME = "娘家人"
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


def hit_paras(hit: Hit, full: bool = False, said: bool = False) -> list[Para]:
    """One clause: where it stands, the quote (or the whole text), 责任单位 (unless ``said`` in
    the lead), its parallel."""
    paras = [
        Para(hit.place, "b"),
        Para(hit.doc_code, "i"),
        Para(hit.text if full else hit.quote, "blockquote"),
    ]
    if hit.departments and not said:
        paras.append(Para("责任单位：" + "、".join(hit.departments)))
    if hit.parallel:
        paras.append(Para("对应条款：" + hit.parallel.place))
    return paras


def answer_paras(answer: Answer) -> list[Para]:
    """A reply to a question: the lead, then the clauses as the answer's view shows them."""
    lead_style = "b" if answer.answered and answer.view != "none" else ""
    paras = [Para(line, lead_style) for line in answer.lead.split("\n") if answer.lead]
    shown = answer.shown
    if answer.view == "list":
        return paras + [Para("· " + h.place) for h in shown]
    for i, hit in enumerate(shown):
        if paras or i:
            paras.append(Para(""))
        paras += hit_paras(hit, answer.view == "full", departments_said(hit, answer.lead))
    return paras


def more_paras(hits: list[Hit]) -> list[Para]:
    """更多相关条款: the other hits, one quote each."""
    if not hits:
        return [Para("没有更多相关条款了。")]
    paras = [Para("更多相关条款：", "b")]
    for hit in hits:
        paras += [Para(""), Para(hit.place, "b"), Para(hit.quote, "blockquote")]
        if hit.departments:
            paras.append(Para("责任单位：" + "、".join(hit.departments)))
    return paras


def start_paras(docs: list[Document], examples: tuple[str, ...] = ()) -> list[Para]:
    """The welcome: who the bot is, the documents it answers from, example questions."""
    paras = [
        Para(f"您好，我是{BOT_NAME}。", "b"),
        Para("我能回答工会女职工工作政策的问题：文件里怎么规定、由哪个部门负责。现有文件："),
        *[Para(f"· {book_title(d.title)}（{d.short_name}）") for d in docs],
        Para(""),
        Para("您可以直接发问题，也可以接着问“谁负责”“详细说说”，比如：", "b"),
        *[Para("· " + q) for q in examples],
        Para(""),
        Para(PRIVACY, "i"),
    ]
    return paras


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
