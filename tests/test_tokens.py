"""Tokenising: jieba words, bigrams, synonyms, and typos mended against the documents' words."""

from __future__ import annotations

import pytest

from bot.core.retriever import tokenizer_for
from bot.core.tokens import bigrams, readings, sounds_alike


@pytest.fixture(scope="module")
def tokenizer(docs):
    return tokenizer_for(docs)


def test_bigrams_and_synonyms(tokenizer):
    assert bigrams("哺乳室") == ["哺乳", "乳室"]
    assert "哺乳" in tokenizer.expand("单位有没有地方吸奶")


def test_a_character_has_all_its_readings():
    assert {"jin", "jing"} <= readings("劲")


def test_characters_sound_alike_by_a_common_reading_or_a_fuzzy_pair_of_first_readings():
    assert sounds_alike("女", "吕") and sounds_alike("金", "颈") and sounds_alike("森", "生")
    assert sounds_alike("劲", "颈")  # a reading in common (jin, jing)
    assert not sounds_alike("想", "省")  # 省's rare reading xian is not merged with xiang
    assert not sounds_alike("女", "男") and not sounds_alike("a", "b")


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("女工宫劲癌检查", "宫颈癌"),
        ("数字计能培训", "技能"),
        ("玫瑰书乡是什么活动", "玫瑰书香"),
        ("会聚良园", "会聚良缘"),
        ("心灵护航加油栈在哪", "加油站"),
        ("女职工的全益保障", "权益"),
        ("工会婚恋交有活动", "交友"),
        # the fuzzy pairs of pinyin input: n/l, in/ing, en/eng, zh/z, sh/s
        ("吕职工的特殊利益谁来维护", "女职工"),
        ("工会搞不搞婚念交友活动", "婚恋"),
        ("宫金癌筛查", "宫颈癌"),
        ("基层工会金费怎么用", "经费"),
        ("落实国家森育政策", "生育"),
        ("特定行业的女工能做姿业病检查不", "职业病"),
    ],
)
def test_typos_and_homophones_are_mended(tokenizer, question, meant):
    assert meant in tokenizer.expand(question)


@pytest.mark.parametrize(
    "question",
    [
        "单位有没有哺乳室",
        "湖北方案里哪些部门负责",
        "年终奖不发可以去仲裁吗",
        "听人说有个女职工专项集体合同，签了对我们女工有啥好处",
        "俺们厂流水线上几百号女工，工会倒是有，就是没个女工委员会，这中不中",
        "我想学点电脑，做表格、剪视频这些，工会有没有免费的培训？",  # 想 is not 省
        "湖北新修订的女职工劳保规定出来了没有",
        "数智赋能谁负责",  # 数智 is the plan's own word (a title), not a typo of 数字
        "工会发的调查问卷填了有啥用",  # 工会发 is in the documents' text, not 工会法
    ],
)
def test_words_spelt_right_are_left_alone(tokenizer, question):
    assert tokenizer.respeller.mend(tokenizer._jieba.lcut(question)) == []


def test_a_nursery_is_childcare_not_children_in_general(tokenizer):
    for question in ("厂里有托儿所吗", "单位有没有幼儿园"):
        expanded = tokenizer.expand(question)
        assert "托育" in expanded and "子女" not in expanded
    assert "子女" in tokenizer.expand("孩子放暑假没人看")


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("哺乳", "哺乳室"),
        ("车间里有人摸屁股", "调查处理"),
        ("领导老讲黄段子", "侵犯"),
        ("被性骚扰了", "案件"),
    ],
)
def test_everyday_words_of_nursing_and_harassment_reach_the_documents_words(
    tokenizer, question, meant
):
    assert meant in tokenizer.expand(question)


def test_protection_at_work_reaches_the_words_of_labour_safety(tokenizer):
    expanded = tokenizer.expand("厂里粉尘大，女工的防护有人管吗")
    assert "劳动保护" in expanded and "安全卫生" in expanded


def test_a_synonym_counts_only_where_it_is_said_as_a_word(tokenizer):
    assert "网上工会" not in tokenizer.expand("我在电子厂流水线上班")  # not 线上
    assert "经费" not in tokenizer.expand("雇主硬是不给结钱")  # not 钱
    assert "网上工会" in tokenizer.expand("工会有没有线上活动")
    assert "人文关怀" in tokenizer.expand("心理疏导")  # inside a longer word it still counts


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("平台不给交社保", "社会保险"),
        ("女职工工作干部怎么选配", "选优配强"),
        ("女工的劳保有没有特殊规定", "劳动保护"),
        ("老板不给买劳保用品", "劳动保护"),  # at the head of a longer word
    ],
)
def test_short_forms_of_the_documents_phrases_are_read_as_meant(tokenizer, question, meant):
    assert meant in tokenizer.expand(question)


@pytest.mark.parametrize(
    ("question", "not_meant"),
    [
        ("我在服装加工厂上班", "加强工会"),  # 加工 is an ordinary word
        ("参加活动能攒积分吗", "积极分子"),
        ("早上几点集合", "集体合同"),
    ],
)
def test_ordinary_words_are_no_short_forms(tokenizer, question, not_meant):
    assert not_meant not in tokenizer.expand(question)


def test_a_short_form_the_documents_say_is_their_own_word():
    from bot.core.tokens import Tokenizer

    own = Tokenizer(synonyms={}, texts=["依法维护社会保险权益。", "社保经办机构。"])
    other = Tokenizer(synonyms={}, texts=["依法维护社会保险权益。"])
    assert "社保" not in own.abbreviations
    assert other.abbreviations["社保"] == ("社会保险",)


def test_a_word_mended_is_expanded_in_turn_and_read_as_meant(tokenizer):
    assert {"哺乳室", "母婴室"} <= set(tokenizer.expand("布乳室谁负责"))
    assert tokenizer.respelt("单位没有布乳室") == "单位没有哺乳室"
    assert tokenizer.respelt("单位没有哺乳室") == "单位没有哺乳室"
