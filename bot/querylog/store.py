"""The query log: every question, feedback and refused admin command, in SQLite.

Written with sqlite-utils; the schema is created and upgraded by numbered migrations. WAL mode,
and one writer thread fed by a queue: recording never blocks the caller, a failed write is
retried, and a committed row survives the process being killed. Users appear only as
pseudonymous keys (``journal.user_key``); the log never sees a raw Telegram id or name.

Questions are searchable in Chinese through FTS5 over a jieba-segmented copy of the text. The
file opens as it is in Datasette (``datasette data/querylog.db``).
"""

from __future__ import annotations

import csv
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import sqlite_utils

from bot.errors import NiangjiaError
from bot.querylog.journal import QueryRecord

log = logging.getLogger(__name__)

EXPORT_FIELDS = (
    "ts",
    "channel",
    "chat_type",
    "text",
    "intent",
    "answered",
    "top_doc",
    "top_number",
    "top_title",
    "departments",
    "hits",
    "latency_ms",
    "model",
    "index_version",
)


def export_fields(with_users: bool) -> list[str]:
    return [*EXPORT_FIELDS, *(["user_key"] if with_users else [])]


class QueryLogError(NiangjiaError):
    """The query log cannot be opened or read."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_segmenter = None
_segmenter_lock = threading.Lock()


def segment(text: str, for_search: bool = True) -> list[str]:
    """jieba words of ``text`` (the finer search mode for indexing)."""
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            _segmenter = jieba.Tokenizer()
            _segmenter.initialize()
    words = _segmenter.cut_for_search(text) if for_search else _segmenter.cut(text)
    return [w.strip() for w in words if w.strip() and any(ch.isalnum() for ch in w)]


# ---------------------------------------------------------------------- schema


def _m1_tables(db: sqlite_utils.Database) -> None:
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


def _m2_indexes(db: sqlite_utils.Database) -> None:
    db["queries"].create_index(["ts"])
    db["queries"].create_index(["ref"], unique=True)
    db["queries"].create_index(["answered", "ts"])
    db["feedback"].create_index(["query_ref"])


def _m3_search(db: sqlite_utils.Database) -> None:
    """A jieba-segmented copy of each question, indexed by FTS5 (kept in step by triggers)."""
    db["queries"].add_column("text_seg", str)
    rows = list(db.query("select id, text from queries"))
    for row in rows:
        db["queries"].update(row["id"], {"text_seg": " ".join(segment(row["text"] or ""))})
    db["queries"].enable_fts(["text_seg"], fts_version="FTS5", create_triggers=True)


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "queries, feedback and events tables", _m1_tables),
    (2, "indexes on time, reference and answered", _m2_indexes),
    (3, "full-text search over jieba-segmented questions", _m3_search),
]
LATEST = MIGRATIONS[-1][0]


def connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    conn.execute("pragma busy_timeout = 30000")
    return sqlite_utils.Database(conn)


@contextmanager
def reading(path: Path) -> Iterator[sqlite_utils.Database]:
    """A connection to the log for reading, closed afterwards."""
    db = connect(Path(path))
    try:
        yield db
    finally:
        db.conn.close()


def migrate(db: sqlite_utils.Database, upto: int = LATEST) -> int:
    """Apply the migrations not yet applied (up to ``upto``); return the schema version."""
    if "schema_migrations" not in db.table_names():
        db["schema_migrations"].create(
            {"version": int, "name": str, "applied_at": str}, pk="version"
        )
    done = {row["version"] for row in db["schema_migrations"].rows}
    for version, name, apply in MIGRATIONS:
        if version in done or version > upto:
            continue
        with db.conn:
            apply(db)
            db["schema_migrations"].insert(
                {"version": version, "name": name, "applied_at": utc_now()}
            )
        log.info("query log migrated to version %d (%s)", version, name)
    return max(done | {v for v, _, _ in MIGRATIONS if v <= upto})


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    return max((row["version"] for row in db["schema_migrations"].rows), default=0)


# ---------------------------------------------------------------------- results


@dataclass
class Window:
    days: int
    asked: int
    answered: int

    @property
    def unanswered_share(self) -> float:
        return (self.asked - self.answered) / self.asked if self.asked else 0.0


@dataclass
class Stats:
    windows: list[Window]
    top_topics: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Hit:
    ts: str
    text: str
    answered: bool
    top_title: str


# ---------------------------------------------------------------------- the log


_STOP = object()


class QueryLog:
    """The SQLite query log: a ``Journal`` that writes in a thread of its own."""

    def __init__(
        self,
        path: str | Path,
        batch: int = 500,
        attempts: int = 8,
        backoff: float = 0.05,
        model: str = "",
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.batch = batch
        self.attempts = attempts
        self.backoff = backoff
        self.model = model
        self.dropped = 0
        try:
            db = connect(self.path)
            db.enable_wal()
            migrate(db)
            db.conn.close()
        except sqlite3.DatabaseError as exc:
            raise QueryLogError(f"cannot open the query log {self.path}: {exc}") from exc
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="querylog-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ Journal

    def record_query(self, record: QueryRecord) -> None:
        self._queue.put(("queries", self.query_row(record)))

    def record_feedback(self, ref: str, value: int, user: str) -> None:
        row = {"ts": utc_now(), "query_ref": ref, "value": int(value), "user_key": user}
        self._queue.put(("feedback", row))

    def record_event(self, kind: str, user: str, detail: str) -> None:
        row = {"ts": utc_now(), "kind": kind, "user_key": user, "detail": detail}
        self._queue.put(("events", row))

    def query_row(self, record: QueryRecord) -> dict:
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
            "model": record.model or self.model,
            "index_version": record.index_version,
        }

    # ------------------------------------------------------------------ writing

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything recorded so far is committed (or ``timeout`` passes)."""
        done = threading.Event()
        self._queue.put(("flush", done))
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self._queue.put(("stop", _STOP))
            self._thread.join(timeout)

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
                with db.conn:
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

    # ------------------------------------------------------------------ reading

    def count(self, table: str = "queries") -> int:
        with reading(self.path) as db:
            return db[table].count

    def stats(self, now: datetime | None = None, windows: Iterable[int] = (7, 30)) -> Stats:
        """Questions and answered ones in the last N days, and the most asked clauses."""
        now = now or datetime.now(UTC)
        with reading(self.path) as db:
            result = []
            for days in windows:
                since = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
                row = next(
                    db.query(
                        "select count(*) n, coalesce(sum(answered), 0) a from queries"
                        " where ts >= ?",
                        [since],
                    )
                )
                result.append(Window(days, row["n"], row["a"]))
            since = (now - timedelta(days=max(windows))).strftime("%Y-%m-%dT%H:%M:%S")
            top = [
                (r["top_title"], r["n"])
                for r in db.query(
                    "select top_title, count(*) n from queries where answered = 1 and ts >= ?"
                    " and top_title != '' group by top_title order by n desc limit 5",
                    [since],
                )
            ]
            return Stats(result, top)

    def search(self, text: str, limit: int = 20) -> list[Hit]:
        """Questions containing the words of ``text`` (jieba-segmented, all required)."""
        words = segment(text, for_search=False)
        if not words:
            return []
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        with reading(self.path) as db:
            rows = db.query(
                "select q.ts, q.text, q.answered, q.top_title from queries_fts f"
                " join queries q on q.rowid = f.rowid where queries_fts match ?"
                " order by q.ts desc limit ?",
                [match, limit],
            )
            return [Hit(r["ts"], r["text"], bool(r["answered"]), r["top_title"]) for r in rows]

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete questions (with their feedback) and events older than ``older_than``."""
        cutoff = ((now or datetime.now(UTC)) - older_than).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.flush()
        with reading(self.path) as db:
            with db.conn:
                db.execute(
                    "delete from feedback where query_ref in"
                    " (select ref from queries where ts < ?)",
                    [cutoff],
                )
                deleted = db.execute("delete from queries where ts < ?", [cutoff]).rowcount
                db.execute("delete from events where ts < ?", [cutoff])
            db.execute("pragma wal_checkpoint(truncate)")
            return deleted

    def rows(
        self, since: str | None = None, until: str | None = None, with_users: bool = False
    ) -> Iterator[dict]:
        """Questions in time order, without user keys unless asked for."""
        fields = export_fields(with_users)
        where, args = period_where(since, until)
        with reading(self.path) as db:
            yield from db.query(
                f"select {', '.join(fields)} from queries {where} order by ts", args
            )

    def export(
        self,
        out: IO[str],
        fmt: str = "jsonl",
        with_users: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> int:
        n = 0
        rows = self.rows(since, until, with_users)
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=export_fields(with_users))
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                n += 1
        elif fmt == "jsonl":
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        else:
            raise QueryLogError(f"unknown export format {fmt!r} (csv or jsonl)")
        return n

    def confirmed_pairs(self) -> Iterator[tuple[str, str, str, str]]:
        """(question, doc_code, number, title) of answers marked 👍 and never 👎."""
        with reading(self.path) as db:
            yield from (
                (r["text"], r["top_doc"], r["top_number"], r["top_title"])
                for r in db.query(
                    "select q.text, q.top_doc, q.top_number, q.top_title from queries q"
                    " where q.answered = 1 and q.top_title != ''"
                    " and exists (select 1 from feedback f where f.query_ref = q.ref"
                    " and f.value > 0)"
                    " and not exists (select 1 from feedback f where f.query_ref = q.ref"
                    " and f.value < 0) order by q.ts"
                )
            )


def period_where(since: str | None, until: str | None) -> tuple[str, list[str]]:
    """A WHERE clause on ts for dates (YYYY-MM-DD; ``until`` inclusive)."""
    clauses, args = [], []
    if since:
        clauses.append("ts >= ?")
        args.append(_day(since))
    if until:
        clauses.append("ts < ?")
        args.append(_next_day(until))
    return ("where " + " and ".join(clauses) if clauses else ""), args


def _day(day: str) -> str:
    try:
        return datetime.strptime(day.strip(), "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError as exc:
        raise QueryLogError(f"not a date (YYYY-MM-DD): {day!r}") from exc


def _next_day(day: str) -> str:
    start = datetime.strptime(_day(day), "%Y-%m-%d")
    return (start + timedelta(days=1)).strftime("%Y-%m-%d")


def parse_age(text: str) -> timedelta:
    """'365d', '12w', '24h' → a timedelta."""
    units = {"d": "days", "w": "weeks", "h": "hours"}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise QueryLogError(f"cannot read the age {text!r}: write e.g. 365d, 12w or 24h")
    return timedelta(**{units[text[-1]]: int(text[:-1])})
