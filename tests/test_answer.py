"""Answers: the JSON contract, intents end to end, and bad input."""

from __future__ import annotations

import json

import pytest

from bot.core.replies import Answer
from tests.conftest import HUBEI, NATIONAL

HIT_KEYS = {"doc_code", "doc_title", "number", "title", "quote", "text", "departments",
            "parallel", "score"}  # fmt: skip
ANSWER_KEYS = {"query", "intent", "answered", "message", "hits"}


def test_json_contract_keeps_every_field_and_adds_the_view():
    from dataclasses import fields

    from bot.core.replies import Answer, Hit

    assert {f.name for f in fields(Answer)} == ANSWER_KEYS | {"lead", "view", "context"}
    assert {f.name for f in fields(Hit)} == HIT_KEYS | {"place", "sentence"}


def test_json_contract(qa):
    data = json.loads(qa.ask("爱心母婴室规范化建设由哪些部门负责").to_json())
    assert set(data) >= ANSWER_KEYS
    assert data["intent"] == "who" and data["answered"] is True
    hit = data["hits"][0]
    assert set(hit) >= HIT_KEYS
    assert hit["place"] == "湖北方案 第4项「提升女职工生活品质」"
    assert hit["doc_code"] == HUBEI and hit["title"] == "提升女职工生活品质"
    assert hit["departments"][0] == "女职工部"
    assert hit["parallel"] == {
        "doc_code": NATIONAL,
        "number": "（六）",
        "title": "提升女职工生活品质",
        "place": "全总意见 第（六）条「提升女职工生活品质」",
    }
    assert hit["quote"] in hit["text"]
    assert isinstance(hit["score"], float)


def test_message_names_place_title_and_departments(qa):
    answer = qa.ask("爱心母婴室规范化建设由哪些部门负责")
    assert "湖北方案 第4项「提升女职工生活品质」" in answer.message
    assert "女职工部、宣传部（网络工作部）、权益保障部（法律工作部）" in answer.message
    assert "对应条款：全总意见 第（六）条「提升女职工生活品质」" in answer.message


def test_quote_is_verbatim_and_not_only_the_title(qa):
    answer = qa.ask("女职工休息哺乳室建设")
    hit = answer.hits[0]
    assert hit.quote != hit.title + "。"
    assert hit.quote in hit.text


def test_department_lists_every_clause_in_document_order(qa):
    answer = qa.ask("宣传部负责什么")
    assert answer.intent == "dept" and answer.answered
    assert [h.number for h in answer.hits] == ["1", "2", "4", "7", "10", "11"]
    assert all("宣传部（网络工作部）" in h.departments for h in answer.hits)


def test_office_is_not_the_technical_association_office(qa):
    office = qa.ask("办公室负责哪些工作")
    assert [h.number for h in office.hits] == ["7", "9", "（一）", "（三）"]
    assoc = qa.ask("职工技协办公室负责什么")
    assert [h.number for h in assoc.hits] == ["2"]


def test_clause_by_number(qa):
    answer = qa.ask("全总意见第（八）条")
    assert answer.intent == "clause" and answer.answered
    assert (answer.hits[0].doc_code, answer.hits[0].number) == (NATIONAL, "（八）")
    answer = qa.ask("湖北方案第4项")
    assert answer.hits[0].title == "提升女职工生活品质"


def test_parallel_clause_in_the_other_document(qa):
    answer = qa.ask("鄂工办发〔2023〕7号第10项，在总工发〔2022〕5号里对应哪条")
    assert (answer.hits[0].doc_code, answer.hits[0].number) == (NATIONAL, "（十二）")
    answer = qa.ask("全总意见第（六）条讲提升生活品质，湖北方案里是怎么具体落实的")
    assert (answer.hits[0].doc_code, answer.hits[0].number) == (HUBEI, "4")


