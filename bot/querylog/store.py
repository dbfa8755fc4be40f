"""The query log: every question, feedback and refused admin command, in SQLite.

This module holds the schema and the writes; ``bot.querylog.queries`` holds the reads.

Written with sqlite-utils; the schema is created and upgraded by ``sqlite_utils.Migrations``
(``m001_create_tables``, …). WAL mode, and one writer thread fed by a queue: recording never
blocks the caller, a failed write is retried, and a committed row survives the process being
killed. Users appear only as pseudonymous keys (``user_key``); the log never sees a raw Telegram
id or name.

Questions are searchable in Chinese through FTS5 over a jieba-segmented copy of the text. The
file opens as it is in Datasette (``datasette data/querylog.db``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from bot.core.tokens import segment
from bot.errors import NiangjiaError

if TYPE_CHECKING:
    from bot.core.dialogue import Turn
    from bot.core.replies import Answer

log = logging.getLogger(__name__)


class QueryLogError(NiangjiaError):
    """The query log cannot be opened or read."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def user_key(user_id: int | None, secret: str | None) -> str:
    """A stable pseudonym for a user id (HMAC-SHA256 with ``NIANGJIA_LOG_SECRET``); never the
    id itself."""
    if user_id is None:
        return ""
    key = (secret or _PROCESS_SECRET).encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


# Without a configured secret, pseudonyms are stable only within one run (and cannot be
# reversed by anyone who later reads the logs).
_PROCESS_SECRET = secrets.token_hex(16)


@dataclass
class QueryRecord:
    """One question as the log keeps it."""

    ref: str  # the answer's token, which feedback refers to
    channel: str  # telegram | cli
    chat_type: str
    user: str  # user_key(...), never a raw id
    text: str
    intent: str
    answered: bool
    hits: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0
    model: str = ""
    index_version: str = ""
    ts: str = ""  # UTC; empty: when it is written
    followup: str = ""  # the follow-up's kind (who, full, more, …); "" for a fresh question
    context: str = ""  # what the follow-up was resolved against: a clause's place, a department


# ---------------------------------------------------------------------- schema

MIGRATIONS = sqlite_utils.Migrations("niangjia.querylog")


@MIGRATIONS()
def m001_create_tables(db: sqlite_utils.Database) -> None:
    db["queries"].create(
        {
            "id": int,
            "ref": str,
            "ts": str,
            "channel": str,
            "chat_type": str,
            "user_key": str,
            "text": str,
            "intent": str,
            "answered": int,
            "hits": str,
            "top_doc": str,
            "top_number": str,
            "top_title": str,
            "departments": str,
            "latency_ms": float,
            "model": str,
            "index_version": str,
        },
        pk="id",
    )
    db["feedback"].create(
        {"id": int, "ts": str, "query_ref": str, "value": int, "user_key": str}, pk="id"
    )
    db["events"].create(
        {"id": int, "ts": str, "kind": str, "user_key": str, "detail": str}, pk="id"
    )


@MIGRATIONS()
def m002_indexes(db: sqlite_utils.Database) -> None:
    db["queries"].create_index(["ts"])
    db["queries"].create_index(["ref"], unique=True)
    db["queries"].create_index(["answered", "ts"])
    db["feedback"].create_index(["query_ref"])


@MIGRATIONS()
def m003_search(db: sqlite_utils.Database) -> None:
    """A jieba-segmented copy of each question, indexed by FTS5 (kept in step by triggers)."""
    db["queries"].add_column("text_seg", str)
    for row in list(db.query("select id, text from queries")):
        db["queries"].update(row["id"], {"text_seg": " ".join(segment(row["text"] or ""))})
    db["queries"].enable_fts(["text_seg"], fts_version="FTS5", create_triggers=True)


@MIGRATIONS()
def m004_followups(db: sqlite_utils.Database) -> None:
    """Whether a question followed up an earlier answer (its kind: who, full, more, …) and the
    clause or department it was resolved against; "" for a fresh question and for older rows."""
    db["queries"].add_column("followup", str, not_null_default="")
    db["queries"].add_column("context", str, not_null_default="")
    db["queries"].create_index(["followup", "context"])


