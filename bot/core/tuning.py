"""Fitting by k-fold cross-validation: the fusion settings and the decline model.

Every setting of a grid of fusion settings is played once over the gold questions (declining
switched off, the evidence for each answer kept). Then, fold by fold, the setting with the best
top-1 and recall@3 on the other folds is chosen, the decline model is fitted on the other folds'
evidence (and on the labelled calibration questions of those folds) and cut where it errs least
on them, declining at most ``max_false_declines`` of their answerable questions, and both are
applied to the held-out fold. The held-out answers put together are the out-of-fold figures;
the same choice made on every question is what ships (``TUNING_FILE``). The folds may be drawn
several times (``repeats``): each question's held-out result is then averaged over the draws.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.core.answer import QA
from bot.core.decline import FEATURES, DeclineModel, Evidence
from bot.core.evaluate import (
    Example,
    Scores,
    ask_example,
    json_lines,
    line_of,
    score_one,
    summarise,
)
from bot.core.retriever import Fusion

# The grid searched by default: BM25's length normalisation (first: the keyword indexes are
# rebuilt only when it changes), the channel weights, the rank constant, the weight of scaled
# scores beside ranks, and how much of a long question's dense score comes from its key words
# alone (share, from how many characters; shares of 1.0 and lengths of 50, which no fold chose
# in the last fit without this normalisation, are left out to keep the grid's size).
GRID: dict[str, list] = {
    "bm25_b": [0.3, 0.5, 0.75],
    "dense": [0.5, 0.75, 1.0, 1.25],
    "bigrams": [0.75, 1.0],
    "rrf_k": [5.0, 10.0, 20.0],
    "scores": [0.0, 0.5],
    "focus": [(0.0, 40), (0.6, 30)],
}
# The cut may decline at most 2% of the answerable questions fitted on, so that out of fold the
# rate stays within the 3% allowed (a 3% quota gave 3.8% out of fold). Within that bound it goes
# where the fitted-on questions are told apart with the fewest mistakes, in the widest gap.
MAX_FALSE_DECLINES = 0.02


@dataclass
class Labelled:
    """A question labelled only as answerable or not (``scripts/data/calibration.jsonl``)."""

    q: str
    answerable: bool


@dataclass
class Played:
    """One fusion setting played over every question, declining off."""

    fusion: Fusion
    answered: list[dict[str, float]]  # each gold question's metrics as answered
    declined: list[dict[str, float]]  # ... and as they would be if it were declined
    evidence: list[Evidence | None]  # None: no search (a department, a clause number)
    labelled: list[Evidence | None]  # the calibration questions' evidence

    def objective(self, rows: Iterable[int]) -> float:
        """Mean top-1 plus mean recall@3 over the answerable questions among ``rows``."""
        ms = [self.answered[i] for i in rows if "top1" in self.answered[i]]
        if not ms:
            return 0.0
        return sum(m["top1"] + m["recall3"] for m in ms) / len(ms)


@dataclass
class Report:
    """Figures in sample (chosen and fitted on everything) and out of fold: averaged over
    ``repeats`` draws of the folds, since one question held out in another fold can move a
    single draw's figure by a point or more."""

    in_sample: Scores
    out_of_fold: Scores
    fusion: Fusion
    decline: DeclineModel
    folds: int
    chosen: list[Fusion] = field(default_factory=list)  # the setting each fold chose (draw 1)
    misses: list[dict] = field(default_factory=list)  # out-of-fold misses, averaged over draws
    draws: list[Scores] = field(default_factory=list)  # out of fold, each draw of the folds
    held_out: list[dict[str, float]] = field(default_factory=list)  # each question's, averaged


class _Recorder(DeclineModel):
    """A decline model that declines nothing and keeps the evidence it was shown."""

    last: Evidence | None = None

    def declines(self, evidence: Evidence) -> bool:
        self.last = evidence
        return False


def memoise_queries(qa: QA) -> None:
    """Encode each distinct question once, however many settings are tried."""
    encoder = qa.retriever.encoder
    if getattr(encoder, "_memoised", False):
        return
    original = encoder.encode_queries
    memo: dict[str, np.ndarray] = {}

    def encode_queries(texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in memo]
        if missing:
            memo.update(zip(missing, original(missing), strict=True))
        return np.stack([memo[t] for t in texts])

    encoder.encode_queries = encode_queries  # type: ignore[method-assign]
    encoder._memoised = True  # type: ignore[attr-defined]


