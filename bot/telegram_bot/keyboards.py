"""Inline-button data: small, versioned, validated; and the recent answers the buttons refer to.

A button carries ``"1|<action>|<token>|<index>"`` (at most 64 bytes, Telegram's limit). The token
names an answer kept in a bounded in-memory cache; an answer that has left the cache (a restart,
or many newer ones) or data that does not parse is reported as ``InvalidCallback``, which the bot
turns into a polite "请重新提问".
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from bot.core.answer import Answer
from bot.errors import NiangjiaError

VERSION = "1"
MAX_BYTES = 64
ACTIONS = {
    "full": "f",  # the whole clause of hit <index>
    "more": "m",  # the next hits
    "par": "p",  # the parallel clause of hit <index>
    "show": "s",  # a nearest topic of a declined question, in full
    "up": "u",  # 👍
    "down": "d",  # 👎
    "add": "a",  # an admin confirms adding a previewed document
    "remove": "r",  # an admin confirms removing a document
    "cancel": "c",  # an admin cancels either
}
ADMIN_ACTIONS = ("add", "remove", "cancel")
CODES = {v: k for k, v in ACTIONS.items()}
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,16}")
MAX_INDEX = 50


def new_token() -> str:
    """12 unguessable URL-safe characters."""
    return secrets.token_urlsafe(9)[:12]


class InvalidCallback(NiangjiaError):
    """Button data that is forged, malformed, or refers to an answer no longer kept."""


@dataclass(frozen=True)
class Callback:
    action: str
    token: str
    index: int = 0

    def encode(self) -> str:
        data = f"{VERSION}|{ACTIONS[self.action]}|{self.token}|{self.index}"
        if len(data.encode()) > MAX_BYTES:  # pragma: no cover - tokens are short by construction
            raise ValueError("callback data too long")
        return data


def decode(data: object) -> Callback:
    """Parse button data; anything unexpected raises InvalidCallback."""
    if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
        raise InvalidCallback("not button data of this bot")
    parts = data.split("|")
    if len(parts) != 4 or parts[0] != VERSION:
        raise InvalidCallback("unknown button version")
    _, code, token, index = parts
    if code not in CODES or not TOKEN_RE.fullmatch(token) or not index.isascii():
        raise InvalidCallback("malformed button data")
    if not index.isdigit() or int(index) > MAX_INDEX:
        raise InvalidCallback("malformed button index")
    return Callback(CODES[code], token, int(index))


@dataclass
class Stored:
    """An answer the buttons under it refer to."""

    answer: Answer
    html: str = ""  # the first message as sent, for editing it after feedback
    feedback: int | None = None


class AnswerCache:
    """The most recent ``capacity`` answers by token (least recently used leaves first)."""

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Stored] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, answer: Answer) -> str:
        token = new_token()
        self._items[token] = Stored(answer)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return token

    def get(self, token: str) -> Stored:
        stored = self._items.get(token)
        if stored is None:
            raise InvalidCallback("answer no longer kept")
        self._items.move_to_end(token)
        return stored

    def lookup(self, callback: Callback) -> tuple[Stored, int]:
        """The stored answer and a hit index checked against it."""
        stored = self.get(callback.token)
        needs_hit = callback.action in ("full", "par", "show")
        if needs_hit and callback.index >= len(stored.answer.hits):
            raise InvalidCallback("no such clause in that answer")
        return stored, callback.index
