"""A synthetic query log of any size (for report tests and the report benchmark)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.documents import Document
from bot.core.tokens import segment
from bot.querylog.store import QueryLog, connect

ANSWERED = [
    "单位有没有哺乳室",
    "工会能帮忙介绍对象吗",
    "外卖骑手的权益谁来管",
    "女职工特殊权益怎么保护",
    "两癌筛查覆盖哪些人",
    "爱心母婴室怎么建设",
]
UNANSWERED = {
    "产假": ["产假有多少天", "产假一共几天", "生二胎产假多久", "男方陪产假几天"],
    "工资": ["加班费怎么算", "工资被拖欠怎么办", "最低工资是多少"],
    "闲聊": ["明天会下雨吗", "推荐一部电影", "今天吃什么好"],
}


# Follow-up kinds (bot.core.dialogue) and how often each comes, out of 20 follow-ups.
FOLLOWUPS = {
    "who": 5,
    "full": 4,
    "more": 3,
    "parallel": 2,
    "ellipsis": 2,
    "next": 1,
    "previous": 1,
    "alternative": 1,
    "smalltalk": 1,  # a 谢谢 after an answer: logged as the dialogue logs it, no question
}
FOLLOWUP_SHARE = 0.2  # of the answered questions

PREFIXES = ["", "请问", "我想问一下，", "你好，", "麻烦问下"]
SUFFIXES = ["", "？", "呢", "啊？", "，谢谢"]


def make_log(
    path: Path,
    docs: list[Document],
    rows: int,
    weeks: int = 26,
    seed: int = 1,
    varied: bool = False,
) -> dict:
    """Write ``rows`` questions over ``weeks`` weeks ending now; return what was written.
    ``varied``: the unanswered questions in many wordings, as real people write them. A fifth
    of the answered questions are follow-ups, resolved against their clause's place (or, for
    an ellipsis, one of its departments)."""
    rng = random.Random(seed)
    QueryLog(path).close()  # the schema, by the real migrations
    clauses = [c for d in docs for c in d.clauses if c.number]
    unanswered = [q for qs in UNANSWERED.values() for q in qs]
    if varied:
        unanswered = [p + q + s for q in unanswered for p in PREFIXES for s in SUFFIXES]
    texts = ANSWERED + unanswered
    segmented = {t: " ".join(segment(t)) for t in [*texts, "谢谢"]}
    end = datetime.now(UTC)
    written = {
        "answered": 0,
        "unanswered": 0,
        "disliked": 0,
        "by_clause": {},
        "followups": {},
        "smalltalk": 0,
    }
    kinds, weights = list(FOLLOWUPS), list(FOLLOWUPS.values())
    queries, feedback = [], []
    for i in range(rows):
        ts = end - timedelta(seconds=rng.uniform(0, weeks * 7 * 86400))
        answered = rng.random() < 0.7
        text = rng.choice(ANSWERED) if answered else rng.choice(texts[len(ANSWERED) :])
        clause = rng.choice(clauses) if answered else None
        hit = (
            {
                "doc_code": clause.doc_code,
                "number": clause.number,
                "title": clause.title,
                "departments": list(clause.departments),
                "score": 0.9,
            }
            if clause
            else {}
        )
        kind = context = ""
        intent = "search"
        if clause and rng.random() < FOLLOWUP_SHARE:
            kind = rng.choices(kinds, weights)[0]
            if kind == "ellipsis" and clause.departments:
                context = rng.choice(clause.departments)
            elif kind != "smalltalk":
                context = clause.place
            key = (kind, context)
            written["followups"][key] = written["followups"].get(key, 0) + 1
        if kind == "smalltalk":  # a reply of its own, no clause
            text, intent, clause, hit = "谢谢", "smalltalk", None, {}
        ref = f"syn{i:08d}"
        queries.append(
            {
                "ref": ref,
                "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "channel": "telegram",
                "chat_type": "private",
                "user_key": f"{rng.getrandbits(128):032x}",
                "text": text,
                "text_seg": segmented[text],
                "intent": intent,
                "answered": int(answered),
                "hits": json.dumps([hit] if hit else [], ensure_ascii=False),
                "top_doc": hit.get("doc_code", ""),
                "top_number": hit.get("number", ""),
                "top_title": hit.get("title", ""),
                "departments": json.dumps(hit.get("departments", []), ensure_ascii=False),
                "latency_ms": 15.0,
                "model": "synthetic",
                "index_version": "synthetic",
                "followup": kind,
                "context": context,
            }
        )
        outcome = "answered" if answered else "unanswered"
        written["smalltalk" if kind == "smalltalk" else outcome] += 1
        if clause:
            key = (clause.doc_code, clause.number, clause.title)
            written["by_clause"][key] = written["by_clause"].get(key, 0) + 1
        if answered and rng.random() < 0.02:
            value = -1 if rng.random() < 0.25 else 1
            written["disliked"] += value < 0
            feedback.append(
                {"ts": queries[-1]["ts"], "query_ref": ref, "value": value, "user_key": "k"}
            )
    db = connect(path)
    with db.conn:  # plain executemany: sqlite-utils' per-row checks cost seconds at this size
        for table, rows_ in (("queries", queries), ("feedback", feedback)):
            if rows_:
                columns = list(rows_[0])
                db.conn.executemany(
                    f"insert into {table} ({', '.join(columns)})"
                    f" values ({', '.join('?' for _ in columns)})",
                    [tuple(r[c] for c in columns) for r in rows_],
                )
    db.conn.close()
    return written