def test_a_heading_named_maps_every_clause_under_it(qa):
    answer = qa.ask("湖北方案的三条保障措施，分别对应全总意见哪几条")
    assert answer.view == "full"
    assert [(h.doc_code, h.number) for h in answer.hits] == [
        (NATIONAL, "（十四）"),
        (NATIONAL, "（十五）"),
        (NATIONAL, "（十六）"),
    ]
    # More clauses than an answer quotes: each named, in document order.
    answer = qa.ask("湖北方案的主要任务对应全总意见哪些条")
    assert answer.view == "list" and len(answer.hits) == 11
    assert [h.number for h in answer.hits][:2] == ["（三）", "（四）"]
    assert "共 11 条" in answer.message


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        (
            "全总意见第五部分讲什么",
            [(NATIONAL, "（十四）"), (NATIONAL, "（十五）"), (NATIONAL, "（十六）")],
        ),
        ("湖北方案第三部分", [(HUBEI, "（一）"), (HUBEI, "（二）"), (HUBEI, "（三）")]),
        ("湖北方案第一部分", [(HUBEI, "一")]),  # a part that is one clause
        (
            "全总意见第五部分对应湖北方案哪些",
            [(HUBEI, "（一）"), (HUBEI, "（二）"), (HUBEI, "（三）")],
        ),
        ("全总意见第（五）部分", [(NATIONAL, "（五）")]),  # in brackets: the item
        ("湖北方案保障措施第二条", [(HUBEI, "（二）")]),  # not 第2项: the heading's
        ("全总意见强化组织实施第二条", [(NATIONAL, "（十五）")]),  # the heading's second
        ("全总意见强化组织实施第十五条", [(NATIONAL, "（十五）")]),
        ("湖北方案第二条", [(HUBEI, "2")]),  # no heading named
        ("湖北方案第3项的保障措施", [(HUBEI, "3")]),  # the heading after it is no scope
        ("湖北方案第2项对应全总意见夯实组织基础哪一条", [(NATIONAL, "（四）")]),
    ],
)
def test_a_part_by_its_number_is_every_clause_under_it(qa, question, numbers):
    answer = qa.ask(question)
    assert [(h.doc_code, h.number) for h in answer.hits] == numbers


def test_a_part_with_more_clauses_than_an_answer_quotes_is_listed_and_a_missing_one_named(qa):
    answer = qa.ask("全总意见第二部分")
    assert answer.view == "list" and [h.number for h in answer.hits] == [
        "（三）", "（四）", "（五）", "（六）"
    ]  # fmt: skip
    assert answer.message.startswith("共 4 条：")
    answer = qa.ask("湖北方案第九部分")
    assert not answer.answered and "湖北方案没有第九部分" in answer.message
    answer = qa.ask("湖北方案保障措施第五条")  # not 第5项 elsewhere in the plan
    assert not answer.answered and "湖北方案这一部分没有第五条" in answer.message
    answer = qa.ask("湖北方案保障措施第5项")  # named as asked
    assert not answer.answered and "湖北方案这一部分没有第5项" in answer.message


def test_the_items_of_a_heading_asked_for_are_listed(qa):
    answer = qa.ask("夯实组织基础包括哪几项")
    assert answer.view == "list" and answer.message.startswith("共 6 条：")
    assert [(h.doc_code, h.number) for h in answer.hits] == [
        (NATIONAL, "（七）"), (NATIONAL, "（八）"), (NATIONAL, "（九）"),
        (HUBEI, "5"), (HUBEI, "6"), (HUBEI, "7"),
    ]  # fmt: skip
    answer = qa.ask("湖北方案的保障措施有哪些")
    assert [h.number for h in answer.hits] == ["（一）", "（二）", "（三）"]
    # Not a list asked for, no heading named, or something asked beside it: a search.
    assert qa.ask("夯实组织基础").view != "list"
    for beside in ("哺乳期有哪些保障措施", "孕期工作方式有哪些调整", "女职工有哪些保障措施"):
        assert qa.ask(beside).view != "list", beside
    assert qa.ask("培育女劳模（工匠）创新工作室和带徒名师，责任单位有哪些").view != "list"


def test_the_items_of_a_clause_that_is_a_list_are_all_quoted_when_asked_for(qa):
    answer = qa.ask("基本原则有哪些")
    first = answer.hits[0]
    assert first.title == "基本原则" and first.quote == first.text
    assert first.text.count("——") == 6 and all(
        p in answer.message for p in ("坚持党的领导", "坚持系统观念")
    )
    asked_plainly = qa.ask("基本原则")
    assert asked_plainly.hits[0].quote != asked_plainly.hits[0].text  # the answering sentence


def test_a_clause_standing_for_a_whole_heading_maps_to_every_clause_under_it(qa):
    # 湖北方案 一、总体要求 is one clause; 全总意见's 一、把握总体要求 has two.
    answer = qa.ask("湖北方案“一、总体要求”对应全总意见里的哪些内容")
    assert [h.title for h in answer.hits] == ["指导思想", "基本原则"]
    # The other way, the heading is named and its clauses map to the one clause.
    answer = qa.ask("全总意见的总体要求对应湖北方案哪一条")
    assert [(h.doc_code, h.title) for h in answer.hits] == [(HUBEI, "总体要求")]


