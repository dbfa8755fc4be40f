"""Cross-validated fitting: folds, the grid, the decline model's fit and cut, held-out figures."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest

from bot.core.decline import FEATURES, Evidence
from bot.core.evaluate import Example
from bot.core.retriever import Fusion
from bot.core.tuning import (
    Labelled,
    cross_validate,
    cut_between,
    fit_decline,
    folds_of,
    grid,
    read_labelled,
    write_tuning,
)
from bot.errors import GoldFileError
from tests.conftest import HUBEI, NATIONAL


def test_folds_spread_each_kind_evenly():
    kinds = ["worker"] * 23 + ["oos"] * 7 + ["who"] * 5
    fold = folds_of(kinds, 5, seed=3)
    for kind in set(kinds):
        counts = [
            sum(1 for f, k in zip(fold, kinds, strict=True) if k == kind and f == n)
            for n in range(5)
        ]
        assert max(counts) - min(counts) <= 1
    assert folds_of(kinds, 5, seed=3) == fold and folds_of(kinds, 5, seed=4) != fold


def test_grid_is_every_combination():
    settings = grid({"dense": [0.5, 1.0], "focus": [(0.0, 40), (0.5, 30)]})
    assert len(settings) == 4 and len(set(settings)) == 4
    assert Fusion(dense=1.0, focus=0.5, focus_length=30) in settings


def evidence(dense: float, quantity: float = 0.0) -> Evidence:
    values = dict.fromkeys(FEATURES, 0.0) | {"dense": dense, "quantity_unstated": quantity}
    return Evidence(**values)


def test_the_fitted_cut_declines_few_answerable_questions():
    rng = random.Random(0)
    rows = [(evidence(rng.gauss(0.9, 0.03)), True) for _ in range(100)]
    rows += [(evidence(rng.gauss(0.8, 0.03)), False) for _ in range(40)]
    rows += [(evidence(0.92, 1.0), False) for _ in range(10)]  # on topic, quantity unstated
    model = fit_decline(rows, max_false_declines=0.03)
    false = sum(model.declines(e) for e, a in rows if a)
    assert false <= 3
    assert sum(model.declines(e) for e, a in rows if not a) >= 40
    assert model.weights["dense"] > 0 > model.weights["quantity_unstated"]


def test_cross_validation_reports_held_out_figures_and_restores_the_qa(qa):
    care = (HUBEI, "提升女职工生活品质")
    rights = (NATIONAL, "维护女职工合法权益和特殊利益")
    questions = [
        ("单位有没有哺乳室", [care]),
        ("两癌筛查有没有", [care]),
        ("女职工体检", [care]),
        ("女职工休息室", [care]),
        ("心理疏导有吗", [care]),
        ("女职工权益受到侵害怎么办", [rights]),
        ("集体合同保护女职工", [rights]),
        ("性骚扰工会管吗", [rights]),
    ]
    examples = [Example(str(i), "worker", q, g) for i, (q, g) in enumerate(questions)]
    examples += [
        Example("o1", "oos", "产假有多少天", []),
        Example("o2", "oos", "婚假有几天", []),
    ]
    labelled = [Labelled("哺乳假能休几个月", False), Labelled("工会有没有爱心妈妈小屋", True)]
    kept_fusion, kept_decline = qa.retriever.fusion, qa.decline
    settings = [Fusion(), Fusion(words=0.0, bigrams=0.0, dense=1.0)]
    report = cross_validate(qa, examples, labelled, settings, k=2)
    assert qa.retriever.fusion is kept_fusion and qa.decline is kept_decline
    assert report.in_sample.n == report.out_of_fold.n == len(examples)
    assert len(report.chosen) == 2 and report.fusion in settings
    assert report.out_of_fold.top1 is not None and 0 <= report.out_of_fold.top1 <= 1
    missed = {m["id"] for m in report.misses}
    assert missed <= {ex.id for ex in examples}


def test_a_question_right_at_the_top_but_short_of_its_clauses_is_a_miss(qa):
    # First right, but the second gold clause is nowhere near the top three.
    gold = [(HUBEI, "提升女职工生活品质"), (NATIONAL, "狠抓责任落实")]
    examples = [Example(str(i), "worker", "单位有没有哺乳室", gold) for i in range(2)]
    report = cross_validate(qa, examples, [], [Fusion()], k=2)
    assert [(m["top1"], m["recall3"]) for m in report.misses] == [(1.0, 0.5), (1.0, 0.5)]


def test_what_ships_is_written_with_its_figures(qa, tmp_path):
    examples = [Example("1", "worker", "单位有没有哺乳室", [(HUBEI, "提升女职工生活品质")])]
    examples.append(Example("2", "oos", "产假有多少天", []))
    report = cross_validate(qa, examples * 2, [], [Fusion()], k=2)
    path = tmp_path / "tuning.json"
    write_tuning(report, path)
    data = json.loads(path.read_text())
    assert data["fusion"] == json.loads(json.dumps(report.fusion.__dict__))
    assert set(data) >= {"decline", "in_sample", "out_of_fold", "folds"}
    assert Fusion.load(path) == report.fusion


def test_labelled_questions_are_read(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"q": "a", "answerable": true}\n\n{"q": "b", "answerable": false}\n')
    assert read_labelled(path) == [Labelled("a", True), Labelled("b", False)]


def test_of_equally_good_settings_the_one_in_use_is_kept(qa):
    examples = [Example("1", "worker", "单位有没有哺乳室", [(HUBEI, "提升女职工生活品质")])]
    kept = qa.retriever.fusion
    # Every weight doubled, the rest as it is: the same ranking, other weights.
    twin = replace(kept, words=kept.words * 2, bigrams=kept.bigrams * 2, dense=kept.dense * 2)
    report = cross_validate(qa, examples * 4, [], [twin, kept], k=2)
    assert report.fusion == kept
    assert not report.decline.declines(Evidence(*[0.0] * len(FEATURES)))  # no question to decline


def test_no_fold_leans_on_the_setting_in_use(qa):
    """The setting in use was chosen on every question, a fold's held-out ones included: a
    fold must break ties by the grid's order, never by it."""
    examples = [
        Example("1", "worker", "单位有没有哺乳室", [(HUBEI, "提升女职工生活品质")]),
        Example("2", "worker", "集体合同保护女职工", [(NATIONAL, "维护女职工合法权益和特殊利益")]),
    ]
    first = Fusion()
    twin = Fusion(words=2.0, bigrams=2.0, dense=2 * first.dense, rrf_k=first.rrf_k)  # same ranks
    kept = qa.retriever.fusion
    reports = []
    try:
        for in_use in (first, twin):
            qa.retriever.fusion = in_use
            reports.append(cross_validate(qa, examples * 2, [], [first, twin], k=2))
    finally:
        qa.retriever.fusion = kept
    assert reports[0].chosen == reports[1].chosen == [first, first]
    assert reports[0].out_of_fold == reports[1].out_of_fold
    assert reports[1].fusion == twin  # what ships keeps the setting in use among equals


