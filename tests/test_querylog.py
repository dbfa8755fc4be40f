"""The query log's store: migrations (and taking over the old runner's files), pseudonyms, the
writer thread under concurrency and kill -9, recording answers, purging."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ROOT
from bot.core.tokens import segment
from bot.errors import NiangjiaError
from bot.querylog import queries
from bot.querylog.store import (
    MIGRATIONS,
    QueryLog,
    QueryLogError,
    QueryRecord,
    connect,
    parse_age,
    purge,
    user_key,
)

RAW_ID = 987654321
SECRET = "s3cret"
STEPS = ["m001_create_tables", "m002_indexes", "m003_search", "m004_followups"]


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


def snapshot(path) -> tuple[list, list]:
    """The schema and the record of applied migrations."""
    db = connect(path)
    try:
        schema = sorted(r[0] for r in db.execute("select sql from sqlite_master where sql > ''"))
        return schema, [(m.name, m.applied_at) for m in MIGRATIONS.applied(db)]
    finally:
        db.conn.close()


# ---------------------------------------------------------------------- schema


def test_the_schema_is_made_by_sqlite_utils_migrations(qlog):
    db = connect(qlog.path)
    assert [m.name for m in MIGRATIONS.applied(db)] == STEPS and not MIGRATIONS.pending(db)
    assert {"queries", "feedback", "events", "queries_fts", "_sqlite_migrations"} <= set(
        db.table_names()
    )
    assert "schema_migrations" not in db.table_names()
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_opening_an_up_to_date_log_changes_nothing(qlog):
    before = snapshot(qlog.path)
    QueryLog(qlog.path).close()
    assert snapshot(qlog.path) == before


# The old runner's files, as it wrote them: its steps' SQL and its own version table.
OLD_STEPS = {
    1: """
        create table "schema_migrations" ("version" integer primary key, "name" text,
            "applied_at" text);
        create table "queries" ("id" integer primary key, "ref" text, "ts" text, "channel" text,
            "chat_type" text, "user_key" text, "text" text, "intent" text, "answered" integer,
            "hits" text, "top_doc" text, "top_number" text, "top_title" text,
            "departments" text, "latency_ms" real, "model" text, "index_version" text);
        create table "feedback" ("id" integer primary key, "ts" text, "query_ref" text,
            "value" integer, "user_key" text);
        create table "events" ("id" integer primary key, "ts" text, "kind" text,
            "user_key" text, "detail" text);
    """,
    2: """
        create index "idx_queries_ts" on "queries" ("ts");
        create unique index "idx_queries_ref" on "queries" ("ref");
        create index "idx_queries_answered_ts" on "queries" ("answered", "ts");
        create index "idx_feedback_query_ref" on "feedback" ("query_ref");
    """,
    3: """
        alter table "queries" add column "text_seg" text;
        create virtual table "queries_fts" using fts5 ("text_seg", content="queries");
        create trigger "queries_ai" after insert on "queries" begin
          insert into "queries_fts" (rowid, "text_seg") values (new.rowid, new."text_seg");
        end;
        create trigger "queries_ad" after delete on "queries" begin
          insert into "queries_fts" ("queries_fts", rowid, "text_seg")
            values('delete', old.rowid, old."text_seg");
        end;
        create trigger "queries_au" after update on "queries" begin
          insert into "queries_fts" ("queries_fts", rowid, "text_seg")
            values('delete', old.rowid, old."text_seg");
          insert into "queries_fts" (rowid, "text_seg") values (new.rowid, new."text_seg");
        end;
    """,
}
OLD_QUESTIONS = ["哺乳室在哪里", "外卖骑手受伤了找谁", "两癌筛查"]


def old_log(path, version: int) -> None:
    """A log the old runner left at ``version``, with three questions and their feedback."""
    conn = sqlite3.connect(path)
    with conn:
        for v in range(1, version + 1):
            conn.executescript(OLD_STEPS[v])
            conn.execute(
                "insert into schema_migrations values (?, ?, ?)",
                [v, f"step {v}", f"2026-01-0{v}T08:00:00.000000Z"],
            )
        for i, text in enumerate(OLD_QUESTIONS):
            row = {"ref": f"old{i}", "ts": f"2026-01-10T0{i}:00:00.000000Z", "text": text}
            if version >= 3:
                row["text_seg"] = " ".join(segment(text))
            conn.execute(
                f"insert into queries ({', '.join(row)}, answered)"
                f" values ({', '.join('?' for _ in row)}, 1)",
                list(row.values()),
            )
        conn.execute("insert into feedback (ts, query_ref, value) values ('x', 'old0', 1)")
    conn.close()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_log_of_the_old_runner_is_taken_over(tmp_path, version):
    path = tmp_path / "querylog.db"
    old_log(path, version)
    log = QueryLog(path)  # would fail on "table queries already exists" if a step re-ran
    log.record_query(record(1, "我们单位没有哺乳室怎么办"))
    log.close()
    db = connect(path)
    assert "schema_migrations" not in db.table_names()
    applied = MIGRATIONS.applied(db)
    assert [m.name for m in applied] == STEPS
    # the old runner's steps keep their dates; the later ones are applied now
    assert [m.applied_at[:10] for m in applied[:version]] == [
        f"2026-01-0{v}" for v in range(1, version + 1)
    ]
    assert [(r["text"], r["followup"], r["context"]) for r in db["queries"].rows][:3] == [
        (text, "", "") for text in OLD_QUESTIONS
    ]
    assert db["feedback"].count == 1
    assert {"idx_queries_ref", "idx_feedback_query_ref"} <= {
        i.name for t in ("queries", "feedback") for i in db[t].indexes
    }
    db.conn.close()
    assert [q.text for q in queries.search(path, "哺乳室")] == [
        "我们单位没有哺乳室怎么办",
        "哺乳室在哪里",
    ]
    before = snapshot(path)
    QueryLog(path).close()
    assert snapshot(path) == before and queries.count(path) == 4


def test_a_log_at_m003_gains_the_follow_up_columns_in_place(tmp_path):
    path = tmp_path / "querylog.db"
    db = connect(path)
    MIGRATIONS.apply(db, stop_before="m004_followups")
    for i, text in enumerate(OLD_QUESTIONS):
        row = {"ref": f"old{i}", "ts": f"2026-01-10T0{i}:00:00Z", "text": text, "answered": 1}
        db["queries"].insert({**row, "text_seg": " ".join(segment(text))})
    db.conn.close()
    log = QueryLog(path)
    log.record_query(record(1, "那谁负责", ts="2026-01-11T00:00:00Z"))
    log.close()
    db = connect(path)
    assert [m.name for m in MIGRATIONS.applied(db)] == STEPS
    assert db["queries"].columns_dict["followup"] is str
    assert ["followup", "context"] in [i.columns for i in db["queries"].indexes]
    got = [
        (r["text"], r["followup"], r["context"]) for r in db["queries"].rows_where(order_by="ts")
    ]
    db.conn.close()
    assert got == [*((text, "", "") for text in OLD_QUESTIONS), ("那谁负责", "", "")]
    assert [q.text for q in queries.search(path, "哺乳室")] == ["哺乳室在哪里"]


def test_openers_of_an_old_log_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "querylog.db"
    old_log(path, 1)
    errors: list[Exception] = []

    def open_it() -> None:
        try:
            QueryLog(path).close()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [name for name, _ in snapshot(path)[1]] == STEPS
    assert queries.count(path) == len(OLD_QUESTIONS)


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "querylog.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(QueryLogError, match="cannot open"):
        QueryLog(path)
    with pytest.raises(QueryLogError, match="cannot open"):
        queries.stats(path)


# ---------------------------------------------------------------------- pseudonyms


def test_user_key_is_stable_secret_dependent_and_not_the_id():
    key = user_key(123456789, "s1")
    assert key == user_key(123456789, "s1") and len(key) == 32
    assert "123456789" not in key
    assert key != user_key(123456789, "s2") and key != user_key(123456780, "s1")
    assert user_key(None, "s1") == ""


def test_without_a_secret_keys_are_stable_within_the_run():
    assert user_key(5, None) == user_key(5, None) == user_key(5, "") != user_key(5, "x")


def test_no_raw_id_anywhere_in_the_files(qlog):
    for i in range(50):
        qlog.record_query(record(i))
        qlog.record_feedback(f"ref{i:06d}", -1, user_key(RAW_ID, SECRET))
    qlog.flush()
    for path in qlog.path.parent.iterdir():  # the database, its WAL and shared memory
        assert str(RAW_ID).encode() not in path.read_bytes(), path.name


# ---------------------------------------------------------------------- recording


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


def test_record_answer_logs_the_answer_and_returns_its_ref(tmp_path, qa):
    qlog = QueryLog(tmp_path / "querylog.db", model="e5")
    answered, declined = qa.ask("湖北方案第4项"), qa.ask("产假有多少天")
    where = {"channel": "cli", "chat_type": "terminal", "user": "k"}
    ref = qlog.record_answer(answered, text="q", latency_ms=12.345, index_version="v7", **where)
    given = qlog.record_answer(declined, text="q", latency_ms=3, ref="my-ref", **where)
    place = "湖北方案 第4项「提升女职工生活品质」"
    qlog.record_answer(
        answered, text="那谁负责？", latency_ms=1, followup="who", context=place, **where
    )
    qlog.close()
    assert len(ref) == 12 and ref.replace("-", "").replace("_", "").isalnum()
    assert given == "my-ref"
    first, second, third = connect(qlog.path)["queries"].rows
    assert first["ref"] == ref and first["answered"] == 1 and first["intent"] == answered.intent
    assert (first["top_doc"], first["top_number"]) == ("鄂工办发〔2023〕7号", "4")
    assert first["top_title"] == answered.hits[0].title == "提升女职工生活品质"
    assert json.loads(first["hits"])[0].keys() == {
        "doc_code",
        "number",
        "title",
        "departments",
        "score",
    }
    assert first["model"] == "e5" and first["index_version"] == "v7"
    assert first["latency_ms"] == 12.3 and first["channel"] == "cli"
    assert second["ref"] == "my-ref" and second["answered"] == 0 and second["top_title"] == ""
    assert (first["followup"], first["context"]) == ("", "")  # a fresh question
    assert (third["followup"], third["context"]) == ("who", place)


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
    assert queries.count(qlog.path) == 4000


WRITER = """
import sys
from bot.querylog.store import QueryLog, QueryRecord
log = QueryLog(sys.argv[1])
def ask(i):
    log.record_query(QueryRecord(f'{sys.argv[2]}-{i}', 'cli', 'terminal', '', '问', 'search', True))
