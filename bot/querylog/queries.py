"""Reading the query log: figures for /stats and the report, search, export, training pairs.

Every function takes the log's path and opens its own connection (``store.reading``), so the
bot, the CLI and the report read the same way, beside a ``QueryLog`` that is writing. Periods
are dates (``YYYY-MM-DD``), ``until`` inclusive.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bot.core.documents import Document
from bot.core.tokens import STOPWORDS, segment
from bot.querylog.store import QueryLogError, readable, reading

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
    "followup",
    "context",
)


def export_fields(with_users: bool) -> list[str]:
    return [*EXPORT_FIELDS, *(["user_key"] if with_users else [])]


# ---------------------------------------------------------------------- results


@dataclass
class Window:
    days: int
    asked: int
    answered: int
    unreadable: int = 0  # messages of no letters (emoji, zero-width only): not questions

    @property
    def unanswered_share(self) -> float:
        return (self.asked - self.answered) / self.asked if self.asked else 0.0


@dataclass
class Stats:
    windows: list[Window]
    top_topics: list[tuple[str, int]] = field(default_factory=list)  # (clause title, times)


@dataclass
class LoggedQuestion:
    """A question found in the log."""

    ts: str
    text: str
    answered: bool
    top_title: str


@dataclass
class Totals:
    asked: int
    answered: int
    first: str  # ts of the first question of the period ("" when none)
    last: str
    unreadable: int = 0  # messages of no letters (emoji, zero-width only): not questions


@dataclass
class ClauseCount:
    doc_code: str
    number: str
    title: str
    count: int


@dataclass
class DislikedAnswer:
    """An answer marked 👎: when, the question, and the clause it gave (title "" if none)."""

    ts: str
    text: str
    doc_code: str
    number: str
    title: str


@dataclass
class FollowUpCount:
    """How often one clause (or department), ``context``, drew follow-ups of one ``kind``."""

    context: str
    kind: str
    count: int


@dataclass
class FollowUps:
    """``follow_ups``: what people asked next, after an answer."""

    asked: int  # every question of the period
    kinds: list[tuple[str, int]]  # (kind, follow-ups of it), the most first
    top: list[FollowUpCount]  # for each kind in that order, the contexts that drew it most

    @property
    def total(self) -> int:
        return sum(n for _, n in self.kinds)

    @property
    def share(self) -> float:
        """Of all questions, the share that were follow-ups."""
        return self.total / self.asked if self.asked else 0.0

    def drawn_by(self, kind: str) -> list[FollowUpCount]:
        return [c for c in self.top if c.kind == kind]


@dataclass
class Pairs:
    """``confirmed_pairs``: ``{"anchor": question, "positive": clause}`` dicts, and how many
    confirmed answers were left out because their clause is no longer in the documents."""

    pairs: list[dict[str, str]]
    skipped: int


# ---------------------------------------------------------------------- /stats and search


def stats(path: str | Path, now: datetime | None = None, windows: Iterable[int] = (7, 30)) -> Stats:
    """Questions and answered ones in the last N days, and the most asked clauses."""
    now = now or datetime.now(UTC)
    windows = list(windows)
    with reading(path) as db:
        result = []
        for days in windows:
            n, a, u = next(
                db.execute(
                    f"select count(*) filter (where {QUESTION}),"
                    f" coalesce(sum(answered) filter (where {QUESTION}), 0),"
                    " count(*) filter (where not readable(text))"
                    f" from queries where ts >= ? and {ASKS}",
                    [_ago(now, days)],
                )
            )
            result.append(Window(days, n, a, u))
        top = db.execute(
            "select top_title, count(*) n from queries where answered = 1 and ts >= ?"
            " and top_title != '' group by top_title order by n desc limit 5",
            [_ago(now, max(windows))],
        ).fetchall()
    return Stats(result, [(title, n) for title, n in top])


def _ago(now: datetime, days: int) -> str:
    return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")


def search(path: str | Path, text: str, limit: int = 20) -> list[LoggedQuestion]:
    """Questions containing the words of ``text`` (jieba-segmented, all required), newest first."""
    words = segment(text, for_search=False)
    if not words:
        return []
    match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    with reading(path) as db:
        rows = db.execute(
            "select q.ts, q.text, q.answered, q.top_title from queries_fts f"
            " join queries q on q.rowid = f.rowid where queries_fts match ?"
            " order by q.ts desc limit ?",
            [match, limit],
        ).fetchall()
    return [LoggedQuestion(ts, text, bool(answered), title) for ts, text, answered, title in rows]


def count(path: str | Path, table: str = "queries") -> int:
    """Rows in a table of the log."""
    with reading(path) as db:
        return db[table].count


# ---------------------------------------------------------------------- export


def rows(
    path: str | Path,
    since: str | None = None,
    until: str | None = None,
    with_users: bool = False,
) -> Iterator[dict]:
    """Questions in time order, without user keys unless asked for (a bad date raises here,
    before the first row)."""
    where, args = period_where(since, until)
    sql = f"select {', '.join(export_fields(with_users))} from queries {where} order by ts"

    def select() -> Iterator[dict]:
        with reading(path) as db:
            yield from db.query(sql, args)

    return select()


def export(
    path: str | Path,
    out: IO[str],
    fmt: str = "jsonl",
    with_users: bool = False,
    since: str | None = None,
    until: str | None = None,
) -> int:
    """Write the questions to ``out`` as JSON Lines or CSV; return how many."""
    if fmt not in ("csv", "jsonl"):
        raise QueryLogError(f"unknown export format {fmt!r} (csv or jsonl)")
    selected = rows(path, since, until, with_users)
    writer = csv.DictWriter(out, fieldnames=export_fields(with_users)) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    n = 0
    for row in selected:
        if writer:
            writer.writerow(row)
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def confirmed_pairs(path: str | Path, docs: Iterable[Document]) -> Pairs:
    """(question, clause) pairs people confirmed: answers marked 👍 and never 👎, as
    sentence-transformers training data. A pair is kept only while its clause (same 文号,
    number and title) is still in ``docs``; the text is the clause as it stands now."""
    by_code = {d.code: d for d in docs}
    with reading(path) as db:
        confirmed = db.execute(
            "select q.text, q.top_doc, q.top_number, q.top_title from queries q"
            " where q.answered = 1 and q.top_title != ''"
            " and exists (select 1 from feedback f where f.query_ref = q.ref and f.value > 0)"
            " and not exists (select 1 from feedback f where f.query_ref = q.ref and f.value < 0)"
            " order by q.ts"
        ).fetchall()
    result = Pairs([], 0)
    for question, code, number, title in confirmed:
        doc = by_code.get(code)
        clause = doc.clause_by_number(number) if doc else None
        if clause is None or clause.title != title:
            result.skipped += 1  # the document changed since
            continue
        result.pairs.append({"anchor": question, "positive": f"{clause.title}。{clause.text}"})
    return result


# ---------------------------------------------------------------------- the report's figures


def totals(path: str | Path, since: str | None = None, until: str | None = None) -> Totals:
    """Questions asked and answered in the period, and the first and last one's time."""
    ((asked, answered, first, last, unreadable),) = _in_period(
        path,
        f"select count(*) filter (where {QUESTION}),"
        f" coalesce(sum(answered) filter (where {QUESTION}), 0), min(ts), max(ts),"
        " count(*) filter (where not readable(text)) from queries {where}",
        since,
        until,
        ASKS,
    )
    return Totals(asked, answered, first or "", last or "", unreadable)


