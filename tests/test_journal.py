"""Pseudonymous user keys and the log journal."""

from __future__ import annotations

import logging

from bot.querylog.journal import LogJournal, QueryRecord, user_key


def test_user_key_is_stable_secret_dependent_and_not_the_id():
    key = user_key(123456789, "s1")
    assert key == user_key(123456789, "s1") and len(key) == 32
    assert "123456789" not in key
    assert key != user_key(123456789, "s2") and key != user_key(123456780, "s1")
    assert user_key(None, "s1") == ""


def test_without_a_secret_keys_are_stable_within_the_run():
    assert user_key(5, None) == user_key(5, None) == user_key(5, "") != user_key(5, "x")


def test_log_journal_writes_no_question_text(caplog):
    caplog.set_level(logging.INFO, logger="niangjia.journal")
    journal = LogJournal()
    journal.record_query(
        QueryRecord("tok", "telegram", "private", user_key(1, "s"), "我的私事", "search", True)
    )
    journal.record_feedback("tok", -1, user_key(1, "s"))
    assert "我的私事" not in caplog.text and "tok" in caplog.text and "-1" in caplog.text
