"""Scoring answers against a gold set (JSON Lines: kind, q, gold [{doc, title}], depts / dept)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import QA
from bot.core.dialogue import Dialogue
from bot.core.replies import Answer
from bot.errors import GoldFileError


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


SHAPE = "每行一个 JSON 对象，含 q（问题）和 gold（{doc, title} 的列表）"


def json_lines(path: Path, shape: str = SHAPE) -> Iterator[tuple[int, dict]]:
    """(line index, object) of each non-blank line of a JSON Lines file; GoldFileError, naming
    the line, when one is not a JSON object."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise GoldFileError(f"{path} 不是 UTF-8 文本。") from exc
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise GoldFileError(f"{path} 第 {i + 1} 行不是 JSON：{shape}。") from exc
        if not isinstance(item, dict):
            raise GoldFileError(f"{path} 第 {i + 1} 行不是 JSON 对象：{shape}。")
        yield i, item


@contextmanager
def line_of(path: Path, i: int, shape: str = SHAPE) -> Iterator[None]:
    """A field missing or of the wrong shape on line ``i``, as a GoldFileError naming it."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GoldFileError(f"{path} 第 {i + 1} 行的字段不对：{shape}。") from exc


def _example(d: dict, id: str, kind: str) -> Example:
    """A gold question (or turn) as the files write it; ``kind`` when it names none."""
    gold = [(g["doc"], g["title"]) for g in d.get("gold", [])]
    if not isinstance(d["q"], str) or not all(isinstance(x, str) for g in gold for x in g):
        raise TypeError("q and gold are text")
    return Example(
        id=id,
        kind=d.get("kind", kind),
        q=d["q"],
        gold=gold,
        depts=d.get("depts"),
        dept=d.get("dept"),
    )


def read_examples(path: Path) -> list[Example]:
    out = []
    for i, d in json_lines(path):
        with line_of(path, i):
            out.append(_example(d, str(d.get("id", i)), "search"))
    return out


def read_distinct(files: Iterable[str | Path]) -> tuple[dict[str, list[Example]], int]:
    """The questions of several files, each counted once, in the first file that holds it (a
    file named twice is read once), and how many were left out as repeats: fitted on, a
    question in two files would be fitted on in one fold and held out in another."""
    read: dict[str, list[Example]] = {}
    seen: set[str] = set()
    repeated = 0
    for f in dict.fromkeys(str(Path(f).resolve()) for f in files):
        every = read_examples(Path(f))
        read[f] = [e for e in every if not (e.q in seen or seen.add(e.q))]
        repeated += len(every) - len(read[f])
    return read, repeated


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
    metrics: list[dict[str, float]] = []
    for ex in examples:
        ans = ask_example(qa, ex, method, k)
        m = score_one(ex, ans)
        metrics.append(m)
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
    return summarise(examples, metrics), rows


def ask_example(qa: QA, ex: Example, method: str = "hybrid", k: int = 3) -> Answer:
    """The answer a gold question gets (a dept question lists every clause, however many)."""
    return qa.ask(ex.q, k=20 if ex.kind == "dept" else k, method=method)


def summarise(examples: list[Example], metrics: list[dict[str, float]]) -> Scores:
    """Averages of each question's metrics, overall and per kind."""
    by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
    for ex, m in zip(examples, metrics, strict=True):
        by_kind[ex.kind].append(m)

    def agg(ms: list[dict[str, float]], key: str) -> float | None:
        return _mean([x[key] for x in ms if key in x])

    s = Scores(
        n=len(examples),
        top1=agg(metrics, "top1"),
        recall3=agg(metrics, "recall3"),
        mrr=agg(metrics, "mrr"),
        dept_exact=agg(metrics, "dept_exact"),
        who_depts_exact=agg(metrics, "who_depts_exact"),
        oos_declined=agg(metrics, "oos_declined"),
        false_declines=agg(metrics, "false_decline"),
    )
    for kind, ms in sorted(by_kind.items()):
        s.per_kind[kind] = {
            key: v
            for key in ("top1", "recall3", "mrr", "oos_declined")
            if (v := agg(ms, key)) is not None
        } | {"n": len(ms)}
    return s


METRIC_LABELS = [
    ("top1", "top-1"),
    ("recall3", "recall@3"),
    ("mrr", "MRR"),
    ("dept_exact", "dept exact"),
    ("who_depts_exact", "who-departments exact"),
    ("oos_declined", "out-of-scope declined"),
    ("false_declines", "false declines"),
]


def figure(v: float | None) -> str:
    """A score as the tables print it: three decimals, or - where no question counted."""
    return "-" if v is None else f"{v:.3f}"