def test_who_is_responsible_for_a_clause_by_number_reads_its_counterpart_when_it_lists_none(qa):
    answer = qa.ask("全总意见第（十三）条由谁负责")
    assert answer.intent == "who" and answer.answered
    assert [(h.doc_code, h.number) for h in answer.hits] == [(HUBEI, "11")]
    assert answer.lead.startswith("全总意见没有列责任单位；对应的湖北方案 第11项")
    assert answer.lead.endswith("责任单位是：女职工部、宣传部（网络工作部）、新闻信息中心。")
    own = qa.ask("湖北方案第4项由哪些部门负责")  # a clause with its own 责任单位
    assert [(h.doc_code, h.number) for h in own.hits] == [(HUBEI, "4")]
    assert "没有列" not in own.lead
    none = qa.ask("全总意见第（一）条谁负责")  # neither it nor its counterpart lists any
    assert not none.answered and none.lead == "这一条没有写明责任单位。"


@pytest.mark.parametrize(
    "question",
    [
        "全总意见有几条",
        "湖北方案一共有几项",
        "湖北方案有哪些内容",
        "湖北方案讲了什么",
        "湖北方案？",
        "那湖北的呢",  # a document named with nothing asked of it
        "湖北方案呢",
        "全总意见的呢",
    ],
)
def test_what_a_document_holds_is_its_clauses_listed_by_part(qa, question):
    answer = qa.ask(question)
    assert answer.view == "list" and answer.answered
    doc = answer.hits[0].doc_code
    assert {h.doc_code for h in answer.hits} == {doc}
    if doc == HUBEI:
        assert answer.lead == (
            "湖北方案共 15 条，分 3 部分：一、总体要求（1 条）；二、主要任务（11 条）；"
            "三、保障措施（3 条）。"
        )
    else:
        assert answer.lead.startswith("全总意见共 16 条，分 5 部分：一、把握总体要求（2 条）；")


def test_a_document_asked_about_with_no_topic_is_answered_from_it(qa):
    answer = qa.ask("湖北方案是谁发的")  # nothing but the document: its own words still count
    assert answer.answered and answer.hits[0].doc_code == HUBEI


def test_a_topic_asked_of_a_named_document_is_searched_without_the_documents_name(qa):
    # 湖北方案 in the words searched drew its 前言, which names the plan.
    answer = qa.ask("湖北方案有哪些关于哺乳室的内容")
    assert answer.view != "list" and answer.hits[0].doc_code == HUBEI
    assert answer.hits[0].title != "前言"


def test_her_own_where_to_turn_is_not_a_departments_question(qa):
    from bot.core.answer import TURN_TO_LEAD

    answer = qa.ask("我是缝纫工，怀孕五个月了，主管不让我上厕所，我该找谁")
    assert answer.intent == "search" and answer.lead.startswith(TURN_TO_LEAD)
    assert "12351" in answer.lead and "责任单位是" not in answer.lead
    assert "娘家人听到了" not in answer.lead  # where to turn, not a trouble it did not hear
    for who in ("心灵驿站建设找谁", "我想建爱心母婴室，我该找哪个部门"):
        assert qa.ask(who).lead.startswith("这项工作的责任单位是")


@pytest.mark.parametrize(
    "question",
    [
        "我该怎么办",
        "有没有热线电话",
        "我该找谁？",
        "怎么办",
        "那咋办嘛",
        "咋弄",
        "找谁投诉",
        "找谁",
    ],
)
def test_asking_only_where_to_turn_is_told_where_a_person_can_help(qa, question):
    from bot.core.answer import WHERE_TO_TURN

    assert qa.ask(question).message == WHERE_TO_TURN


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("12351是什么", "全国总工会"),
        ("12338是干什么的", "妇联"),
        ("12356热线是啥", "心理援助"),
        ("那12338呢", "妇联"),
        ("12356", "心理援助"),
    ],
)
def test_a_hotline_the_answers_name_is_explained_when_asked(qa, question, says):
    answer = qa.ask(question)
    assert answer.answered and says in answer.message and "答不上来" not in answer.message


def test_another_question_about_a_hotline_is_not_answered_with_what_it_is(qa):
    from bot.core.answer import HOTLINES

    assert qa.ask("12351是免费的吗").message != HOTLINES["12351"]


def test_missing_clause_number_is_said_plainly(qa):
    answer = qa.ask("全总意见第（二十）条")
    assert answer.answered is False and answer.hits == []
    assert "没有（二十）" in answer.message