def test_the_cut_sits_in_the_middle_of_the_widest_gap_that_errs_least():
    answerable = [0.3, 0.7, 0.8, 0.9, 0.95]
    unanswerable = [0.1, 0.2, 0.4]
    # One mistake at best: declining 0.3 (one in five is allowed) or answering 0.4. The gap
    # 0.4-0.7 is wider than 0.2-0.3, so the cut sits in its middle.
    assert cut_between(answerable, unanswerable, 0.2) == pytest.approx(0.55)
    # Allowed no false decline: the best cut keeps 0.3 answered, just under it.
    assert cut_between(answerable, unanswerable, 0.0) == pytest.approx(0.25)
    # Nothing unanswerable to tell apart: the widest gap below every answerable question.
    assert cut_between(answerable, [], 0.0) == pytest.approx(0.15)


def test_out_of_fold_is_each_questions_held_out_result_averaged_over_the_draws(qa):
    care = (HUBEI, "提升女职工生活品质")
    examples = [
        Example("1", "worker", "单位有没有哺乳室", [care]),
        Example("2", "worker", "两癌筛查有没有", [care]),
        Example("3", "worker", "集体合同保护女职工", [(NATIONAL, "维护女职工合法权益和特殊利益")]),
        Example("4", "worker", "女职工休息室", [care]),
    ]
    settings = [Fusion(), Fusion(words=0.0, bigrams=0.0, dense=1.0)]
    once = cross_validate(qa, examples * 2, [], settings, k=2, seed=3)
    thrice = cross_validate(qa, examples * 2, [], settings, k=2, seed=3, repeats=3)
    assert len(once.draws) == 1 and once.out_of_fold == once.draws[0]
    assert len(thrice.draws) == 3 and thrice.draws[0] == once.draws[0]
    for key in ("top1", "recall3", "mrr"):
        mean = sum(getattr(d, key) for d in thrice.draws) / 3
        assert getattr(thrice.out_of_fold, key) == pytest.approx(mean, abs=1e-3)
    assert thrice.chosen == once.chosen  # the first draw's folds


def test_a_labelled_file_that_cannot_be_read_names_its_line(tmp_path):
    path = tmp_path / "labelled.jsonl"
    path.write_text('{"q": "a", "answerable": true}\n{"q": "b", "answerable": "no"}\n')
    with pytest.raises(GoldFileError, match="第 2 行的字段不对"):
        read_labelled(path)