def grid(spec: dict[str, list] | None = None) -> list[Fusion]:
    """Every combination of the grid."""
    spec = spec or GRID
    names = list(spec)
    out: list[Fusion] = []
    for values in itertools.product(*(spec[n] for n in names)):
        settings: dict = {}
        for name, value in zip(names, values, strict=True):
            if name == "focus":
                settings["focus"], settings["focus_length"] = value
            else:
                settings[name] = value
        out.append(Fusion(**settings))
    return out


def play(qa: QA, fusion: Fusion, examples: list[Example], labelled: list[Labelled]) -> Played:
    """Answer every question under one fusion setting, keeping the evidence."""
    qa.retriever.fusion = fusion
    recorder = _Recorder()
    qa.decline = recorder
    answered, declined, evidence, labelled_evidence = [], [], [], []
    for ex in examples:
        recorder.last = None
        ans = ask_example(qa, ex)
        answered.append(score_one(ex, ans))
        declined.append(score_one(ex, replace(ans, answered=False)))
        evidence.append(recorder.last if ans.intent in ("search", "who") else None)
    for item in labelled:
        recorder.last = None
        ans = qa.ask(item.q)
        labelled_evidence.append(recorder.last if ans.intent in ("search", "who") else None)
    return Played(fusion, answered, declined, evidence, labelled_evidence)