def test_quantity_question_without_quantity_is_declined(qa):
    answer = qa.ask("产假一共有多少天")
    assert answer.answered is False
    assert "没有直接规定" in answer.message


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("", "请输入"),
        ("   \n\t ", "请输入"),
        ("😀😀🎉", "没看懂"),
        ("What's the capital of France?", "中文"),
        ("\x00\x07\x1b", "请输入"),
    ],
)
def test_bad_input_gets_a_clear_chinese_message(qa, text, phrase):
    answer = qa.ask(text)
    assert isinstance(answer, Answer)
    assert answer.answered is False and phrase in answer.message


def test_huge_question_is_answered_from_its_start(qa):
    answer = qa.ask("两癌筛查" + "啊" * 5000)
    assert "只按前 200 个字" in answer.message
    assert answer.hits


def test_control_characters_inside_text_are_ignored(qa):
    answer = qa.ask("两癌\x00筛查\u200b")
    assert answer.answered and answer.hits[0].title == "提升女职工生活品质"


@pytest.mark.parametrize(
    "question", ["女职工队伍状况调查多久开展一次", "女职工队伍状况调查隔多长时间搞一次"]
)
def test_how_often_is_answered_by_a_frequency(qa, question):
    answer = qa.ask(question)
    assert answer.answered and answer.hits[0].title == "加强调查研究工作"
    assert "定期" in answer.hits[0].quote


@pytest.mark.parametrize("question", ["产假有多少天", "婚假有几天", "哺乳假能休几个月"])
def test_a_quantity_the_documents_do_not_state_is_declined(qa, question):
    assert not qa.ask(question).answered


def test_two_close_clauses_are_both_quoted_unless_one_is_the_others_counterpart(qa, monkeypatch):
    import bot.core.answer

    ranked = qa.retriever.search("婚恋交友服务", k=3)
    first = ranked[0]
    counterpart = next(
        r
        for r in qa.retriever.search(first.clause.parallel.title, k=10)
        if r.clause.ref == first.clause.parallel
    )
    counterpart.score = first.score
    assert qa.close_second([first, counterpart]) is None
    other = next(r for r in ranked[1:] if r.clause.ref != first.clause.parallel)
    other.score = first.score * 0.95
    assert qa.close_second([first, other]) is other
    other.score = first.score * 0.5
    assert qa.close_second([first, other]) is None

    monkeypatch.setattr(bot.core.answer, "CLOSE_SECOND", 0.0)  # every second clause is close
    answers = [qa.ask(q) for q in ("职工子女托管", "女职工权益", "婚恋交友", "托育服务", "两癌")]
    quoting = [a for a in answers if a.view == "quotes"]
    assert quoting and all(len(a.shown) == 2 for a in quoting)
    for answer in quoting:
        assert answer.lead == "有两条规定都相关："
        assert all(h.place in answer.message for h in answer.shown)


def test_the_first_clauses_counterpart_comes_second_when_found(qa):
    from bot.core.intents import parse_intent

    found = 0
    for q in ("职工子女托管", "女职工权益", "婚恋交友", "托育服务", "两癌", "女职工委员会"):
        ranked, _ = qa.rank(q, parse_intent(q, qa.docs, qa.departments), k=3)
        ordered = qa.counterpart_second(ranked)
        assert sorted(id(r) for r in ordered) == sorted(id(r) for r in ranked)  # none lost
        first = ranked[0].clause
        if any(r.clause.ref == first.parallel for r in ranked[1:]):
            found += 1
            assert ordered[1].clause.ref == first.parallel
            rest = [r.score for r in ordered[2:]]
            assert rest == sorted(rest, reverse=True)  # the rest in score order
            answer = qa.ask(q)
            if answer.view != "quotes":  # (a close second clause is quoted before it)
                assert answer.hits[1].place == first.parallel.place
    assert found >= 3
    ranked, _ = qa.rank("两癌", parse_intent("两癌", qa.docs, qa.departments), k=3)
    swapped = [ranked[0], *reversed(ranked[1:])]
    assert qa.counterpart_second(swapped)[1] is next(
        r for r in ranked if r.clause.ref == ranked[0].clause.parallel
    )


def test_a_who_answer_has_the_first_clauses_counterpart_second_though_it_names_no_one(qa):
    """A who-question searches the clauses that name departments (the plan's); the opinion's
    item, the same work, comes second as in a search answer, and is not listed twice."""
    for q in ("哺乳室建设由谁负责", "哪个部门负责两癌筛查", "女职工组织覆盖谁来抓"):
        answer = qa.ask(q)
        assert answer.intent == "who" and answer.answered
        first, second = answer.hits[0], answer.hits[1]
        assert first.departments and first.parallel is not None
        assert (second.doc_code, second.number) == (first.parallel.doc_code, first.parallel.number)
        assert not second.departments  # the opinion names no 责任单位
        assert answer.lead.startswith("这项工作的责任单位是：" + "、".join(first.departments))
        places = [h.place for h in answer.hits]
        assert len(places) == len(set(places)) == 3
    # Its quote is the sentence that answers, not the clause's first.
    twin = qa.ask("哪个部门负责两癌筛查").hits[1]
    assert "筛查" in twin.quote and twin.sentence > 0


