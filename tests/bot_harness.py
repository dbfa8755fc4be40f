"""Driving the real bot: settings for a fake Bot API on 127.0.0.1, a running Application,
pushing messages and button presses, reading what the bot sent and what it logged."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import Settings
from bot.core.answer import QA
from bot.core.knowledge import load_knowledge
from bot.core.retriever import Retriever
from bot.querylog.store import connect
from tests.conftest import KNOWLEDGE, FakeEncoder, quantity_only
from tests.fake_bot_api import TOKEN, FakeBotAPI

ADMIN = 4242
USER = 1001
GROUP = -100777


def bot_settings(api: FakeBotAPI, tmp_path: Path, knowledge: Path = KNOWLEDGE) -> Settings:
    return Settings(
        knowledge_dir=knowledge,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        telegram_token=TOKEN,
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
        admin_ids=frozenset({ADMIN}),
        log_secret="test-secret",
    )


def make_qa(knowledge: Path = KNOWLEDGE, threshold: float = 0.5, cls=QA) -> QA:
    retriever = Retriever(load_knowledge(knowledge), FakeEncoder()).build()
    return cls(retriever, quantity_only(threshold))


@asynccontextmanager
async def running(app, webhook: dict | None = None):
    """Start the application as run_polling/run_webhook would, and stop it the same way."""
    await app.initialize()
    await app.post_init(app)
    await app.start()
    if webhook:
        await app.updater.start_webhook(**webhook)
    else:
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)


def buttons(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def answer_to(api: FakeBotAPI, chat_id: int, text: str, **kw) -> list[dict]:
    """Push a message and wait for the replies to it (the last one carries the buttons)."""
    before = len(api.ok("sendMessage", chat_id))
    api.push_text(chat_id, text, **kw)
    await api.wait_for(lambda: len(api.ok("sendMessage", chat_id)) > before)
    await asyncio.sleep(0.05)  # a split answer's later parts
    return api.ok("sendMessage", chat_id)[before:]


async def press(api: FakeBotAPI, chat_id: int, params: dict, label: str) -> int:
    """Press the button with this label under a sent message; wait until it is answered."""
    data = dict(buttons(params))[label]
    before = len(api.ok("answerCallbackQuery"))
    api.push_callback(chat_id, api.sent_message(params), data)
    await api.wait_for(lambda: len(api.ok("answerCallbackQuery")) > before)
    return before


def logged(app, table: str) -> list[dict]:
    """Rows of a query-log table, after the writer has caught up."""
    state = app.bot_data["state"]
    state.querylog.flush(10)
    db = connect(state.settings.querylog_path)
    try:
        return list(db[table].rows)
    finally:
        db.conn.close()