def format_table(results: dict[str, Scores]) -> str:
    """Methods side by side, then top-1 per question kind."""
    methods = list(results)
    width = max(len(label) for _, label in METRIC_LABELS) + 2
    lines = ["| metric".ljust(width + 2) + "| " + " | ".join(m.ljust(7) for m in methods) + " |"]
    lines.append("|" + "-" * (width + 1) + "|" + "|".join("-" * 9 for _ in methods) + "|")

    def cell(v: float | None) -> str:
        return figure(v).ljust(7)

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


# ---------------------------------------------------------------------- dialogues


@dataclass
class DialogueExample:
    """A short conversation: its turns in order, each scored like a single question."""

    id: str
    turns: list[Example]


@dataclass
class DialogueScores:
    dialogues: int = 0
    turns: int = 0
    all_turns: float | None = None
    followups: int = 0  # turns after the first of each dialogue
    followup_turns: float | None = None
    per_kind: dict[str, dict[str, float]] = field(default_factory=dict)


def is_dialogue_file(path: Path) -> bool:
    """Whether a gold file holds dialogues (``turns``) rather than single questions."""
    first = next(json_lines(path), None)
    return first is not None and "turns" in first[1]


def read_dialogues(path: Path) -> list[DialogueExample]:
    out = []
    for i, d in json_lines(path):
        with line_of(path, i):
            turns = [
                _example(t, f"{d.get('id', i)}.{j}", "worker") for j, t in enumerate(d["turns"])
            ]
            out.append(DialogueExample(str(d.get("id", i)), turns))
    return out


def score_turn(ex: Example, ans: Answer, previous_top: tuple[str, str] | None) -> float:
    """1.0 when a turn is right for its kind: a gold clause on top (``who``: with exactly its
    责任单位; ``full``: its whole text shown; ``more``: not the previous turn's clause), exactly
    the gold clauses (``dept``), a decline (``oos``), or a small-talk reply (``smalltalk``)."""
    top = (ans.hits[0].doc_code, ans.hits[0].title) if ans.answered and ans.hits else None
    on_top = top is not None and top in set(ex.gold)
    if ex.kind == "oos":
        return float(not ans.answered)
    if ex.kind == "smalltalk":
        return float(ans.intent == "smalltalk" and ans.answered)
    if ex.kind == "dept":
        got = [(h.doc_code, h.title) for h in ans.hits] if ans.answered else []
        return float(set(got) == set(ex.gold) and len(got) == len(ex.gold))
    if ex.kind == "who":
        return float(on_top and ans.hits[0].departments == ex.depts)
    if ex.kind == "full":
        return float(on_top and ans.hits[0].text in ans.message)
    if ex.kind == "more":
        return float(on_top and top != previous_top)
    return float(on_top)


def evaluate_dialogues(
    dialogue: Dialogue, dialogues: list[DialogueExample]
) -> tuple[DialogueScores, list[dict]]:
    """Play each dialogue through the engine from a fresh context; score every turn."""
    rows: list[dict] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    everything: list[float] = []
    followups: list[float] = []
    for example in dialogues:
        context, previous_top = None, None
        for i, ex in enumerate(example.turns):
            turn = dialogue.respond(ex.q, context)
            context, ans = turn.context, turn.answer
            score = score_turn(ex, ans, previous_top)
            everything.append(score)
            by_kind[ex.kind].append(score)
            if i:
                followups.append(score)
            top = (ans.hits[0].doc_code, ans.hits[0].title) if ans.answered and ans.hits else None
            previous_top = top or previous_top
            rows.append(
                {
                    "id": ex.id,
                    "kind": ex.kind,
                    "q": ex.q,
                    "intent": ans.intent,
                    "answered": ans.answered,
                    "followup": turn.followup,
                    "context": ans.context,
                    "got": [(h.doc_code, h.title) for h in ans.hits[:3]],
                    "gold": ex.gold,
                    "score": score,
                }
            )
    scores = DialogueScores(
        dialogues=len(dialogues),
        turns=len(everything),
        all_turns=_mean(everything),
        followups=len(followups),
        followup_turns=_mean(followups),
        per_kind={k: {"n": len(v), "score": _mean(v)} for k, v in sorted(by_kind.items())},
    )
    return scores, rows


def format_dialogue_table(scores: DialogueScores) -> str:
    """All turns, follow-up turns, then each kind of turn."""

    lines = [
        "| dialogue turns          | n     | right   |",
        "|-------------------------|-------|---------|",
        f"| all turns               | {scores.turns:<5} | {figure(scores.all_turns):<7} |",
        f"| follow-up turns         | {scores.followups:<5} | {figure(scores.followup_turns):<7} |",
    ]
    for kind, s in scores.per_kind.items():
        lines.append(f"| {kind:<23} | {int(s['n']):<5} | {figure(s['score']):<7} |")
    return "\n".join(lines)
