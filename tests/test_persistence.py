"""The bot's persistence: chat data and button data round-trip as JSON and expire."""

from __future__ import annotations

import sqlite3
import time

from bot.telegram_bot.persistence import SQLitePersistence


async def test_chat_and_callback_data_round_trip(tmp_path):
    path = tmp_path / "botstate.db"
    store = SQLitePersistence(path)
    await store.update_chat_data(5, {"pending": {"abc": {"kind": "remove", "at": 1.0}}})
    now = time.time()
    keyboards = [("k1", now, {"b1": {"do": "full", "ref": ["x", "1", "t", 0]}})]
    await store.update_callback_data((keyboards, {"q1": "k1"}))
    await store.flush()

    again = SQLitePersistence(path)
    assert await again.get_chat_data() == {5: {"pending": {"abc": {"kind": "remove", "at": 1.0}}}}
    assert await again.get_callback_data() == (keyboards, {"q1": "k1"})
    # A keyboard the cache dropped is deleted; the others stay.
    keyboards2 = [("k2", now, {"b2": {"do": "up", "log": "r"}})]
    await again.update_callback_data((keyboards2, {}))
    assert await again.get_callback_data() == (keyboards2, {})
    await again.drop_chat_data(5)
    assert await again.get_chat_data() == {}
    assert await again.get_user_data() == {} and await again.get_bot_data() == {}


async def test_state_idle_past_its_time_to_live_is_deleted(tmp_path):
    path = tmp_path / "botstate.db"
    store = SQLitePersistence(path, ttl=60)
    await store.update_chat_data(1, {"feedback": {}})
    await store.update_chat_data(2, {"feedback": {}})
    await store.update_callback_data(
        ([("old", time.time() - 120, {}), ("new", time.time(), {})], {})
    )
    db = sqlite3.connect(path)
    with db:
        db.execute("update chats set updated = ? where chat_id = 1", (time.time() - 120,))
    db.close()
    assert set(await store.get_chat_data()) == {2}
    keyboards, _ = await store.get_callback_data()
    assert [k[0] for k in keyboards] == ["new"]