def test_who_is_responsible_in_the_opinion_is_told_its_counterparts_departments(qa):
    """The opinion lists no 责任单位: asked of it, the answer names its counterpart's."""
    answer = qa.ask("全总意见里两癌筛查由谁负责")
    assert answer.intent == "who" and answer.answered
    first = answer.hits[0]
    assert first.doc_code == "总工发〔2022〕5号" and not first.departments
    twin = qa.clause_of(first.parallel)
    assert answer.lead.startswith("全总意见没有列责任单位；")  # said first
    assert answer.lead.endswith("责任单位是：" + "、".join(twin.departments) + "。")


def test_the_decline_evidence_reads_the_same_clauses_whatever_the_depth_asked(qa):
    from bot.core.answer import EVIDENCE_DEPTH
    from bot.core.intents import parse_intent

    deeper_differs = 0
    for q in (
        "两癌筛查",
        "我是搞科研的女同志，工会对我们有什么支持",
        "开展女职工工作要坚持哪些基本原则",
        "天气",
    ):
        intent = parse_intent(q, qa.docs, qa.departments)
        ranked, evidence = qa.rank(q, intent, k=8)  # as the dialogue asks
        assert evidence == qa.rank(q, intent, k=3)[1] == qa.evidence(q, ranked[:EVIDENCE_DEPTH])
        deeper_differs += qa.evidence(q, ranked) != evidence
    assert deeper_differs  # reading all eight would change what the model sees


@pytest.mark.parametrize(
    "question",
    [
        "我怀孕四个月了，申请调岗位领导不批，工会能帮我说句话吗",
        "俺在超市上班，老板老是拖欠工资，心里扛不住了，托育服务有没有",
        "我们厂把怀孕的姐妹辞退了，女职工权益谁来管",
        "怀孕了被公司辞退咋办",
        "刚休完产假就被裁员了，该找谁",
        "今天又被主管骂哭了，心里好难受",  # how she feels, the subject left out
        "上班被同事欺负，天天哭",
        "孩子生病住院，单位还扣我工资，好绝望",
    ],
)
def test_a_worker_telling_of_her_own_trouble_is_heard_before_the_rule(qa, question):
    from bot.core.answer import HEARD

    answer = qa.ask(question)
    assert answer.lead.startswith(HEARD) or answer.lead.startswith("您说的难处，娘家人听到了。")
    assert "12351" in answer.lead
    if answer.answered:  # the clauses still follow the lead
        assert answer.shown and answer.shown[0].place in answer.message
        assert answer.message.index(answer.lead) < answer.message.index(answer.shown[0].place)


@pytest.mark.parametrize("question", ["心里好难受", "今天又被主管骂哭了，心里好难受", "好绝望"])
def test_how_she_feels_with_nothing_the_documents_speak_of_is_met_as_a_person(qa, question):
    from bot.core.answer import FEELINGS_HEARD

    answer = qa.ask(question)
    assert answer.message == FEELINGS_HEARD and "12356" in answer.message
    assert "没有直接规定" not in answer.message and not answer.hits


@pytest.mark.parametrize(
    ("question", "meant"),
    [
        ("被领导性骚饶了怎么办", "被领导性骚扰了怎么办"),
        ("老板老是骚绕我", "老板老是骚扰我"),
        ("我家宝宝没人带", "我家宝宝没人带"),  # 家暴's homophones are not respelt
        ("我寻思着问一下", "我寻思着问一下"),
        ("收到很多骚扰电话", "收到很多骚扰电话"),
    ],
)
def test_a_word_of_harassment_mistyped_is_read_as_meant(question, meant):
    from bot.core.answer import respell_harassment

    assert respell_harassment(question) == meant


@pytest.mark.parametrize(
    "question", ["我们单位想建立预防性骚扰的制度，文件有规定吗", "工会怎么防治性骚绕"]
)
def test_a_policy_on_harassment_asked_gets_the_rule_not_what_she_should_do(qa, question):
    from bot.core.answer import HARASSMENT_HELP, personal_trouble

    assert not personal_trouble(question)
    assert HARASSMENT_HELP not in qa.ask(question).message


def test_a_document_hard_to_read_gets_a_way_on_not_a_hotline_for_distress(qa):
    from bot.core.answer import HARD_TO_READ

    answer = qa.ask("这文件读得我好难受，看不懂")
    assert answer.message == HARD_TO_READ and "12356" not in answer.message