# The runner this log had before sqlite-utils' own: its table and its numbered versions.
OLD_RUNNER_TABLE = "schema_migrations"
OLD_VERSIONS = {1: "m001_create_tables", 2: "m002_indexes", 3: "m003_search"}


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema up to date; a no-op (and no write) when it is.

    A log made by the old runner is taken over first: the steps its ``schema_migrations``
    table lists are recorded as applied in sqlite-utils' table, then that table is dropped.
    Everything happens in one transaction under the write lock, so two processes opening an
    old or new file at once do not both migrate it.
    """
    if not _needs_migrating(db):
        return
    db.conn.execute("begin immediate")
    try:
        if OLD_RUNNER_TABLE in db.table_names():
            _take_over_old_runner(db)
        pending = [m.name for m in MIGRATIONS.pending(db)]
        MIGRATIONS.apply(db)  # each step in a savepoint of this transaction
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
    if pending:
        log.info("query log migrated: %s", ", ".join(pending))


def _needs_migrating(db: sqlite_utils.Database) -> bool:
    return OLD_RUNNER_TABLE in db.table_names() or bool(MIGRATIONS.pending(db))


def _take_over_old_runner(db: sqlite_utils.Database) -> None:
    MIGRATIONS.ensure_migrations_table(db)
    done = {m.name for m in MIGRATIONS.applied(db)}
    for row in db[OLD_RUNNER_TABLE].rows_where(order_by="version"):
        name = OLD_VERSIONS.get(row["version"])
        if name and name not in done:
            # The row sqlite-utils writes for an applied step, with the step's own date.
            db[MIGRATIONS.migrations_table].insert(
                {
                    "migration_set": MIGRATIONS.name,
                    "name": name,
                    "applied_at": _as_applied_at(row["applied_at"]),
                }
            )
    db[OLD_RUNNER_TABLE].drop()
    log.info("query log: took over the old schema_migrations table")


def _as_applied_at(ts: str | None) -> str:
    """The old runner's ``…Z`` timestamp in sqlite-utils' form (``… 12:00:00.000000+00:00``)."""
    try:
        return str(datetime.fromisoformat(ts or ""))
    except ValueError:
        return str(datetime.now(UTC))


def readable(text: str | None) -> bool:
    """Whether a message has a letter or a digit in it: one of only emoji, symbols or
    zero-width characters is no question (it is counted apart, as 无法理解的消息). In SQL on
    every connection, as ``readable(text)``."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text or "")


