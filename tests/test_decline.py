"""The decline model: its evidence, its decision, its file."""

from __future__ import annotations

import json

import pytest

from bot.core.decline import (
    FEATURES,
    DeclineModel,
    Evidence,
    quantity_unstated,
    ruling_unstated,
)
from tests.conftest import quantity_only


def evidence(**values: float) -> Evidence:
    base = dict.fromkeys(FEATURES, 0.0)
    return Evidence(**(base | values))


@pytest.mark.parametrize(
    ("question", "quote", "unstated"),
    [
        ("产假有多少天", "保障女职工特殊权益。", True),
        ("产假有多少天", "产假为九十八天。", False),
        ("党组多久听一次汇报", "每年至少听取一次工作汇报。", False),
        ("多久搞一次调查", "定期开展女职工状况调查。", False),
        ("多久搞一次调查", "开展女职工状况调查。", True),
        ("单位有没有哺乳室", "建设爱心妈妈小屋。", False),
        ("好几天没人管", "维护合法权益。", False),  # 好几天 asks for no number
        ("夜班补贴一般是工资的几倍", "保障女职工合法权益。", True),
        ("女职工几岁可以退休", "保障女职工合法权益。", True),
    ],
)
def test_a_quantity_asked_for_must_be_stated(question, quote, unstated):
    assert quantity_unstated(question, quote) is unstated


@pytest.mark.parametrize(
    ("question", "quote", "unstated"),
    [
        ("怀孕了老板想把我辞退，这合法吗", "突出女职工“五期”保护。", True),
        ("怀孕了老板想把我辞退，这合法吗", "用人单位不得在女职工孕期解除劳动合同。", False),
        ("送快递路上被车撞了，算不算工伤", "推动新就业形态劳动者入会。", True),
        ("哺乳期排我上夜班，我能不能拒绝", "加强女职工休息哺乳室建设。", True),
        ("被客户投诉扣钱，工会能管吗", "用好网上工作平台。", True),
        ("劳动仲裁要准备哪些材料", "开展普法宣传。", True),
        ("试用期怀孕能被开除吗", "突出女职工“五期”保护。", True),
        ("企业工会女职工委员会算不算妇联的团体会员", "是县以上妇联的团体会员。", False),
        ("我是送外卖的，怎么加入工会", "推动新就业形态劳动者入会。", True),
        ("单位会不会被评为先进", "将女职工工作情况作为评优评先的重要参考。", False),
        ("基层工会经费能不能用来办托管", "所需经费，可从工会经费中列支。", False),
        (
            "怎么维护女职工合法权益",
            "维护女职工合法权益和特殊利益。",
            False,
        ),  # 合法权益 asks no ruling
        ("单位有没有哺乳室", "加强女职工休息哺乳室建设。", False),
        ("工会能不能帮我们建哺乳室", "加强女职工休息哺乳室建设。", False),
    ],
)
def test_a_ruling_asked_for_is_unstated_by_a_passage_that_rules_nothing(question, quote, unstated):
    assert ruling_unstated(question, quote) is unstated


def test_probability_follows_the_weights():
    model = DeclineModel(
        weights={"dense": 2.0, "coverage": 1.0}, mean={"dense": 0.8}, threshold=0.5
    )
    low, high = evidence(dense=0.7), evidence(dense=0.9)
    assert model.probability(low) < 0.5 < model.probability(high)
    assert model.declines(low) and not model.declines(high)
    assert model.probability(evidence(dense=0.9, coverage=1.0)) > model.probability(high)


def test_a_zero_threshold_declines_nothing_and_a_high_one_everything():
    nothing = evidence(quantity_unstated=1.0)
    assert not DeclineModel.never().declines(nothing)
    assert quantity_only().declines(nothing) and not quantity_only().declines(evidence())
    assert quantity_only(threshold=1.01).declines(evidence())


def test_the_model_is_read_from_the_tuning_file(tmp_path):
    model = DeclineModel(weights={"dense": 3.0}, intercept=-1.0, threshold=0.7, model="m")
    path = tmp_path / "tuning.json"
    path.write_text(json.dumps({"fusion": {}, "decline": model.to_dict(), "extra": 1}))
    assert DeclineModel.load(path) == model
    assert DeclineModel.load(tmp_path / "missing.json") == DeclineModel.never()


def test_the_shipped_model_is_fitted_and_reads_every_feature():
    from bot.core.retriever import TUNING_FILE

    shipped = DeclineModel.load(TUNING_FILE)
    assert 0 < shipped.threshold < 1 and set(shipped.weights) == set(FEATURES)
    assert shipped.weights["quantity_unstated"] < 0 < shipped.weights["dense"]


def test_a_model_fitted_on_another_embedding_model_is_not_applied(fake_retriever, caplog):
    from bot.core.answer import QA
    from bot.core.decline import DeclineModel
    from bot.core.retriever import TUNING_FILE

    shipped = DeclineModel.load(TUNING_FILE)
    assert shipped.weights and shipped.model != fake_retriever.encoder.name
    assert shipped.fits(shipped.model) and not shipped.fits(fake_retriever.encoder.name)
    with caplog.at_level("WARNING"):
        qa = QA(fake_retriever)
    assert qa.decline == DeclineModel.quantity_only()
    assert "niangjia tune" in caplog.text
    assert not qa.ask("产假有多少天").answered and qa.ask("单位有没有哺乳室").answered
