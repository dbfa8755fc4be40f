"""Reading the query log: /stats figures, Chinese search, export, confirmed pairs, periods.
(The report's figures are checked through the report, in test_report.py.)"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.querylog import queries
from bot.querylog.store import QueryLog, QueryLogError, QueryRecord
from tests.test_querylog import RAW_ID, SECRET, record, user_key


@pytest.fixture
def qlog(tmp_path):
    log = QueryLog(tmp_path / "querylog.db")
    yield log
    log.close()


def test_a_fresh_path_reads_as_an_empty_log(tmp_path):
    path = tmp_path / "new" / "querylog.db"
    assert queries.search(path, "哺乳室") == [] and queries.count(path) == 0
    assert [(w.asked, w.answered) for w in queries.stats(path).windows] == [(0, 0), (0, 0)]


def test_stats_count_windows_and_top_clauses(qlog):
    now = datetime.now(UTC)
    for i, days in enumerate([1, 2, 10, 40]):
        ts = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        qlog.record_query(record(i, answered=i != 1, ts=ts))
    qlog.flush()
    stats = queries.stats(qlog.path, now)
    assert [(w.days, w.asked, w.answered) for w in stats.windows] == [(7, 2, 1), (30, 3, 2)]
    assert stats.windows[0].unanswered_share == 0.5
    assert stats.top_topics == [("提升女职工生活品质", 2)]
    assert [w.days for w in queries.stats(qlog.path, now, windows=(90,)).windows] == [90]


def test_chinese_search_finds_words_inside_questions(qlog):
    qlog.record_query(record(1, "我们单位没有哺乳室怎么办"))
    qlog.record_query(record(2, "外卖骑手受伤了找谁"))
    qlog.record_query(record(3, "产假有多少天", answered=False))
    qlog.flush()
    path = qlog.path
    assert [q.text for q in queries.search(path, "哺乳室")] == ["我们单位没有哺乳室怎么办"]
    assert [q.text for q in queries.search(path, "外卖骑手")] == ["外卖骑手受伤了找谁"]
    found = queries.search(path, "产假")
    assert found == [queries.LoggedQuestion(found[0].ts, "产假有多少天", False, "")]
    assert queries.search(path, "火星") == [] and queries.search(path, "  ") == []
    assert queries.search(path, '"哺乳 OR') == []  # FTS syntax in the input is just text


def test_search_is_newest_first_and_limited(qlog):
    for i in range(5):
        qlog.record_query(record(i, f"哺乳室{i}号", ts=f"2026-01-0{i + 1}T00:00:00Z"))
    qlog.flush()
    found = queries.search(qlog.path, "哺乳室", limit=2)
    assert [q.ts[:10] for q in found] == ["2026-01-05", "2026-01-04"]


def test_export_leaves_out_user_keys_unless_asked(qlog):
    qlog.record_query(record(1))
    qlog.flush()
    out = io.StringIO()
    assert queries.export(qlog.path, out, "jsonl") == 1
    row = json.loads(out.getvalue())
    assert "user_key" not in row and row["text"] == "单位有没有哺乳室"
    assert list(row) == list(queries.EXPORT_FIELDS)
    assert (row["followup"], row["context"]) == ("", "")
    out = io.StringIO()
    queries.export(qlog.path, out, "csv", with_users=True)
    header, line = out.getvalue().splitlines()
    assert header.endswith(",user_key") and user_key(RAW_ID, SECRET) in line
    with pytest.raises(QueryLogError):
        queries.export(qlog.path, io.StringIO(), "xml")


def test_export_selects_a_period_and_refuses_a_bad_date_before_writing(qlog):
    for i, day in enumerate(["2026-01-01", "2026-01-02", "2026-01-03"]):
        qlog.record_query(record(i, ts=f"{day}T12:00:00Z"))
    qlog.flush()
    out = io.StringIO()
    assert queries.export(qlog.path, out, since="2026-01-02", until="2026-01-02") == 1
    assert json.loads(out.getvalue())["ts"].startswith("2026-01-02")
    assert [r["ts"][:10] for r in queries.rows(qlog.path, until="2026-01-02")] == [
        "2026-01-01",
        "2026-01-02",
    ]
    out = io.StringIO()
    with pytest.raises(QueryLogError, match="YYYY-MM-DD"):
        queries.export(qlog.path, out, "csv", since="yesterday")
    assert out.getvalue() == ""


def test_period_where_adds_conditions_on_the_column_named():
    assert queries.period_where(None, None) == ("", [])
    assert queries.period_where(None, None, "answered = 0") == ("where answered = 0", [])
    assert queries.period_where("2026-01-01", "2026-01-31", "f.value < 0", column="q.ts") == (
        "where q.ts >= ? and q.ts < ? and f.value < 0",
        ["2026-01-01", "2026-02-01"],
    )


def test_confirmed_pairs_need_a_thumbs_up_no_thumbs_down_and_the_clause(qlog, docs):
    hit = {"doc_code": "鄂工办发〔2023〕7号", "number": "4", "title": "提升女职工生活品质"}
    changed = {**hit, "title": "已经改名的条款"}
    for ref, hits, thumbs in (
        ("a", [hit], [1]),
        ("b", [hit], [1, -1]),  # also marked 👎
        ("c", [hit], []),  # never marked
        ("d", [changed], [1]),  # the clause is not in the documents any more
    ):
        qlog.record_query(
            QueryRecord(ref, "telegram", "private", "k", f"问题{ref}", "search", True, hits)
        )
        for value in thumbs:
            qlog.record_feedback(ref, value, "k")
    qlog.flush()
    result = queries.confirmed_pairs(qlog.path, docs)
    assert result.skipped == 1
    (pair,) = result.pairs
    clause = next(d for d in docs if d.code == hit["doc_code"]).clause_by_number("4")
    assert pair == {"anchor": "问题a", "positive": f"{clause.title}。{clause.text}"}


HUBEI_4 = "湖北方案 第4项「提升女职工生活品质」"
QUANZONG_8 = "全总意见 第（八）条「加强工会女职工组织机构建设」"


def test_follow_ups_count_kinds_and_the_clauses_that_drew_them(qlog):
    turns = [
        ("", ""),  # fresh questions and small talk are not follow-ups
        ("", ""),
        ("smalltalk", ""),
        *[("who", HUBEI_4)] * 3,
        ("who", QUANZONG_8),
        *[("full", QUANZONG_8)] * 2,
        ("full", HUBEI_4),
        ("ellipsis", "组织部"),
        ("next", HUBEI_4),
    ]
    for i, (kind, context) in enumerate(turns):
        ts = f"2026-03-{1 + i % 2:02d}T12:00:00Z"  # the 1st and the 2nd, alternately
        qlog.record_query(dataclasses.replace(record(i, ts=ts), followup=kind, context=context))
    qlog.flush()
    found = queries.follow_ups(qlog.path)
    assert found.asked == len(turns) - 1 and found.total == 9 and found.share == 9 / 11  # 谢谢
    assert found.kinds == [("who", 4), ("full", 3), ("ellipsis", 1), ("next", 1)]
    assert [(c.context, c.count) for c in found.drawn_by("who")] == [(HUBEI_4, 3), (QUANZONG_8, 1)]
    assert [(c.context, c.count) for c in found.drawn_by("full")] == [(QUANZONG_8, 2), (HUBEI_4, 1)]
    assert found.drawn_by("ellipsis") == [queries.FollowUpCount("组织部", "ellipsis", 1)]
    assert found.drawn_by("smalltalk") == [] and found.drawn_by("") == []
    top = queries.follow_ups(qlog.path, limit=1).top
    assert [(c.kind, c.context) for c in top] == [
        ("who", HUBEI_4),
        ("full", QUANZONG_8),
        ("ellipsis", "组织部"),
        ("next", HUBEI_4),
    ]
    first_day = queries.follow_ups(qlog.path, "2026-03-01", "2026-03-01")
    assert first_day.asked == 5 and first_day.kinds == [("who", 2), ("ellipsis", 1), ("full", 1)]


def test_follow_ups_of_an_empty_period(qlog):
    qlog.record_query(record(1, ts="2026-03-01T12:00:00Z"))
    qlog.flush()
    assert queries.follow_ups(qlog.path) == queries.FollowUps(1, [], [])
    nothing = queries.follow_ups(qlog.path, since="2027-01-01")
    assert (nothing.asked, nothing.total, nothing.share) == (0, 0, 0.0)


def test_small_talk_is_no_question_and_follow_ups_are_not_unanswered_topics(qlog):
    now = datetime.now(UTC)
    ts = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        dataclasses.replace(record(1, "产假有多少天", answered=False, ts=ts)),
        dataclasses.replace(record(2, "你好", ts=ts), intent="smalltalk", followup="smalltalk"),
        dataclasses.replace(record(3, "还有吗", answered=False, ts=ts), followup="more"),
        dataclasses.replace(record(4, "那谁负责", answered=False, ts=ts), followup="clarify"),
        dataclasses.replace(record(5, "单位有没有哺乳室", ts=ts)),
    ]
    for row in rows:
        qlog.record_query(row)
    qlog.flush()
    # 你好 is not counted, nor 那谁负责 with nothing to follow (the bot asked for the question)
    assert queries.totals(qlog.path).asked == 3
    week = queries.stats(qlog.path, now).windows[0]
    assert (week.asked, week.answered) == (3, 1)
    assert queries.unanswered(qlog.path) == [("产假有多少天", 1)]