def weekly(
    path: str | Path, since: str | None = None, until: str | None = None
) -> list[tuple[str, int, int]]:
    """(monday, asked, answered) for each week of the period with questions."""
    return _in_period(
        path,
        "select date(ts, 'weekday 0', '-6 days') w, count(*), sum(answered) from queries"
        " {where} group by w order by w",
        since,
        until,
        QUESTION,
    )


def top_clauses(
    path: str | Path, since: str | None = None, until: str | None = None, limit: int = 10
) -> list[ClauseCount]:
    """The clauses answers gave most often."""
    rows = _in_period(
        path,
        "select top_doc, top_number, top_title, count(*) n from queries {where}"
        " group by top_doc, top_number, top_title order by n desc limit ?",
        since,
        until,
        "answered = 1 and top_title != ''",
        more_args=[limit],
    )
    return [ClauseCount(*row) for row in rows]


def top_departments(
    path: str | Path, since: str | None = None, until: str | None = None, limit: int = 12
) -> list[tuple[str, int]]:
    """责任单位 by the answered questions whose clause names them (a question may count for
    several)."""
    return _in_period(
        path,
        "select d.value, count(*) n from queries, json_each(queries.departments) d {where}"
        " group by d.value order by n desc limit ?",
        since,
        until,
        "answered = 1",
        more_args=[limit],
    )


def topic_words(
    path: str | Path,
    since: str | None = None,
    until: str | None = None,
    limit: int = 15,
    words_of: Callable[[str, str], Iterable[str]] | None = None,
) -> list[tuple[str, int]]:
    """The words most questions use (two characters or more, stopwords left out), each
    counted once a question; only the questions that say what they are about (``TOPICAL``:
    not small talk, not 那谁负责 or 详细说说 after an answer). ``words_of(text, segmented)``
    picks a question's words from its text and its jieba-segmented copy (default: all of
    that copy); it is called once for each distinct text."""
    words: Counter[str] = Counter()
    for text, segmented, n in _in_period(
        path,
        "select text, min(text_seg), count(*) from queries {where} group by text",
        since,
        until,
        TOPICAL,
    ):
        picked = words_of(text, segmented or "") if words_of else (segmented or "").split()
        for w in set(picked):
            if len(w) >= 2 and w not in STOPWORDS and readable(w):
                words[w] += n
    return words.most_common(limit)


