"""The Application as ``niangjia serve`` runs it: transport (long polling, webhook, files),
retries, logging without the token, and the persistence that keeps buttons and pending
confirmations across a restart, through the fake Bot API over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3

import aiohttp
import pytest

from bot.config import Settings
from bot.querylog.store import connect
from bot.telegram_bot.app import build_application, configure_logging, webhook_secret
from bot.telegram_bot.handlers import ASK_AGAIN
from tests.bot_harness import (
    ADMIN,
    USER,
    answer_to,
    bot_settings,
    press,
    running,
)
from tests.fake_bot_api import TOKEN


async def test_every_question_is_answered_despite_429_502_and_dropped_connections(api, bot):
    api.inject("sendMessage", "429", "502", "drop", "502")
    chats = [USER + i for i in range(4)]
    for chat in chats:
        api.push_text(chat, "单位有没有哺乳室")
    await api.wait_for(lambda: all(api.ok("sendMessage", c) for c in chats), timeout=30)
    outcomes = [c.outcome for c in api.calls if c.method == "sendMessage"]
    assert {"429", "502", "drop"} <= set(outcomes)
    assert all(re.search("母婴室|哺乳室", api.sent_texts(c)[0]) for c in chats)


async def test_the_token_never_appears_in_a_log_line(api, bot, caplog):
    configure_logging(bot.bot_data["state"].settings)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # its request lines carry the URL
    api.inject("sendMessage", "502")
    await answer_to(api, USER, "单位有没有哺乳室")
    assert caplog.records
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_webhook_mode_takes_updates_with_the_secret_only(api, tmp_path, qa):
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    secret = webhook_secret(TOKEN)
    hook = {"listen": "127.0.0.1", "port": port, "url_path": "hook", "webhook_url": url}
    async with running(app, webhook={**hook, "secret_token": secret}):
        (registered,) = api.ok("setWebhook")
        assert registered["url"] == url and registered["secret_token"] == secret
        assert TOKEN not in secret
        update = {"update_id": 1, "message": api.message(USER, "单位有没有哺乳室")}
        async with aiohttp.ClientSession() as http:
            bad = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, data=json.dumps(update), headers=bad) as r:
                assert r.status == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
            async with http.post(url, data=json.dumps(update), headers=good) as r:
                assert r.status == 200
        await api.wait_for(lambda: api.ok("sendMessage", USER))
    assert len(api.ok("sendMessage", USER)) == 1


async def test_files_come_through_the_configured_file_url(api, bot):
    api.files["doc1"] = "一、测试。".encode()
    telegram_file = await bot.bot.get_file("doc1")
    assert bytes(await telegram_file.download_as_bytearray()) == "一、测试。".encode()
    assert [c.method for c in api.calls if c.method in ("getFile", "download")] == [
        "getFile",
        "download",
    ]


def test_building_without_a_token_is_a_clear_error(tmp_path):
    from bot.errors import NiangjiaError

    with pytest.raises(NiangjiaError, match="TELEGRAM_BOT_TOKEN"):
        build_application(Settings(index_dir=tmp_path))


# ---------------------------------------------------------------------- restarts


async def test_a_button_still_works_after_the_bot_restarts(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        (reply,) = await answer_to(api, USER, "哪个部门负责婚恋交友服务")
    # A new process: a new Application over the same data folder.
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        n = len(api.ok("sendMessage", USER))
        before = await press(api, USER, reply, "全文")
        assert "text" not in api.ok("answerCallbackQuery")[before]  # not 请重新提问
        await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
        clause = qa.by_code["鄂工办发〔2023〕7号"].clause_by_number("4")
        assert clause.text[-30:] in api.ok("sendMessage", USER)[-1]["text"]
        before = await press(api, USER, reply, "👍")
        assert "谢谢" in api.ok("answerCallbackQuery")[before]["text"]


async def test_a_pending_confirmation_survives_a_restart_and_expires(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        (confirm,) = await answer_to(api, ADMIN, "/remove 鄂工办发〔2023〕7号")
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        await press(api, ADMIN, confirm, "取消")
        await api.wait_for(lambda: "已取消" in api.sent_texts(ADMIN)[-1])
    # Older than its time to live: the state is gone at the next start.
    db = sqlite3.connect(settings.bot_state_path)
    with db:
        db.execute("update keyboards set access = 0")
        db.execute("update chats set updated = 0")
    db.close()
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        before = await press(api, USER, confirm, "确认删除")
        assert api.ok("answerCallbackQuery")[before]["text"] == ASK_AGAIN
    db = sqlite3.connect(settings.bot_state_path)
    assert db.execute("select count(*) from chats").fetchone()[0] <= 1  # only the last press
    db.close()


async def test_the_bot_state_is_apart_from_the_query_log_and_holds_no_user_id(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)) as app:
        (reply,) = await answer_to(api, USER + 7, "单位有没有哺乳室")
        await press(api, USER + 7, reply, "👍")
        assert app.bot_data["state"].settings.bot_state_path != settings.querylog_path
    db = sqlite3.connect(settings.bot_state_path)
    tables = {r[0] for r in db.execute("select name from sqlite_master where type = 'table'")}
    assert tables == {"chats", "keyboards", "callback_queries"}
    (chat,) = db.execute("select chat_id, data from chats").fetchall()
    db.close()
    assert chat[0] == USER + 7  # private chat: keyed by the chat, as the persistence must be
    data = json.loads(chat[1])
    assert set(data) == {"feedback", "dialogue", "answers"}
    assert str(USER + 7) not in chat[1]  # the conversation is kept under a pseudonym
    (question,) = logged_rows(settings, "queries")
    state_file = settings.bot_state_path.read_bytes()
    assert question["ref"].encode() not in state_file  # no join with the log without the secret
    assert question["user_key"][:16].encode() not in state_file  # a speaker is keyed apart
    assert str(USER + 7).encode() not in settings.querylog_path.read_bytes()


def logged_rows(settings, table: str) -> list[dict]:
    db = connect(settings.querylog_path)
    try:
        return list(db[table].rows)
    finally:
        db.conn.close()


async def test_the_bot_follows_a_change_made_from_the_command_line(api, tmp_path):
    """`niangjia docs add` in another process while the bot runs: the bot notices `current`
    move, swaps in the new index, and /docs and the answers follow."""
    import asyncio
    import shutil
    from dataclasses import replace

    from bot.core.answer import QA
    from bot.ingest.changes import open_live
    from tests import fake_model_cli
    from tests.bot_harness import ADMIN, USER, answer_to
    from tests.conftest import KNOWLEDGE, FakeEncoder, quantity_only
    from tests.documents_fixtures import CITY_PLAN

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = replace(
        bot_settings(api, tmp_path, knowledge), model=FakeEncoder.name, index_poll_seconds=0.2
    )
    open_live(settings, encoder=FakeEncoder())

    def load() -> QA:
        return QA(open_live(settings, encoder=FakeEncoder(), rebuild="never"), quantity_only())

    plan = tmp_path / "plan.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    app = build_application(settings, load, retry_backoff=0.05)
    async with running(app):
        (docs,) = await answer_to(api, ADMIN, "/docs")
        assert "现有 2 份文件" in docs["text"]
        added = await asyncio.to_thread(
            fake_model_cli.run, settings, "docs", "add", str(plan), "--yes"
        )
        assert added.returncode == 0, added.stderr
        for _ in range(100):  # each /docs is answered by the index serving at that moment
            (docs,) = await answer_to(api, ADMIN, "/docs")
            if "现有 3 份文件" in docs["text"]:
                break
        assert "武汉方案" in docs["text"]
        (reply,) = await answer_to(api, USER, "武汉市新就业形态女职工权益维护由谁负责")
    assert "市总工会基层工作部" in reply["text"] and "武工发〔2024〕3号" in reply["text"]


async def test_an_update_the_library_cannot_read_is_logged_without_whom_it_names(api, bot, caplog):
    """python-telegram-bot logs the raw data of an update it cannot parse, ids and names
    included; the bot's log filter withholds it (at the level the bot logs at)."""
    import asyncio

    configure_logging(bot.bot_data["state"].settings)
    caplog.set_level(logging.INFO)
    person = {"id": 987654321, "is_bot": False, "first_name": "王秀兰", "username": "wxl_1990"}
    bad = api.push_update("message", {"message_id": 1, "from": person, "chat": "not a chat"})
    for _ in range(100):
        if any("Received data was" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert any("Received data was" in r.getMessage() for r in caplog.records)
    # The library asks for it again until it can read it; let the stop be clean.
    api.updates[:] = [u for u in api.updates if u["update_id"] != bad]
    for secret in ("987654321", "王秀兰", "wxl_1990"):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)


async def test_an_index_built_at_start_is_the_one_serving_not_loaded_twice(api, tmp_path):
    """No index before the bot starts: loading builds one, and that version is what serves;
    the watcher does not load it a second time (two indexes in memory at once)."""
    import asyncio
    import shutil
    from dataclasses import replace

    from bot.core.answer import QA
    from bot.ingest.changes import open_live
    from tests.conftest import KNOWLEDGE, FakeEncoder, quantity_only

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = replace(
        bot_settings(api, tmp_path, knowledge), model=FakeEncoder.name, index_poll_seconds=0.05
    )
    loads = []

    def load() -> QA:
        loads.append(1)
        return QA(open_live(settings, encoder=FakeEncoder()), quantity_only())  # builds it

    app = build_application(settings, load, retry_backoff=0.05)
    async with running(app):
        state = app.bot_data["state"]
        first = state.qa
        await asyncio.sleep(0.5)  # ten polls
        assert state.serving == os.readlink(settings.index_dir / "current")
        assert state.qa is first and loads == [1]