def test_harassment_mistyped_gets_what_to_do_first(qa):
    from bot.core.answer import HARASSMENT_HELP

    assert qa.ask("被领导性骚饶了怎么办").message.startswith(HARASSMENT_HELP)


@pytest.mark.parametrize("question", ["总体要求谁负责", "湖北方案总体要求由哪个部门负责"])
def test_who_is_responsible_for_a_clause_that_names_no_one_says_so(qa, question):
    answer = qa.ask(question)
    assert answer.lead == "这一条没有写明责任单位。"
    assert answer.hits[0].title == "总体要求" and not answer.hits[0].departments
    assert "总体要求" in qa.untitled_duties and "加大支持保障" not in qa.untitled_duties


def test_a_ruling_asked_for_is_said_not_to_be_given_before_a_rule_that_gives_none(qa):
    from bot.core.answer import RULING_NOT_GIVEN, RULING_WHERE
    from bot.core.decline import RULE_STATED_RE

    not_given = RULING_NOT_GIVEN.format(docs="这两份文件")
    answer = qa.ask("老板让怀孕的女工上夜班，这合法吗")
    assert answer.answered and not RULE_STATED_RE.search(answer.hits[0].quote)
    assert answer.lead == not_given + RULING_WHERE + "文件里的相关规定："
    heard = qa.ask("怀孕了老板想把我辞退，这合法吗")  # her own: heard first, 12351 said once
    assert heard.lead.startswith("您说的难处") and not_given in heard.lead
    assert heard.lead.count("12351") == 1
    assert not_given not in qa.ask("女职工夜班有什么规定").lead  # no ruling asked


@pytest.mark.parametrize(
    "question",
    [
        "单位有没有哺乳室",
        "辞退怀孕的女职工，工会怎么维权",
        "我想了解托育服务",
        "扩大工会女职工组织覆盖由哪些部门负责",
        "我想问一下，不管是合同工还是劳务派遣，都能享受女职工特殊保护吗",
        "孕期能不能不让上夜班，我想了解一下规定",
        "我想知道产假期间工资会不会不发",
        "咱厂女工想学点电脑，工会给不给培训",
        "女职工孕期被辞退怎么办，工会有什么规定",
        "被辞退的女职工能不能继续参加工会活动",
        "女职工受了委屈找谁",
        "同事被领导骂哭了，工会管不管",
        "工会有没有心理疏导",
        "我们单位很多女职工反映心里难受，工会怎么开展心理疏导",  # a cadre, of others
        "有女职工被主管骂哭了，作为工会干部我该怎么做",
        "这文件读得我好难受，看不懂",  # the reading is hard, not her life
    ],
)
def test_a_question_about_a_rule_or_without_trouble_gets_no_consoling(qa, question):
    from bot.core.answer import personal_trouble

    assert not personal_trouble(question)
    assert "娘家人听到了" not in qa.ask(question).message


def test_a_declined_question_with_nothing_the_documents_speak_of_gets_no_nearest_topics(
    fake_retriever,
):
    from bot.core.answer import OUTSIDE, QA
    from bot.core.decline import DeclineModel

    qa = QA(fake_retriever, DeclineModel(intercept=-10.0, threshold=0.5))  # declines everything
    outside = qa.ask("怎么做红烧肉")
    assert not outside.answered and outside.message == OUTSIDE and outside.hits == []
    near = qa.ask("产假有多少天")  # 产假 reads as 生育, which the documents speak of
    assert not near.answered and "相近的话题有" in near.message and near.hits


@pytest.mark.parametrize(
    "text", ["我" * 300, "哈哈" * 20, "啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊啊"]
)
def test_one_character_over_and_over_is_not_read_as_a_question(qa, text):
    answer = qa.ask(text)
    assert not answer.answered and answer.message.startswith("没看懂") and not answer.hits


def test_violence_no_clause_speaks_of_gets_help_and_no_unrelated_rule(qa):
    from bot.core.answer import HEARD, SAFETY

    answer = qa.ask("老公打我，工会管吗")
    assert answer.message == SAFETY + "\n" + HEARD and answer.hits == []
    rights = qa.ask("被打了还被辞退，工会能维权吗")  # and something the documents speak of
    assert rights.message.startswith(SAFETY) and rights.hits