def unanswered(
    path: str | Path, since: str | None = None, until: str | None = None
) -> list[tuple[str, int]]:
    """The distinct questions the documents did not answer, with how often, most asked first."""
    return _in_period(
        path,
        "select text, count(*) n from queries {where} group by text order by n desc",
        since,
        until,
        "answered = 0",
        "followup = ''",  # a fresh question: not 没有更多了 after 还有吗, not a clarification
        "readable(text)",  # emoji or zero-width only: counted apart, never a topic
    )


def disliked(
    path: str | Path, since: str | None = None, until: str | None = None
) -> list[DislikedAnswer]:
    """Answers marked 👎 to questions of the period, the latest mark first."""
    rows = _in_period(
        path,
        "select f.ts, q.text, q.top_doc, q.top_number, q.top_title from feedback f"
        " join queries q on q.ref = f.query_ref {where} order by f.ts desc",
        since,
        until,
        "f.value < 0",
        column="q.ts",
    )
    return [DislikedAnswer(*row) for row in rows]


def follow_ups(
    path: str | Path, since: str | None = None, until: str | None = None, limit: int = 10
) -> FollowUps:
    """The questions that followed up an answer (who, full, more, …; small talk and follow-ups
    with nothing to follow left out): how many of each kind, and for each kind the ``limit``
    contexts (the place of a clause, or a department) that drew it most."""
    ((asked,),) = _in_period(path, "select count(*) from queries {where}", since, until, QUESTION)
    counted = _in_period(
        path,
        "select followup, context, count(*) n from queries {where}"
        " group by followup, context order by n desc, followup, context",
        since,
        until,
        # not a fresh question ("": the index on (followup, context) skips those), and a question
        "followup > ''",
        QUESTION,
    )
    by_kind: dict[str, list[FollowUpCount]] = {}
    for kind, context, n in counted:
        by_kind.setdefault(kind, []).append(FollowUpCount(context, kind, n))
    kinds = sorted(
        ((kind, sum(c.count for c in drawn)) for kind, drawn in by_kind.items()),
        key=lambda kind_n: (-kind_n[1], kind_n[0]),
    )
    return FollowUps(asked, kinds, [c for kind, _ in kinds for c in by_kind[kind][:limit]])


# What counts as a question, by the kind of turn the dialogue logged (bot.core.dialogue's
# Turn.followup): small talk (你好, 谢谢: its intent says so too, as in rows from before the
# kind was logged) asks nothing, nor does a follow-up with nothing to follow (那谁负责 as a
# first message, answered by asking for the question: "clarify"). They are not counted.
ASKS = "intent != 'smalltalk' and followup not in ('smalltalk', 'clarify')"
QUESTION = f"{ASKS} and readable(text)"  # nor is a message of no letters
# The questions whose words say what people ask about: fresh ones, and 那X呢 (an ellipsis
# names its new subject). 那谁负责, 详细说说, 还有吗 and 不对 are about the clause answered
# before them, which the follow-ups are counted by.
TOPICAL = f"{QUESTION} and followup in ('', 'ellipsis')"


def _in_period(
    path: str | Path,
    sql: str,
    since: str | None,
    until: str | None,
    *conditions: str,
    column: str = "ts",
    more_args: list | None = None,
) -> list[tuple]:
    """The rows of ``sql``, its ``{where}`` filled by ``period_where``; ``more_args`` bind the
    placeholders after it."""
    where, args = period_where(since, until, *conditions, column=column)
    with reading(path) as db:
        return db.execute(sql.format(where=where), [*args, *(more_args or [])]).fetchall()


# ---------------------------------------------------------------------- periods


def period_where(
    since: str | None, until: str | None, *conditions: str, column: str = "ts"
) -> tuple[str, list[str]]:
    """A WHERE clause on ``column`` for dates (YYYY-MM-DD; ``until`` inclusive), with any
    further ``conditions``; "" when there is nothing to select on."""
    clauses, args = [], []
    if since:
        clauses.append(f"{column} >= ?")
        args.append(_day(since))
    if until:
        clauses.append(f"{column} < ?")
        args.append(_next_day(until))
    clauses += conditions
    return ("where " + " and ".join(clauses) if clauses else ""), args


def _day(day: str) -> str:
    try:
        return datetime.strptime(day.strip(), "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError as exc:
        raise QueryLogError(f"not a date (YYYY-MM-DD): {day!r}") from exc


def _next_day(day: str) -> str:
    start = datetime.strptime(_day(day), "%Y-%m-%d")
    return (start + timedelta(days=1)).strftime("%Y-%m-%d")
