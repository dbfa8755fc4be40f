"""Scoring answers against a gold set (JSON Lines: kind, q, gold [{doc, title}], depts / dept)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import QA, Answer


@dataclass
class Example:
    id: str
    kind: str
    q: str
    gold: list[tuple[str, str]]
    depts: list[str] | None = None
    dept: str | None = None


@dataclass
class Scores:
    """Averages over the examples each metric applies to (None where none does)."""

    n: int = 0
    top1: float | None = None
    recall3: float | None = None
    mrr: float | None = None
    dept_exact: float | None = None
    who_depts_exact: float | None = None
    oos_declined: float | None = None
    false_declines: float | None = None
    per_kind: dict[str, dict[str, float]] = field(default_factory=dict)


def read_examples(path: Path) -> list[Example]:
    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        d = json.loads(line)
        out.append(
            Example(
                id=d.get("id", str(i)),
                kind=d.get("kind", "search"),
                q=d["q"],
                gold=[(g["doc"], g["title"]) for g in d.get("gold", [])],
                depts=d.get("depts"),
                dept=d.get("dept"),
            )
        )
    return out


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def score_one(ex: Example, ans: Answer) -> dict[str, float]:
    """Metrics for one question; a declined answer counts as ranking nothing."""
    m: dict[str, float] = {}
    ranked = [(h.doc_code, h.title) for h in ans.hits] if ans.answered else []
    if ex.gold:
        gold = set(ex.gold)
        m["top1"] = float(bool(ranked) and ranked[0] in gold)
        # With more gold clauses than places, three found out of three is full recall.
        m["recall3"] = len(gold & set(ranked[:3])) / min(len(gold), 3)
        rr = 0.0
        for i, r in enumerate(ranked):
            if r in gold:
                rr = 1.0 / (i + 1)
                break
        m["mrr"] = rr
        m["false_decline"] = float(not ans.answered)
    else:
        m["oos_declined"] = float(not ans.answered)
    if ex.kind == "dept" and ex.gold:
        m["dept_exact"] = float(
            ans.answered and set(ranked) == set(ex.gold) and len(ranked) == len(ex.gold)
        )
    if ex.depts is not None:
        got = ans.hits[0].departments if (ans.answered and ans.hits) else []
        m["who_depts_exact"] = float(got == ex.depts)
    return m


def evaluate(
    qa: QA, examples: list[Example], method: str = "hybrid", k: int = 3
) -> tuple[Scores, list[dict]]:
    rows = []
    by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
    all_m: list[dict[str, float]] = []
    for ex in examples:
        # dept questions list every clause, however many.
        ans = qa.ask(ex.q, k=20 if ex.kind == "dept" else k, method=method)
        m = score_one(ex, ans)
        all_m.append(m)
        by_kind[ex.kind].append(m)
        rows.append(
            {
                "id": ex.id,
                "kind": ex.kind,
                "q": ex.q,
                "answered": ans.answered,
                "intent": ans.intent,
                "got": [(h.doc_code, h.title) for h in ans.hits[:3]],
                "gold": ex.gold,
                **m,
            }
        )

    def agg(ms: list[dict[str, float]], key: str) -> float | None:
        return _mean([x[key] for x in ms if key in x])

    s = Scores(
        n=len(examples),
        top1=agg(all_m, "top1"),
        recall3=agg(all_m, "recall3"),
        mrr=agg(all_m, "mrr"),
        dept_exact=agg(all_m, "dept_exact"),
        who_depts_exact=agg(all_m, "who_depts_exact"),
        oos_declined=agg(all_m, "oos_declined"),
        false_declines=agg(all_m, "false_decline"),
    )
    for kind, ms in sorted(by_kind.items()):
        s.per_kind[kind] = {
            key: v
            for key in ("top1", "recall3", "mrr", "oos_declined")
            if (v := agg(ms, key)) is not None
        } | {"n": len(ms)}
    return s, rows


METRIC_LABELS = [
    ("top1", "top-1"),
    ("recall3", "recall@3"),
    ("mrr", "MRR"),
    ("dept_exact", "dept exact"),
    ("who_depts_exact", "who-departments exact"),
    ("oos_declined", "out-of-scope declined"),
    ("false_declines", "false declines"),
]


def format_table(results: dict[str, Scores]) -> str:
    """Methods side by side, then top-1 per question kind."""
    methods = list(results)
    width = max(len(label) for _, label in METRIC_LABELS) + 2
    lines = ["| metric".ljust(width + 2) + "| " + " | ".join(m.ljust(7) for m in methods) + " |"]
    lines.append("|" + "-" * (width + 1) + "|" + "|".join("-" * 9 for _ in methods) + "|")

    def cell(v: float | None) -> str:
        return ("-" if v is None else f"{v:.3f}").ljust(7)

    for key, label in METRIC_LABELS:
        lines.append(
            f"| {label}".ljust(width + 2)
            + "| "
            + " | ".join(cell(getattr(results[m], key)) for m in methods)
            + " |"
        )
    kinds = sorted({k for s in results.values() for k in s.per_kind})
    for kind in kinds:
        first = results[methods[0]].per_kind.get(kind, {})
        metric = "oos_declined" if "oos_declined" in first else "top1"
        label = (
            f"{kind} (n={first.get('n', 0)}) {'declined' if metric == 'oos_declined' else 'top-1'}"
        )
        lines.append(
            f"| {label}".ljust(width + 2)
            + "| "
            + " | ".join(cell(results[m].per_kind.get(kind, {}).get(metric)) for m in methods)
            + " |"
        )
    return "\n".join(lines)
