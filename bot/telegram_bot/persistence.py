"""The bot's own memory across restarts: the data behind buttons and each chat's state.

A ``BasePersistence`` over a SQLite file of its own (``data/botstate.db``), apart from the
query log and never exported. Why not ``PicklePersistence``: pickle rewrites one file whole on
every flush and ties stored objects to class paths, so a renamed class would make old state
unreadable after an upgrade; here each chat and each keyboard is a row of JSON, written when it
changes, in a transaction, and a row idle longer than ``ttl`` is deleted. Only ``chat_data`` and
``callback_data`` are kept: nothing is keyed by user, and the bot data (the loaded model) is
rebuilt at start-up. What goes in must be JSON: plain dicts, lists, strings and numbers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from copy import deepcopy
from pathlib import Path
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

# python-telegram-bot's shapes of the data (its own aliases live in a private module).
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
ConversationDict = dict[tuple[int | str, ...], object]

SCHEMA_VERSION = 1
SCHEMA = """
create table if not exists chats (chat_id integer primary key, data text not null,
                                  updated real not null);
create table if not exists keyboards (uuid text primary key, access real not null,
                                      data text not null);
create table if not exists callback_queries (query_id text primary key, keyboard text not null);
"""


class SQLitePersistence(BasePersistence[dict, dict, dict]):
    """chat_data and callback_data in SQLite, as JSON, expiring after ``ttl`` seconds idle."""

    def __init__(self, path: Path, ttl: float = 30 * 86400, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, user_data=False),
            update_interval=update_interval,
        )
        self.path = Path(path)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._written_keyboards: dict[str, str] = {}
        self._written_queries: dict[str, str] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        with self._db:
            self._db.execute("pragma journal_mode = wal")
            self._db.executescript(SCHEMA)
            if self._db.execute("pragma user_version").fetchone()[0] < SCHEMA_VERSION:
                self._db.execute(f"pragma user_version = {SCHEMA_VERSION}")

    def _expire(self) -> None:
        cutoff = time.time() - self.ttl
        with self._db:
            self._db.execute("delete from chats where updated < ?", (cutoff,))
            self._db.execute("delete from keyboards where access < ?", (cutoff,))
            self._db.execute(
                "delete from callback_queries where keyboard not in (select uuid from keyboards)"
            )

    # ------------------------------------------------------------------ chat data

    async def get_chat_data(self) -> dict[int, dict]:
        with self._lock:
            self._expire()
            rows = self._db.execute("select chat_id, data from chats").fetchall()
        return {chat_id: json.loads(data) for chat_id, data in rows}

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        text = json.dumps(data, ensure_ascii=False)
        with self._lock, self._db:
            self._db.execute(
                "insert into chats (chat_id, data, updated) values (?, ?, ?)"
                " on conflict(chat_id) do update set data = excluded.data,"
                " updated = excluded.updated",
                (chat_id, text, time.time()),
            )

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def drop_chat_data(self, chat_id: int) -> None:
        with self._lock, self._db:
            self._db.execute("delete from chats where chat_id = ?", (chat_id,))

    # ------------------------------------------------------------------ callback data

    async def get_callback_data(self) -> CDCData | None:
        with self._lock:
            self._expire()
            keyboards = self._db.execute(
                "select uuid, access, data from keyboards order by access"
            ).fetchall()
            queries = self._db.execute("select query_id, keyboard from callback_queries").fetchall()
        self._written_keyboards = {uuid: f"{access}\0{data}" for uuid, access, data in keyboards}
        self._written_queries = dict(queries)
        return [(uuid, access, json.loads(data)) for uuid, access, data in keyboards], dict(queries)

    async def update_callback_data(self, data: CDCData) -> None:
        """Write the keyboards and queries that changed since the last call, delete the rest."""
        keyboards, queries = data
        now_keyboards = {
            uuid: (access, json.dumps(buttons, ensure_ascii=False))
            for uuid, access, buttons in keyboards
        }
        with self._lock, self._db:
            for uuid, (access, text) in now_keyboards.items():
                if self._written_keyboards.get(uuid) != f"{access}\0{text}":
                    self._db.execute(
                        "insert or replace into keyboards (uuid, access, data) values (?, ?, ?)",
                        (uuid, access, text),
                    )
            gone = [(u,) for u in self._written_keyboards if u not in now_keyboards]
            self._db.executemany("delete from keyboards where uuid = ?", gone)
            for query_id, keyboard in queries.items():
                if self._written_queries.get(query_id) != keyboard:
                    self._db.execute(
                        "insert or replace into callback_queries values (?, ?)",
                        (query_id, keyboard),
                    )
            done = [(q,) for q in self._written_queries if q not in queries]
            self._db.executemany("delete from callback_queries where query_id = ?", done)
        self._written_keyboards = {u: f"{a}\0{t}" for u, (a, t) in now_keyboards.items()}
        self._written_queries = deepcopy(queries)

    # ------------------------------------------------------------------ not kept

    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        """The bot data (the loaded model, the limiter) is never written."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """Nothing to refresh."""

    async def get_user_data(self) -> dict[int, dict]:
        return {}

    async def update_user_data(self, user_id: int, data: dict) -> None:
        """Nothing is kept per user."""

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to refresh."""

    async def drop_user_data(self, user_id: int) -> None:
        """Nothing is kept per user."""

    async def get_conversations(self, name: str) -> ConversationDict:
        return {}

    async def update_conversation(self, name: str, key: tuple[int | str, ...], new_state: Any):
        """The bot has no ConversationHandler."""

    async def flush(self) -> None:
        with self._lock:
            self._expire()
            self._db.execute("pragma wal_checkpoint(truncate)")
            self._db.close()