def fit_decline(
    rows: list[tuple[Evidence, bool]],
    max_false_declines: float = MAX_FALSE_DECLINES,
    model: str = "",
    note: str = "",
) -> DeclineModel:
    """Logistic regression of answerable on the evidence, cut where it errs least on the rows
    while declining at most ``max_false_declines`` of the answerable questions (``cut_between``)."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([e.vector() for e, _ in rows], dtype=np.float64)
    y = np.array([a for _, a in rows], dtype=int)
    if len(set(y.tolist())) < 2:  # nothing to tell apart: answer everything
        return DeclineModel(model=model, fitted_on=note)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, y)
    decline = DeclineModel(
        weights=dict(zip(FEATURES, map(float, fitted.coef_[0]), strict=True)),
        intercept=float(fitted.intercept_[0]),
        mean=dict(zip(FEATURES, map(float, mean), strict=True)),
        scale=dict(zip(FEATURES, map(float, scale), strict=True)),
        model=model,
        fitted_on=note,
    )
    decline.threshold = cut_between(
        [decline.probability(e) for e, a in rows if a],
        [decline.probability(e) for e, a in rows if not a],
        max_false_declines,
    )
    return decline


def cut_between(
    answerable: list[float], unanswerable: list[float], max_false_declines: float
) -> float:
    """The probability below which to decline: of the cuts that decline at most
    ``max_false_declines`` of the answerable questions, those with the fewest mistakes either way
    (answerable declined, unanswerable answered), and of those the one in the widest gap between
    two neighbouring questions, at its middle: as far from both sides as the questions allow."""
    if not answerable:
        return 0.0
    values = sorted({0.0, 1.0, *answerable, *unanswerable})
    allowed = int(max_false_declines * len(answerable))
    best: tuple[int, float, float] | None = None
    for low, high in itertools.pairwise(values):
        cut = (low + high) / 2
        declined = sum(p < cut for p in answerable)
        if declined > allowed:
            break
        mistakes = declined + sum(p >= cut for p in unanswerable)
        key = (mistakes, -(high - low), cut)
        if best is None or key < best:
            best = key
    if best is None:
        return 0.0
    return round(best[2], 6) or 1e-6


def _decline_rows(
    played: Played,
    examples: list[Example],
    labelled: list[Labelled],
    rows: set[int],
    lrows: set[int],
) -> list[tuple[Evidence, bool]]:
    out = [
        (played.evidence[i], bool(examples[i].gold))
        for i in sorted(rows)
        if played.evidence[i] is not None and (examples[i].gold or examples[i].kind == "oos")
    ]
    out += [
        (played.labelled[j], labelled[j].answerable)
        for j in sorted(lrows)
        if played.labelled[j] is not None
    ]
    return out


def folds_of(kinds: list[str], k: int, seed: int = 0) -> list[int]:
    """A fold for each item, every kind spread evenly over the folds."""
    fold = [0] * len(kinds)
    rng = random.Random(seed)
    for kind in sorted(set(kinds)):
        members = [i for i, kd in enumerate(kinds) if kd == kind]
        rng.shuffle(members)
        offset = rng.randrange(k)
        for n, i in enumerate(members):
            fold[i] = (n + offset) % k
    return fold


def cross_validate(
    qa: QA,
    examples: list[Example],
    labelled: list[Labelled],
    settings: list[Fusion] | None = None,
    k: int = 5,
    seed: int = 0,
    max_false_declines: float = MAX_FALSE_DECLINES,
    progress: Callable[[int, int], None] | None = None,
    repeats: int = 1,
) -> Report:
    """Choose the fusion and fit the decline model fold by fold; see the module's docstring."""
    memoise_queries(qa)
    kept_fusion, kept_decline = qa.retriever.fusion, qa.decline
    settings = list(settings or grid())
    runs: list[Played] = []
    try:
        for n, fusion in enumerate(settings):
            runs.append(play(qa, fusion, examples, labelled))
            if progress:
                progress(n + 1, len(settings))
    finally:
        qa.retriever.fusion, qa.decline = kept_fusion, kept_decline
    model_name = qa.retriever.encoder.name

    def choose(
        rows: set[int], lrows: set[int], note: str, keep: Fusion | None = None
    ) -> tuple[Played, DeclineModel]:
        # Of equally good settings the first in the grid's order, which nothing fitted on any
        # question decides; only the choice made on every question keeps the setting in use
        # (``keep``). A fold that preferred it would lean on a choice its held-out rows made.
        top = max(r.objective(rows) for r in runs)
        tied = [r for r in runs if r.objective(rows) == top]
        best = next((r for r in tied if r.fusion == keep), tied[0])
        rowsets = _decline_rows(best, examples, labelled, rows, lrows)
        return best, fit_decline(rowsets, max_false_declines, model_name, note)

    def apply(played: Played, decline: DeclineModel, i: int) -> dict[str, float]:
        ev = played.evidence[i]
        return played.declined[i] if ev is not None and decline.declines(ev) else played.answered[i]

    everything = set(range(len(examples)))
    note = (
        f"{len(examples)} gold questions and {len(labelled)} labelled ones, "
        f"{datetime.now(UTC).date().isoformat()}"
    )
    best_all, decline_all = choose(everything, set(range(len(labelled))), note, kept_fusion)
    in_sample = summarise(examples, [apply(best_all, decline_all, i) for i in everything])

    draws: list[list[dict[str, float]]] = []
    chosen: list[Fusion] = []
    for draw in range(repeats):
        fold = folds_of([ex.kind for ex in examples], k, seed + draw)
        lfold = folds_of(["in" if x.answerable else "out" for x in labelled], k, seed + draw + 1)
        oof: list[dict[str, float]] = [{} for _ in examples]
        for f in range(k):
            train = {i for i in everything if fold[i] != f}
            ltrain = {j for j in range(len(labelled)) if lfold[j] != f}
            best, decline = choose(train, ltrain, "")
            if draw == 0:
                chosen.append(best.fusion)
            for i in everything - train:
                oof[i] = apply(best, decline, i)
        draws.append(oof)
    # Each question's held-out metrics averaged over the draws (the same keys in every draw).
    mean = [
        {key: sum(d[i][key] for d in draws) / repeats for key in draws[0][i]}
        for i in range(len(examples))
    ]
    misses = [
        {"id": ex.id, "kind": ex.kind, "q": ex.q, **{key: round(v, 3) for key, v in m.items()}}
        for ex, m in zip(examples, mean, strict=True)
        if min(m.get(key, 1.0) for key in ("top1", "recall3", "oos_declined")) < 1.0
    ]
    return Report(
        in_sample=in_sample,
        out_of_fold=summarise(examples, mean),
        fusion=best_all.fusion,
        decline=decline_all,
        folds=k,
        chosen=chosen,
        misses=misses,
        draws=[summarise(examples, d) for d in draws],
        held_out=mean,
    )


LABELLED_SHAPE = "每行一个 JSON 对象，含 q（问题）和 answerable（true 或 false）"


def read_labelled(path: Path) -> list[Labelled]:
    out = []
    for i, item in json_lines(path, LABELLED_SHAPE):
        with line_of(path, i, LABELLED_SHAPE):
            if not isinstance(item["q"], str) or not isinstance(item["answerable"], bool):
                raise TypeError("q is text, answerable true or false")
            out.append(Labelled(item["q"], item["answerable"]))
    return out


def write_tuning(report: Report, path: Path) -> None:
    """Ship what was chosen on every question, with the figures that justify it."""
    data = {
        "fusion": asdict(report.fusion),
        "decline": report.decline.to_dict(),
        "folds": report.folds,
        "draws": len(report.draws),
        "in_sample": _figures(report.in_sample),
        "out_of_fold": _figures(report.out_of_fold),
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)  # never half a file


def _figures(scores: Scores) -> dict:
    return {k: v for k, v in asdict(scores).items() if k != "per_kind"}