def connect(path: str | Path) -> sqlite_utils.Database:
    """A plain connection to the log file (no schema check)."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.create_function("readable", 1, readable, deterministic=True)
    conn.execute("pragma busy_timeout = 30000")
    return sqlite_utils.Database(conn)


def open_log(path: str | Path) -> sqlite_utils.Database:
    """A connection to the log, the file created (WAL mode) and its schema brought up to date
    when need be; QueryLogError when it is not a usable database."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QueryLogError(f"无法建立提问记录 {path}：{exc.strerror or exc}") from exc
    db = connect(path)
    try:
        db.enable_wal()
        migrate(db)
    except BaseException as exc:
        db.conn.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise QueryLogError(f"cannot open the query log {path}: {exc}") from exc
        raise
    return db


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction that takes the write lock when it begins (``BEGIN IMMEDIATE``).
    A deferred one (sqlite-utils' ``atomic``) reads the schema first and then asks for the
    lock; if another process has committed in between, SQLite refuses at once ("database is
    locked") without waiting out the busy timeout. Begun immediately, it simply waits."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.commit()
    except BaseException:
        db.conn.rollback()  # a no-op when the error already ended the transaction
        raise


@contextmanager
def reading(path: str | Path) -> Iterator[sqlite_utils.Database]:
    """The log (``open_log``) for one read or admin task, closed afterwards; a database error
    on the way becomes QueryLogError."""
    db = open_log(path)
    try:
        yield db
    except sqlite3.DatabaseError as exc:
        raise QueryLogError(f"cannot read the query log {path}: {exc}") from exc
    finally:
        db.conn.close()


# ---------------------------------------------------------------------- the writer


_STOP = object()


class QueryLog:
    """The SQLite query log, written by a thread of its own. Every ``record_*`` method returns
    at once (it only queues the row), so the bot may call it on its event loop."""

    def __init__(
        self,
        path: str | Path,
        *,
        model: str = "",
        batch: int = 500,
        attempts: int = 8,
        backoff: float = 0.05,
    ) -> None:
        self.path = Path(path)
        self.model = model
        self.batch = batch
        self.attempts = attempts
        self.backoff = backoff
        self.dropped = 0
        open_log(self.path).conn.close()
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="querylog-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ recording

    def record_turn(
        self,
        turn: Turn,
        *,
        channel: str,
        chat_type: str,
        user: str,
        text: str,
        latency_ms: float,
        index_version: str = "",
        ref: str | None = None,
        rejected: str | None = None,
    ) -> str:
        """Log one turn of a conversation: its answer, what kind of follow-up it was and what
        it was resolved against, and (for 不对) a 👎 on the answer it rejected, whose ref is
        ``rejected``. Returns the turn's ref."""
        ref = self.record_answer(
            turn.answer,
            channel=channel,
            chat_type=chat_type,
            user=user,
            text=text,
            latency_ms=latency_ms,
            index_version=index_version,
            ref=ref,
            followup=turn.followup,
            context=turn.resolved_against,
        )
        if rejected:
            self.record_feedback(rejected, -1, user)
        return ref

    def record_answer(
        self,
        answer: Answer,
        *,
        channel: str,
        chat_type: str,
        user: str,
        text: str,
        latency_ms: float,
        index_version: str = "",
        ref: str | None = None,
        followup: str = "",
        context: str = "",
    ) -> str:
        """Log one answered (or declined) question; return its ref (a new one when none is
        given), which feedback on the answer refers to. ``followup`` is the kind of follow-up
        the question was (who, full, more, …; "" for a fresh one) and ``context`` the place of
        the clause (or the department) it was resolved against."""
        ref = ref or secrets.token_urlsafe(9)[:12]
        hits = [
            {
                "doc_code": h.doc_code,
                "number": h.number,
                "title": h.title,
                "departments": h.departments,
                "score": h.score,
            }
            for h in answer.hits
        ]
        self.record_query(
            QueryRecord(
                ref=ref,
                channel=channel,
                chat_type=chat_type,
                user=user,
                text=text,
                intent=answer.intent,
                answered=answer.answered,
                hits=hits,
                latency_ms=round(latency_ms, 1),
                model=self.model,
                index_version=index_version,
                followup=followup,
                context=context,
            )
        )
        return ref

    def record_query(self, record: QueryRecord) -> None:
        """Log a question already made into a record (its own ``ts`` and ``model`` kept)."""
        self._queue.put(("queries", _query_row(record, self.model)))

    def record_feedback(self, ref: str, value: int, user: str) -> None:
        row = {"ts": utc_now(), "query_ref": ref, "value": int(value), "user_key": user}
        self._queue.put(("feedback", row))

    def record_event(self, kind: str, user: str, detail: str) -> None:
        row = {"ts": utc_now(), "kind": kind, "user_key": user, "detail": detail}
        self._queue.put(("events", row))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything recorded so far is committed (or ``timeout`` passes)."""
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued and stop the writer."""
        if self._thread.is_alive():
            self._queue.put(("stop", _STOP))
            self._thread.join(timeout)

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        db = connect(self.path)
        segment("")  # load jieba here, not on the caller's thread
        try:
            while True:
                items = [self._queue.get()]
                while len(items) < self.batch:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                rows = [(table, row) for table, row in items if table not in ("flush", "stop")]
                if rows:
                    try:
                        self._write(db, rows)
                    except Exception:  # the writer must outlive any one bad batch
                        self.dropped += len(rows)
                        log.exception("query log: %d rows not written", len(rows))
                for table, row in items:
                    if table == "flush":
                        row.set()
                if any(table == "stop" for table, _ in items):
                    return
        finally:
            db.conn.close()

    def _write(self, db: sqlite_utils.Database, rows: list[tuple[str, dict]]) -> None:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                with writing(db):
                    for table in ("queries", "feedback", "events"):
                        batch = [row for t, row in rows if t == table]
                        if batch:
                            self._insert(db, table, batch)
                return
            except sqlite3.OperationalError as exc:  # locked, busy, disk full: worth a retry
                if attempt == self.attempts:
                    self.dropped += len(rows)
                    log.error(
                        "query log: %d rows not written after %d tries: %s", len(rows), attempt, exc
                    )
                    return
                log.warning("query log write failed (%s); retry %d in %.2f s", exc, attempt, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    @staticmethod
    def _insert(db: sqlite_utils.Database, table: str, rows: list[dict]) -> None:
        if table == "queries":
            for row in rows:
                row.setdefault("text_seg", " ".join(segment(row["text"] or "")))
        db[table].insert_all(rows, ignore=table == "queries")  # a ref is written once


def _query_row(record: QueryRecord, model: str) -> dict:
    top = record.hits[0] if record.hits and record.answered else {}
    return {
        "ref": record.ref,
        "ts": record.ts or utc_now(),
        "channel": record.channel,
        "chat_type": record.chat_type,
        "user_key": record.user,
        "text": record.text,
        "intent": record.intent,
        "answered": int(record.answered),
        "hits": json.dumps(record.hits, ensure_ascii=False),
        "top_doc": top.get("doc_code", ""),
        "top_number": top.get("number", ""),
        "top_title": top.get("title", ""),
        "departments": json.dumps(top.get("departments", []), ensure_ascii=False),
        "latency_ms": record.latency_ms,
        "model": record.model or model,
        "index_version": record.index_version,
        "followup": record.followup,
        "context": record.context,
    }


# ---------------------------------------------------------------------- purging


def purge(path: str | Path, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete questions (with their feedback) and events older than ``older_than``, in one
    transaction; return the number of questions deleted. Safe while a QueryLog writes."""
    cutoff = ((now or datetime.now(UTC)) - older_than).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with reading(path) as db:
        with writing(db):
            db.execute(
                "delete from feedback where query_ref in (select ref from queries where ts < ?)",
                [cutoff],
            )
            deleted = db.execute("delete from queries where ts < ?", [cutoff]).rowcount
            db.execute("delete from events where ts < ?", [cutoff])
        db.execute("pragma wal_checkpoint(truncate)")
    return deleted


def parse_age(text: str) -> timedelta:
    """'365d', '12w', '24h' → a timedelta."""
    units = {"d": "days", "w": "weeks", "h": "hours"}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise QueryLogError(f"cannot read the age {text!r}: write e.g. 365d, 12w or 24h")
    return timedelta(**{units[text[-1]]: int(text[:-1])})