@pytest.mark.parametrize(
    "question", ["好累啊，不想活了", "我真的撑不下去了，想死", "活着没意思", "想自杀"]
)
def test_thoughts_of_ending_ones_life_are_met_by_a_person_first(qa, question):
    from bot.core.answer import CRISIS_CARE, OUTSIDE, QA
    from bot.core.decline import DeclineModel

    for answerer in (qa, QA(qa.retriever, DeclineModel(intercept=-10.0, threshold=0.5))):
        answer = answerer.ask(question)
        assert answer.message.startswith(CRISIS_CARE) and "12356" in answer.message
        assert OUTSIDE not in answer.message and "没有直接规定" not in answer.message
        if not answer.answered:  # nothing from the documents: no rule, no topics
            assert answer.hits == [] and "12351" in answer.message
        if not answerer.topical(question):  # 不想活了: no rule quoted at her, however found
            assert not answer.answered and answer.hits == []
        assert "娘家人听到了" not in answer.message  # one opening, not two


@pytest.mark.parametrize(
    "question", ["被领导性骚扰怎么办", "车间主任老是对我动手动脚", "工会管不管性骚扰"]
)
def test_harassment_is_met_with_what_to_do_then_the_rule(qa, question):
    from bot.core.answer import HARASSMENT_HELP, OUTSIDE

    answer = qa.ask(question)
    assert answer.message.startswith(HARASSMENT_HELP) and OUTSIDE not in answer.message
    # What to do, and where to turn, is said once: not again as her trouble heard.
    assert "娘家人听到了" not in answer.message and answer.message.count("12351") == 1
    assert answer.hits  # then the rule


@pytest.mark.parametrize(
    ("question", "crisis"),
    [
        ("活着真没意思", True),
        ("我不想活了", True),
        ("上班好累，真想一了百了", True),
        ("干脆死了算了", True),
        ("我想了解一下心理疏导", False),
        ("想死你了", False),
        ("跳楼价促销", False),
        ("每天干活够了八小时还要加班吗", False),
        ("年底活动太多，不想再活动了", False),
        ("干脆辞职一了百了", False),
        ("我最近总想从楼上跳下去", True),
        ("我买了安眠药", True),
        ("失眠能吃安眠药吗", False),
        ("买安眠药需要处方吗", False),
        ("我从楼上跳下来摔伤了算工伤吗", False),
        ("这月加班加到想死😂", False),
        ("失去死亡赔偿金怎么算", False),
        ("去死皮怎么弄", False),
    ],
)
def test_the_crisis_words_are_phrases_not_characters(qa, question, crisis):
    from bot.core.answer import CRISIS, CRISIS_CARE

    assert bool(CRISIS.search(question)) is crisis
    assert qa.ask(question).message.startswith(CRISIS_CARE) is crisis


@pytest.mark.parametrize(
    "question",
    [
        "老板老是骚扰我",
        "被经理骚扰了怎么办",
        "车间里总有男同事摸我屁股",
        "他老是在没人的时候蹭我",
        "要我陪他去酒店，不去就扣奖金",
        "领导关上门说暧昧的话",
        "领导给我发暧昧短信",
    ],
)
def test_harassment_in_plain_words_is_met_with_what_to_do_even_without_a_rule(qa, question):
    from bot.core.answer import HARASSMENT_HELP

    answer = qa.ask(question)
    assert answer.message.startswith(HARASSMENT_HELP)
    assert answer.message.count("12351") == 1 and "娘家人听到了" not in answer.message


@pytest.mark.parametrize(
    "question",
    [
        "老是接到骚扰电话怎么办",
        "同事摸我的头安慰我",
        "经常被骚扰电话打扰怎么办",
        "老是被推销电话骚扰",
        "乳腺癌筛查医生会摸胸吗",
        "周末和同事去蹭饭",
        "同事天天蹭我饭卡",
        "女职工上下流动有什么政策",
        "出差陪客户去酒店吃饭算加班吗",
    ],
)
def test_what_is_not_harassment_gets_no_harassment_advice(qa, question):
    from bot.core.answer import HARASSMENT_HELP

    assert HARASSMENT_HELP not in qa.ask(question).message


@pytest.mark.parametrize(
    "question", ["我被老公打了怎么办", "遭受家暴工会管不管", "他动手打我", "老公打我怎么办"]
)
def test_violence_is_met_with_where_to_get_help_first(qa, question):
    from bot.core.answer import OUTSIDE, QA, SAFETY
    from bot.core.decline import DeclineModel

    answer = qa.ask(question)
    assert answer.lead.startswith(SAFETY) and answer.message.startswith(SAFETY)
    assert "110" in answer.message and "12338" in answer.message
    strict = QA(qa.retriever, DeclineModel(intercept=-10.0, threshold=0.5))  # declines all
    declined = strict.ask(question)
    assert declined.message.startswith(SAFETY) and OUTSIDE not in declined.message
    assert "娘家人听到了" in declined.message  # heard, never told the bot cannot answer


