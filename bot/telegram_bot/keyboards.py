"""Inline keyboards, and the data their buttons carry.

Buttons carry small Python objects through python-telegram-bot's ``arbitrary_callback_data``:
Telegram only ever sees a random id, the object stays in the bot's persistence (so a button
still works after a restart) and data the bot never issued arrives as ``InvalidCallbackData``.
The objects are plain JSON dicts (the persistence stores JSON): a clause is named by reference
(文号, number, title, the sentence the quote starts at), never copied, and found again in the
index serving now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.documents import ClauseRef
from bot.core.replies import Answer, Hit, shorten
from bot.errors import NiangjiaError

CLAUSE_ACTIONS = ("full", "more", "par")
ADMIN_ACTIONS = ("confirm", "cancel")
MAX_REFS = 20


class InvalidButton(NiangjiaError):
    """Button data that is not what this bot puts on its buttons."""


@dataclass(frozen=True)
class Press:
    """What a pressed button asks for, checked."""

    action: str  # full | more | par | up | down | confirm | cancel
    refs: list[tuple[ClauseRef, int]] = field(default_factory=list)
    pending: str = ""  # a change waiting for an admin's confirmation


def clause_data(hit: Hit) -> list:
    return [hit.doc_code, hit.number, hit.title, hit.sentence]


def _ref(item: object) -> tuple[ClauseRef, int]:
    if (
        not isinstance(item, list | tuple)
        or len(item) != 4
        or not all(isinstance(x, str) for x in item[:3])
        or not isinstance(item[3], int)
    ):
        raise InvalidButton("malformed clause reference")
    return ClauseRef(item[0], item[1], item[2]), item[3]


def parse(data: object) -> Press:
    """The press a button's data asks for; anything unexpected raises InvalidButton."""
    if not isinstance(data, dict) or not isinstance(data.get("do"), str):
        raise InvalidButton("not button data of this bot")
    action = data["do"]
    if action in ("full", "par"):
        return Press(action, [_ref(data.get("ref"))])
    if action == "more":
        refs = data.get("refs")
        if not isinstance(refs, list) or not 0 < len(refs) <= MAX_REFS:
            raise InvalidButton("malformed list of clauses")
        return Press(action, [_ref(r) for r in refs])
    if action in ("up", "down"):  # about the message the button is under
        return Press(action)
    if action in ADMIN_ACTIONS and isinstance(data.get("id"), str):
        return Press(action, pending=data["id"])
    raise InvalidButton(f"unknown button action {action!r}")


def _button(label: str, data: dict) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


def feedback_row() -> list[InlineKeyboardButton]:
    return [_button("👍", {"do": "up"}), _button("👎", {"do": "down"})]


def answer_keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    """The buttons under a reply: what to open next, and 👍 / 👎."""
    hits = answer.hits
    if not hits:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    if not answer.answered:  # the nearest topics of a declined question
        seen: set[str] = set()
        for hit in hits[:3]:
            if hit.number and hit.title not in seen:
                seen.add(hit.title)
                rows.append([_button(shorten(hit.title, 24), full_data(hit))])
    elif answer.view == "list":
        for hit in hits[:10]:
            rows.append([_button(shorten(hit.place, 28), full_data(hit))])
    elif answer.view == "full":
        for hit in hits[:3]:
            if hit.parallel:
                label = f"对应条款：{shorten(hit.parallel.title, 14)}"
                rows.append([_button(label, {"do": "par", "ref": clause_data(hit)})])
    else:
        row = [_button("全文", full_data(hits[0]))]
        if len(hits) > 1:
            row.append(
                _button("更多相关条款", {"do": "more", "refs": [clause_data(h) for h in hits[1:]]})
            )
        if hits[0].parallel:
            row.append(_button("对应条款", {"do": "par", "ref": clause_data(hits[0])}))
        rows.append(row)
    rows.append(feedback_row())
    return InlineKeyboardMarkup(rows)


def full_data(hit: Hit) -> dict:
    return {"do": "full", "ref": clause_data(hit)}


def clause_keyboard(hit: Hit) -> InlineKeyboardMarkup | None:
    """Under a whole clause: its parallel, when it has one."""
    if not hit.parallel:
        return None
    return InlineKeyboardMarkup([[_button("对应条款", {"do": "par", "ref": clause_data(hit)})]])


def more_keyboard(hits: list[Hit]) -> InlineKeyboardMarkup | None:
    """Under 更多相关条款: each clause in full."""
    rows = [[_button(shorten("全文：" + h.title, 24), full_data(h))] for h in hits]
    return InlineKeyboardMarkup(rows) if rows else None


def confirm_keyboard(pending: str, confirm_label: str) -> InlineKeyboardMarkup:
    """确认 / 取消 under a document change an admin previewed."""
    return InlineKeyboardMarkup(
        [
            [
                _button(confirm_label, {"do": "confirm", "id": pending}),
                _button("取消", {"do": "cancel", "id": pending}),
            ]
        ]
    )


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard less its 👍 / 👎 row (once feedback is given)."""
    if markup is None:
        return None
    rows = [
        row
        for row in markup.inline_keyboard
        if all(isinstance(b.callback_data, dict) for b in row)  # still known to the bot
        and not any(b.callback_data.get("do") in ("up", "down") for b in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None