"""


def test_two_processes_writing_at_once_lose_no_row(qlog):
    code = WRITER + "for i in range(300):\n    ask(i)\nlog.close()\n"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(qlog.path), name], cwd=ROOT)
        for name in ("a", "b")
    ]
    for i in range(300):
        qlog.record_query(record(i))
    assert all(p.wait(timeout=120) == 0 for p in procs)
    qlog.flush()
    assert queries.count(qlog.path) == 900


def test_writers_in_three_processes_wait_for_the_lock_and_never_retry(tmp_path):
    """Small commits from three processes at once (two terminal chats and the bot): each write
    waits for the lock instead of failing with "database is locked" and being tried again."""
    path = tmp_path / "three.db"
    code = (
        "import logging\nlogging.basicConfig(level=logging.WARNING)\n"
        + WRITER
        + "for i in range(300):\n    ask(i)\n    if i % 3 == 0:\n        log.flush()\n"
        "log.close()\nprint(log.dropped)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b", "c")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert [out.strip() for out, _ in outputs] == ["0", "0", "0"]
    assert not any("query log write failed" in err for _, err in outputs), outputs
    assert queries.count(path) == 900


def test_committed_rows_survive_the_process_being_killed(tmp_path):
    path = tmp_path / "killed.db"
    code = WRITER + (
        "import os, signal\n"
        "for i in range(500):\n"
        "    ask(i)\n"
        "log.flush()\n"
        "for i in range(500, 100000):  # being written when the process dies\n"
        "    ask(i)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path), "r"], cwd=ROOT, timeout=120)
    assert result.returncode == -9
    db = connect(path)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db["queries"].count >= 500


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
    assert queries.count(qlog.path) == 1 and qlog.dropped == 0


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
    assert queries.count(qlog.path) == 1 and qlog.dropped == 1


# ---------------------------------------------------------------------- purging


def test_purge_removes_old_questions_with_their_feedback(qlog):
    old = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    qlog.record_query(record(1, ts=old))
    qlog.record_query(record(2))
    qlog.record_feedback("ref000001", 1, "k")
    qlog.record_feedback("ref000002", 1, "k")
    qlog.record_event("admin_refused", "k", "/stats")
    qlog.flush()
    assert purge(qlog.path, parse_age("365d")) == 1
    db = connect(qlog.path)
    assert [r["ref"] for r in db["queries"].rows] == ["ref000002"]
    assert [r["query_ref"] for r in db["feedback"].rows] == ["ref000002"]
    assert db["events"].count == 1
    assert queries.search(qlog.path, "哺乳室")[0].ts != old  # the full-text index follows
    assert purge(qlog.path, parse_age("0d")) == 1 and queries.count(qlog.path, "events") == 0


@pytest.mark.parametrize("text", ["365", "d", "-3d", "3y", ""])
def test_bad_ages_are_clear_errors(text):
    with pytest.raises(NiangjiaError):
        parse_age(text)