@pytest.mark.parametrize(
    "question",
    [
        "打造女职工品牌",
        "打击侵害女职工权益的行为",
        "单位有没有哺乳室",
        "哺乳期被要求打卡怎么办",
        "哺乳期被调岗打杂，合理吗",
        "可以打我们工会的电话吗",
        "单位被安排打疫苗",
        "产假被拒，打12351有用吗",
    ],
)
def test_words_that_only_look_like_violence_do_not_alarm(qa, question):
    assert "110" not in qa.ask(question).message


def test_her_own_trouble_the_documents_say_nothing_of_is_still_heard(fake_retriever):
    from bot.core.answer import OUTSIDE, QA
    from bot.core.decline import DeclineModel

    qa = QA(fake_retriever, DeclineModel(intercept=-10.0, threshold=0.5))  # declines everything
    answer = qa.ask("我被老板骂哭了")
    assert not answer.answered and answer.message != OUTSIDE
    assert answer.message.startswith("您说的难处，娘家人听到了。") and "12351" in answer.message
    assert "相近的话题" not in answer.message and not answer.hits  # nothing near to offer
    # 委屈 is distress, which the documents do speak of (心理疏导): offered as a near topic.
    hurt = qa.ask("我被老板骂哭了，好委屈")
    assert hurt.message.startswith("您说的难处，娘家人听到了。") and "相近的话题" in hurt.message
    assert any("心理疏导" in h.text for h in hurt.hits)


@pytest.mark.parametrize("question", ["我好累，没人理解我", "压力好大，我快撑不住了"])
def test_her_distress_with_nothing_the_documents_say_is_heard_not_refused(qa, question):
    from bot.core.answer import HEARD_OPENING, OUTSIDE

    answer = qa.ask(question)
    assert answer.message.startswith(HEARD_OPENING) and OUTSIDE not in answer.message


@pytest.mark.parametrize("question", ["单位", "有没有", "请问是不是"])
def test_a_message_of_only_question_words_is_asked_what_it_is_about(qa, question):
    from bot.core.answer import ASK_MORE

    answer = qa.ask(question)
    assert answer.message == ASK_MORE and not answer.answered and not answer.hits


def test_a_number_in_each_document_is_shown_from_each_and_said_to_be_so(qa):
    answer = qa.ask("第六条")
    assert answer.lead == "两份文件里各有这一条："
    assert {h.doc_code for h in answer.hits} == {NATIONAL, HUBEI}
    assert qa.ask("全总意见第（六）条").lead == ""


def test_a_number_a_document_lacks_is_told_with_the_numbers_it_has(qa):
    answer = qa.ask("湖北方案第12项")
    assert not answer.answered
    assert answer.lead.startswith("湖北方案没有12这一条（湖北方案的条款是第一部分、第1项至第11项")
    assert qa.ask("第99条").lead.startswith("文件没有99这一条。")  # no document named


def test_a_level_named_before_a_number_is_that_level_s_document(qa):
    answer = qa.ask("全国第6条讲什么")
    assert [(h.doc_code, h.number) for h in answer.hits] == [(NATIONAL, "（六）")]
    # a level elsewhere in the question names no document (国家生育政策 is a topic)
    answer = qa.ask("第4项里的国家生育政策是什么")
    assert [(h.doc_code, h.number) for h in answer.hits] == [(HUBEI, "4")]


def test_the_evidence_reads_a_word_mistyped_as_the_word_it_means(qa):
    ranked = qa.retriever.search("布乳室", k=3)
    assert "哺乳室" in ranked[0].clause.text
    assert qa.evidence("布乳室", ranked).coverage == 1.0


def test_a_question_in_english_is_asked_in_chinese_in_both_languages(qa):
    answer = qa.ask("how long is maternity leave")
    assert not answer.answered and "请用中文提问" in answer.message
    assert "Please ask in Chinese" in answer.message


@pytest.mark.parametrize(
    "question", ["我是做家政的，没单位，被雇主欺负了怎么办", "我跑外卖的，被扣钱了我该找谁"]
)
def test_someone_without_a_unit_is_sent_to_the_union_where_she_is(qa, question):
    from bot.core.answer import LOCAL_UNION

    answer = qa.ask(question)
    assert LOCAL_UNION in answer.message and "单位工会" not in answer.message


def test_someone_with_a_unit_is_sent_to_its_union(qa):
    from bot.core.answer import LOCAL_UNION

    answer = qa.ask("单位把我辞退了，我该找谁")
    assert "单位工会" in answer.message and LOCAL_UNION not in answer.message
