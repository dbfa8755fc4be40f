"""The SQLite query log: schema and migrations, pseudonyms, concurrency, search, purge, export."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ROOT
from bot.errors import NiangjiaError
from bot.querylog.journal import QueryRecord, user_key
from bot.querylog.store import (
    LATEST,
    QueryLog,
    QueryLogError,
    connect,
    migrate,
    parse_age,
    schema_version,
)

RAW_ID = 987654321
SECRET = "s3cret"


def record(
    i: int = 0, text: str = "单位有没有哺乳室", answered: bool = True, ts: str = ""
) -> QueryRecord:
    hit = {
        "doc_code": "鄂工办发〔2023〕7号",
        "number": "4",
        "title": "提升女职工生活品质",
        "departments": ["女职工部", "宣传部（网络工作部）"],
        "score": 0.9,
    }
    return QueryRecord(
        ref=f"ref{i:06d}",
        channel="telegram",
        chat_type="private",
        user=user_key(RAW_ID, SECRET),
        text=text,
        intent="search",
        answered=answered,
        hits=[hit],
        latency_ms=12.5,
        model="m",
        index_version="v1",
        ts=ts,
    )


@pytest.fixture
def qlog(tmp_path):
    log = QueryLog(tmp_path / "data" / "querylog.db")
    yield log
    log.close()


def test_schema_is_created_by_numbered_migrations(qlog):
    db = connect(qlog.path)
    assert schema_version(db) == LATEST == 3
    assert {"queries", "feedback", "events", "schema_migrations", "queries_fts"} <= set(
        db.table_names()
    )
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_an_old_schema_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    migrate(db, upto=1)
    db["queries"].insert({"ref": "old", "ts": "2026-01-01T00:00:00Z", "text": "哺乳室在哪里"})
    db.conn.close()
    log = QueryLog(path)
    try:
        assert schema_version(connect(path)) == LATEST
        assert [h.text for h in log.search("哺乳室")] == ["哺乳室在哪里"]
    finally:
        log.close()


def test_a_row_holds_what_the_issue_lists(qlog):
    qlog.record_query(record())
    qlog.record_feedback("ref000000", 1, user_key(RAW_ID, SECRET))
    qlog.record_event("admin_refused", user_key(RAW_ID, SECRET), "/stats")
    assert qlog.flush()
    db = connect(qlog.path)
    row = next(db["queries"].rows)
    assert (
        row["ts"].endswith("Z") and row["channel"] == "telegram" and row["chat_type"] == "private"
    )
    assert row["intent"] == "search" and row["answered"] == 1 and row["latency_ms"] == 12.5
    assert json.loads(row["hits"])[0]["number"] == "4" and row["top_title"] == "提升女职工生活品质"
    assert json.loads(row["departments"]) == ["女职工部", "宣传部（网络工作部）"]
    assert row["model"] == "m" and row["index_version"] == "v1"
    assert next(db["feedback"].rows)["query_ref"] == "ref000000"
    assert next(db["events"].rows)["detail"] == "/stats"


def test_no_raw_id_anywhere_in_the_files(qlog):
    for i in range(50):
        qlog.record_query(record(i))
        qlog.record_feedback(f"ref{i:06d}", -1, user_key(RAW_ID, SECRET))
    qlog.flush()
    for path in qlog.path.parent.iterdir():  # the database, its WAL and shared memory
        assert str(RAW_ID).encode() not in path.read_bytes(), path.name


def test_twenty_concurrent_writers_lose_no_row(qlog):
    def writer(w: int) -> None:
        for i in range(200):
            qlog.record_query(record(w * 1000 + i))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert qlog.flush(60)
    assert qlog.count() == 4000


def test_two_processes_writing_at_once_lose_no_row(qlog):
    code = (
        "import sys\n"
        "from bot.querylog.store import QueryLog\n"
        "from bot.querylog.journal import QueryRecord\n"
        "log = QueryLog(sys.argv[1])\n"
        "for i in range(300):\n"
        "    log.record_query(QueryRecord(f'{sys.argv[2]}-{i}', 'cli', 'terminal', '', '问题',"
        " 'search', False))\n"
        "log.close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(qlog.path), name], cwd=ROOT)
        for name in ("a", "b")
    ]
    for i in range(300):
        qlog.record_query(record(i))
    assert all(p.wait(timeout=120) == 0 for p in procs)
    qlog.flush()
    assert qlog.count() == 900


def test_a_failed_write_is_retried(qlog, monkeypatch):
    original = QueryLog._insert
    failures = iter([True, True])

    def flaky(db, table, rows):
        if next(failures, False):
            raise sqlite3.OperationalError("database is locked")
        original(db, table, rows)

    monkeypatch.setattr(QueryLog, "_insert", staticmethod(flaky))
    qlog.record_query(record())
    assert qlog.flush()
    assert qlog.count() == 1 and qlog.dropped == 0


def test_committed_rows_survive_the_process_being_killed(tmp_path):
    path = tmp_path / "killed.db"
    code = (
        "import sys, os, signal\n"
        "from bot.querylog.store import QueryLog\n"
        "from bot.querylog.journal import QueryRecord\n"
        "log = QueryLog(sys.argv[1])\n"
        "def ask(i):\n"
        "    log.record_query(QueryRecord(f'r{i}', 'cli', 'terminal', '', '问', 'search', True))\n"
        "for i in range(500):\n"
        "    ask(i)\n"
        "log.flush()\n"
        "for i in range(500, 100000):  # being written when the process dies\n"
        "    ask(i)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, timeout=120)
    assert result.returncode == -9
    db = connect(path)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db["queries"].count >= 500


def test_chinese_search_finds_words_inside_questions(qlog):
    qlog.record_query(record(1, "我们单位没有哺乳室怎么办"))
    qlog.record_query(record(2, "外卖骑手受伤了找谁"))
    qlog.record_query(record(3, "产假有多少天", answered=False))
    qlog.flush()
    assert [h.text for h in qlog.search("哺乳室")] == ["我们单位没有哺乳室怎么办"]
    assert [h.text for h in qlog.search("外卖骑手")] == ["外卖骑手受伤了找谁"]
    assert qlog.search("产假")[0].answered is False
    assert qlog.search("火星") == [] and qlog.search("  ") == []
    assert qlog.search('"哺乳 OR') == []  # FTS syntax in the input is just text


def test_purge_removes_old_questions_with_their_feedback(qlog):
    old = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    qlog.record_query(record(1, ts=old))
    qlog.record_query(record(2))
    qlog.record_feedback("ref000001", 1, "k")
    qlog.record_feedback("ref000002", 1, "k")
    assert qlog.purge(parse_age("365d")) == 1
    db = connect(qlog.path)
    assert [r["ref"] for r in db["queries"].rows] == ["ref000002"]
    assert [r["query_ref"] for r in db["feedback"].rows] == ["ref000002"]
    assert qlog.search("哺乳室")[0].ts != old  # the full-text index follows


@pytest.mark.parametrize("text", ["365", "d", "-3d", "3y", ""])
def test_bad_ages_are_clear_errors(text):
    with pytest.raises(NiangjiaError):
        parse_age(text)


def test_export_leaves_out_user_keys_unless_asked(qlog):
    qlog.record_query(record(1))
    qlog.flush()
    out = io.StringIO()
    assert qlog.export(out, "jsonl") == 1
    row = json.loads(out.getvalue())
    assert "user_key" not in row and row["text"] == "单位有没有哺乳室"
    out = io.StringIO()
    qlog.export(out, "csv", with_users=True)
    header, line = out.getvalue().splitlines()
    assert header.endswith(",user_key") and user_key(RAW_ID, SECRET) in line
    with pytest.raises(QueryLogError):
        qlog.export(io.StringIO(), "xml")


def test_stats_count_windows_and_top_clauses(qlog):
    now = datetime.now(UTC)
    for i, days in enumerate([1, 2, 10, 40]):
        ts = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        qlog.record_query(record(i, answered=i != 1, ts=ts))
    qlog.flush()
    stats = qlog.stats(now)
    assert [(w.days, w.asked, w.answered) for w in stats.windows] == [(7, 2, 1), (30, 3, 2)]
    assert stats.top_topics == [("提升女职工生活品质", 2)]


def test_confirmed_pairs_need_a_thumbs_up_and_no_thumbs_down(qlog):
    for i in range(3):
        qlog.record_query(record(i, f"问题{i}"))
    qlog.record_feedback("ref000000", 1, "k")
    qlog.record_feedback("ref000001", 1, "k")
    qlog.record_feedback("ref000001", -1, "j")
    qlog.flush()
    assert [p[0] for p in qlog.confirmed_pairs()] == ["问题0"]


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "querylog.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(QueryLogError, match="cannot open"):
        QueryLog(path)


def test_the_writer_survives_a_batch_it_cannot_write(qlog, monkeypatch):
    original = QueryLog._insert
    calls = iter([True])

    def broken_once(db, table, rows):
        if next(calls, False):
            raise ValueError("a row sqlite cannot take")
        original(db, table, rows)

    monkeypatch.setattr(QueryLog, "_insert", staticmethod(broken_once))
    qlog.record_query(record(1))
    assert qlog.flush()
    qlog.record_query(record(2))
    assert qlog.flush()
    assert qlog.count() == 1 and qlog.dropped == 1
