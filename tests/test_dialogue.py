"""The dialogue engine, kind by kind: small talk, follow-ups against the last answer, context
that expires, switches topic and never leaks into a new question."""

from __future__ import annotations

import pytest

import bot.core.dialogue
from bot.core.answer import QA
from bot.core.dialogue import Context, Dialogue
from bot.core.documents import ClauseRef
from tests.conftest import HUBEI, NATIONAL

CARE_N = "全总意见 第（六）条「提升女职工生活品质」"
CARE_H = "湖北方案 第4项「提升女职工生活品质」"


@pytest.fixture
def dialogue(qa):
    return Dialogue(qa)


def stored_before(context: Context, flag: str, malformed: object) -> None:
    """A context set ``flag``; stored before the flag was kept, it reads as unset, and a value
    of another type makes it malformed."""
    old = context.to_dict()
    assert old.pop(flag) is True
    restored = Context.from_dict(old)
    assert restored is not None and getattr(restored, flag) is False
    assert Context.from_dict({**old, flag: malformed}) is None


def talk(dialogue: Dialogue, *messages: str, now: float = 1000.0):
    context, turns = None, []
    for message in messages:
        turn = dialogue.respond(message, context, now=now)
        context = turn.context
        turns.append(turn)
    return turns


@pytest.mark.parametrize(
    "message",
    ["你好", "您好！", "你好呀~", "谢谢", "好的谢谢", "拜拜", "你是谁", "你能做什么", "嗯"],
)
def test_small_talk_gets_a_warm_reply_not_a_decline(dialogue, message):
    (turn,) = talk(dialogue, message)
    assert turn.answer.intent == "smalltalk" and turn.answer.answered
    assert turn.followup == "smalltalk" and turn.answer.message
    assert "没有直接规定" not in turn.answer.message


def test_a_greeting_offers_examples_drawn_from_the_documents(dialogue, qa):
    (turn,) = talk(dialogue, "你好")
    titles = {c.title for c in qa.retriever.clauses}
    examples = [line for line in turn.answer.message.splitlines() if line.startswith("· ")]
    assert len(examples) == 3
    assert any(any(t in e for t in titles) for e in examples)


def test_small_talk_in_front_of_a_question_answers_the_question(dialogue, qa):
    (turn,) = talk(dialogue, "你好，请问湖北方案第4项")
    plain = qa.ask("湖北方案第4项")
    assert turn.answer.intent == "clause" and turn.answer.hits[0].title == plain.hits[0].title


def test_small_talk_keeps_the_context(dialogue):
    turns = talk(dialogue, "全总意见第（六）条", "好的谢谢", "那谁负责")
    assert turns[2].followup == "who" and turns[2].answer.context == CARE_N


def test_who_about_the_last_clause_takes_the_parallel_that_lists_departments(dialogue, by_code):
    turns = talk(dialogue, "全总意见第（六）条", "那这个由哪个部门负责？")
    answer = turns[1].answer
    assert turns[1].followup == "who" and answer.intent == "who" and answer.answered
    assert answer.hits[0].departments == by_code[HUBEI].clause_by_number("4").departments
    assert answer.context == CARE_N and f"接上一条：{CARE_N}" in answer.message
    assert CARE_H in answer.message  # it says which clause the departments come from


@pytest.mark.parametrize(
    "message", ["谁负责", "由哪些部门负责", "湖北这块由哪些部门负责", "责任单位有哪些"]
)
def test_who_phrasings(dialogue, message):
    turns = talk(dialogue, "湖北方案第4项", message)
    assert turns[1].followup == "who" and turns[1].answer.hits[0].title == "提升女职工生活品质"


@pytest.mark.parametrize(
    "message", ["文件里有吗", "文件里咋说的", "文件里有没有规定", "政策上怎么规定的"]
)
def test_what_the_document_says_after_an_answer_is_the_clause_whole(dialogue, by_code, message):
    turns = talk(dialogue, "哪个部门负责婚恋交友服务", message)
    clause = by_code[HUBEI].clause_by_number("4")
    assert turns[1].followup == "full" and clause.text in turns[1].answer.message


def test_a_document_asked_of_with_a_topic_of_its_own_is_a_question(dialogue):
    assert dialogue.follow_up_kind("文件里有没有哺乳室的规定") == ""


@pytest.mark.parametrize("message", ["谁负则", "那谁复责", "详西说说", "能说细点不"])
def test_follow_up_words_mistyped_are_read_as_meant(dialogue, message):
    turns = talk(dialogue, "湖北方案第4项", message)
    assert turns[1].followup in ("who", "full") and turns[1].answer.answered
    assert turns[1].answer.hits[0].title == "提升女职工生活品质"


def test_a_message_is_mended_only_into_a_follow_up(dialogue):
    assert dialogue.mended_follow_up("谁负则") == "谁负责"
    assert dialogue.mended_follow_up("那谁负债") == "那谁负债"  # 债 zhai is not 责 ze
    assert dialogue.mended_follow_up("工会能帮我还负债吗") == "工会能帮我还负债吗"


@pytest.mark.parametrize(
    "message", ["湖北是怎么落实的", "对应哪条", "在湖北方案里是第几项", "湖北是怎么细化的"]
)
def test_the_other_document(dialogue, message):
    turns = talk(dialogue, "全总意见第（六）条", message)
    hit = turns[1].answer.hits[0]
    assert turns[1].followup == "parallel" and (hit.doc_code, hit.number) == (HUBEI, "4")


def test_the_other_way_round_and_the_same_document(dialogue):
    turns = talk(dialogue, "湖北方案第4项", "全总的文件里怎么说")
    assert turns[1].answer.hits[0].doc_code == NATIONAL
    turns = talk(dialogue, "湖北方案第4项", "这在湖北方案是第几项")
    assert turns[1].answer.hits[0].number == "4" and "就是" in turns[1].answer.message
    assert turns[1].answer.view == "quote"


def test_how_the_plan_carries_it_out_after_who_moved_to_the_plan_shows_it_whole(dialogue, by_code):
    turns = talk(dialogue, "单位没地方喂奶咋整", "谁负责", "湖北怎么落实的")
    clause = by_code[HUBEI].clause_by_number("4")
    assert turns[2].followup == "parallel" and turns[2].answer.view == "full"
    assert f"就是{clause.place}（对应{by_code[NATIONAL].clause_by_number('（六）').place}）" in (
        turns[2].answer.message
    )
    assert clause.text in turns[2].answer.message


@pytest.mark.parametrize("message", ["详细说说", "全文", "原文是怎么写的", "全文给我看看"])
def test_the_whole_clause(dialogue, by_code, message):
    turns = talk(dialogue, "哪个部门负责婚恋交友服务", message)
    clause = by_code[HUBEI].clause_by_number("4")
    assert turns[1].followup == "full" and clause.text in turns[1].answer.message


def test_more_shows_clauses_not_yet_shown_then_runs_out(dialogue):
    turns = talk(dialogue, "婚恋交友服务", "还有吗", "还有别的相关规定吗")
    first = turns[0].answer.hits[0].title, turns[0].answer.hits[0].doc_code
    shown = [(h.title, h.doc_code) for t in turns[1:] for h in t.answer.hits]
    assert turns[1].followup == "more" and first not in shown
    assert len(shown) == len(set(shown))
    many = talk(dialogue, "婚恋交友服务", *["还有吗"] * 6)
    assert not many[-1].answer.answered and "没有更多" in many[-1].answer.message


def test_a_clause_shown_by_more_is_picked_by_its_place(dialogue, qa):
    turns = talk(dialogue, "哺乳室", "还有吗", "第二个", "第5个")
    shown = turns[1].answer.hits
    assert len(shown) >= 2 and turns[2].followup == "full"
    picked = turns[2].answer.hits[0]
    assert (picked.doc_code, picked.number) == (shown[1].doc_code, shown[1].number)
    assert picked.text in turns[2].answer.message  # the whole clause
    assert f"上面列出的只有 {len(shown)} 条" in turns[3].answer.message


@pytest.mark.parametrize(
    "message", ["湖北方案和全总意见在婚恋交友上有什么不同", "婚恋交友这块两份文件有啥区别"]
)
def test_a_comparison_asked_with_its_topic_compares_the_clause_found(dialogue, message):
    (turn,) = talk(dialogue, message)
    answer = turn.answer
    assert answer.answered and "讲的是同一项工作，逐句比对原文" in answer.message
    assert {h.title for h in answer.hits} == {"提升女职工生活品质"} and len(answer.hits) == 2
    assert "接上一条" not in answer.message and turn.followup == ""


@pytest.mark.parametrize(
    "message", ["湖北方案第4项和全总意见第六条有啥区别", "湖北方案第4项有什么不同"]
)
def test_a_comparison_of_a_clause_named_compares_it_with_its_counterpart(dialogue, message):
    (turn,) = talk(dialogue, message)
    assert "讲的是同一项工作，逐句比对原文" in turn.answer.message
    assert {(h.doc_code, h.number) for h in turn.answer.hits} == {
        (HUBEI, "4"),
        (NATIONAL, "（六）"),
    }


def test_two_clauses_named_that_are_no_counterparts_are_shown_not_compared(dialogue):
    (turn,) = talk(dialogue, "湖北方案第4项和全总意见第五条有啥区别")
    assert "逐句比对" not in turn.answer.message and len(turn.answer.hits) == 2


def test_a_comparison_of_the_documents_without_a_topic_is_how_they_relate(dialogue):
    (turn,) = talk(dialogue, "两份文件有什么区别")
    assert turn.followup == "compare" and "一一对应" in turn.answer.message


def test_the_second_of_several_clauses_quoted_is_picked(dialogue):
    turns = talk(dialogue, "全总意见第五部分", "第二个")
    shown = turns[0].answer.hits
    assert len(shown) >= 2
    picked = turns[1].answer.hits[0]
    assert (picked.doc_code, picked.number) == (shown[1].doc_code, shown[1].number)


def test_a_context_stored_before_picks_were_kept_picks_as_before(dialogue):
    context = talk(dialogue, "哺乳室", "还有吗")[1].context
    old = context.to_dict()
    assert old.pop("picks")
    restored = Context.from_dict(old)
    assert restored is not None and restored.picks == []
    turn = dialogue.respond("第二个", restored, now=restored.at)
    assert "没有列出可选的条款" in turn.answer.message  # not listed, as a stored one was
    assert Context.from_dict({**old, "picks": "x"}) is None
    assert Context.from_dict({**old, "picks": [["a", "b"]]}) is None


def test_follow_ups_after_a_decline_open_the_nearest_topics_it_named(dialogue):
    from bot.core.dialogue import NEAR_NOTE

    turns = talk(dialogue, "产假一共多少天", "那谁负责", "详细说说")
    declined = turns[0].answer
    assert not declined.answered and "相近的话题有：" in declined.message
    first = declined.message.split("相近的话题有：")[1].split("、")[0].split("。")[0]
    who, whole = turns[1], turns[2]
    assert who.followup == "who" and who.answer.answered and who.answer.hits[0].departments
    assert NEAR_NOTE in who.answer.message and who.answer.hits[0].title == first
    assert whole.followup == "full" and NEAR_NOTE not in whole.answer.message  # said once
    named = declined.message.split("相近的话题有：")[1].split("。")[0].split("、")
    assert len(named) > 1  # 第二个: the second topic it named
    second = talk(dialogue, "产假一共多少天", "第二个")[1].answer
    assert second.answered and second.hits[0].title == named[1]


def test_a_context_stored_before_nearest_topics_were_followed_is_an_answer_s(dialogue):
    stored_before(talk(dialogue, "产假一共多少天")[0].context, "near", malformed="yes")


def test_having_no_unit_said_once_holds_for_the_rest_of_the_talk(dialogue):
    from bot.core.answer import LOCAL_UNION

    turns = talk(dialogue, "我是做家政的，没单位，孩子没人带", "那我该找谁")
    assert LOCAL_UNION in turns[1].answer.message and "单位工会" not in turns[1].answer.message
    stored_before(turns[0].context, "unitless", malformed=1)  # not said


def test_next_and_previous_clause(dialogue):
    turns = talk(dialogue, "湖北方案第10项", "下一项", "上一条", "上一条呢")
    assert [t.answer.hits[0].number for t in turns] == ["10", "11", "10", "9"]
    assert [t.followup for t in turns[1:]] == ["next", "previous", "previous"]
    end = talk(dialogue, "全总意见第（十六）条", "下一条")
    assert not end[1].answer.answered and "最后一条" in end[1].answer.message


def test_ellipsis_carries_the_intent_over(dialogue, qa):
    turns = talk(dialogue, "宣传部负责什么", "那组织部呢")
    assert turns[1].followup == "ellipsis" and turns[1].answer.intent == "dept"
    assert turns[1].answer.hits == qa.ask_department("组织部").hits
    assert turns[1].answer.context == "宣传部（网络工作部）的职责"  # what it followed
    turns = talk(dialogue, "婚恋交友服务", "那托育呢")
    expected = qa.ask("托育").hits[0].title
    assert turns[1].answer.intent == "search" and turns[1].answer.hits[0].title == expected


def test_saying_it_is_wrong_gives_the_next_alternative(dialogue, monkeypatch):
    monkeypatch.setattr(bot.core.dialogue, "RANKING_SHARE", 0.0)  # every ranked clause is near
    context = talk(dialogue, "婚恋交友服务")[0].context
    context.answer_ref = "42"
    turn = dialogue.respond("不对", context, now=1000.0)
    assert turn.followup == "alternative" and turn.rejected_ref == "42"
    assert turn.answer.hits[0].place != context.shown[0]
    assert "那可能是这一条" in turn.answer.message


def test_a_new_question_is_answered_on_its_own(dialogue, qa):
    for first in ("全总意见第（六）条", "宣传部负责什么"):
        turns = talk(dialogue, first, "社保断缴几个月会有影响吗")
        plain = qa.ask("社保断缴几个月会有影响吗")
        assert turns[1].followup == "" and turns[1].answer.context is None
        assert turns[1].answer.message == plain.message
    turns = talk(dialogue, "全总意见第（六）条", "哪个部门负责婚恋交友服务")
    assert turns[1].followup == "" and turns[1].answer.hits[0].doc_code == HUBEI


def test_follow_ups_without_a_context_ask_for_the_question(dialogue):
    (turn,) = talk(dialogue, "那谁负责？")
    assert not turn.answer.answered and "请把问题说完整" in turn.answer.message
    for message in ("详细说说", "下一项", "还有吗"):
        (turn,) = talk(dialogue, message)
        assert not turn.answer.answered and "您想看哪一条" in turn.answer.message
        assert "湖北方案第3项" in turn.answer.message  # a clause that exists


def test_the_context_expires(dialogue):
    context = talk(dialogue, "全总意见第（六）条")[0].context
    later = dialogue.respond("那谁负责", context, now=1000.0 + 31 * 60)
    assert later.followup == "clarify" and "请把问题说完整" in later.answer.message
    soon = dialogue.respond("那谁负责", context, now=1000.0 + 29 * 60)
    assert soon.followup == "who"


def test_a_decline_leaves_nothing_to_follow(dialogue):
    turns = talk(dialogue, "   ", "谁负责")
    assert turns[0].context is None and not turns[1].answer.answered


def test_the_context_round_trips_as_plain_data_and_refuses_garbage(dialogue):
    context = talk(dialogue, "全总意见第（六）条")[0].context
    assert Context.from_dict(context.to_dict()) == context
    for bad in (None, "x", {"intent": "search", "focus": "nope"}, {"bogus": 1}):
        assert Context.from_dict(bad) is None
    gone = Context("search", focus=["某工发〔2024〕1号", "一", "不存在"], at=1000.0)
    assert dialogue.respond("谁负责", gone, now=1000.0).followup == ""


def test_json_gains_the_context_field(dialogue):
    import json

    turns = talk(dialogue, "全总意见第（六）条", "那谁负责")
    assert json.loads(turns[0].answer.to_json())["context"] is None
    assert json.loads(turns[1].answer.to_json())["context"] == CARE_N


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("谢谢你啊", "不客气"),
        ("谢谢啦😊", "不客气"),
        ("多谢多谢", "不客气"),
        ("收到谢谢", "不客气"),
        ("哈哈", "好的"),
        ("哦哦好的", "好的"),
        ("拜拜啦", "再见"),
        ("晚安", "晚安"),
        ("你能干嘛", "娘家人"),
        ("这个怎么用啊", "娘家人"),
        ("你真棒", "谢谢夸奖"),
        ("你好笨", "12351"),
        ("你有病吧", "12351"),
        ("什么破玩意", "抱歉"),
        ("转人工", "12351"),
        ("謝謝", "不客气"),
        ("老师好", "您好"),
        ("大家好！", "您好"),
        ("你号", "您好"),  # the pinyin typo of 你好
        ("您好，我是护士", "尽管说"),
        ("俺是厂里的女工", "尽管说"),
        ("😊", "好的"),
        ("😭", "抱抱您"),
        ("😢😢", "抱抱您"),
        ("唉", "抱抱您"),
        ("唉……", "抱抱您"),
        ("呜呜呜", "抱抱您"),
        ("好难受啊", "抱抱您"),
        ("工作累死了", "抱抱您"),
        ("我好累😭😭", "抱抱您"),
        ("压力好大", "抱抱您"),
        ("我只是想有人听我说说话", "抱抱您"),
        ("侬好", "您好"),
        ("老铁你好", "您好"),
        ("唔该", "不客气"),
        ("谢谢你听我说", "不客气"),
        ("老师你好", "您好"),
        ("亲，在不", "您好"),
        ("在嘛在嘛", "您好"),
        ("你这答的什么啊，看不懂", "抱歉"),
        ("能说人话吗", "抱歉"),
        ("请问", "您请说"),
        ("我想问一下", "您请说"),
        ("咨询一下", "您请说"),
        ("你是机器人吗", "不是真人"),
        ("你是不是真人", "不是真人"),
        ("Thank you", "不客气"),
        ("thx", "不客气"),
        ("thank u", "不客气"),
        ("3q", "不客气"),
    ],
)
def test_small_talk_however_it_is_dressed(dialogue, message, says):
    (turn,) = talk(dialogue, message)
    assert turn.answer.intent == "smalltalk" and says in turn.answer.message


def test_a_sigh_before_a_question_is_heard_then_the_question_answered(dialogue, qa):
    (turn,) = talk(dialogue, "唉，单位有没有哺乳室")
    plain = qa.ask("单位有没有哺乳室")
    assert turn.answer.lead.startswith("抱抱您。")
    assert [h.title for h in turn.answer.hits] == [h.title for h in plain.hits]
    assert turn.answer.message.startswith("抱抱您。")


@pytest.mark.parametrize("message", ["产假多少天，唉，算了", "单位有没有哺乳室，唉，怎么办"])
def test_a_sigh_inside_a_message_is_part_of_the_question(dialogue, message):
    (turn,) = talk(dialogue, message)  # answered (it once recursed without end)
    assert turn.answer.intent != "smalltalk" and not turn.answer.message.startswith("抱抱您")


def test_tears_stuck_to_a_question_are_heard_before_it(dialogue):
    (turn,) = talk(dialogue, "😭单位有没有哺乳室")
    assert turn.answer.message.startswith("抱抱您。") and turn.answer.hits


def test_comfort_is_said_once_where_the_answer_already_opens_with_it(dialogue):
    from bot.core.answer import CRISIS_CARE

    for message in ("唉，我不想活了", "😭我不想活了"):
        (turn,) = talk(dialogue, message)
        assert turn.answer.message.startswith(CRISIS_CARE) and "抱抱您" not in turn.answer.message


@pytest.mark.parametrize(
    "message",
    [
        "我是外卖骑手",
        "我是搞科研的女同志，工会对我们有什么支持",
        "我是护士，孕期能上夜班吗",
        "我是孕妇能不能加班",
        "我是单亲妈妈有什么帮扶",
        "我是不是被冤枉了",
        "我在哪",
    ],
)
def test_who_she_is_with_something_the_documents_speak_of_is_a_question(dialogue, message):
    (turn,) = talk(dialogue, message)
    assert turn.answer.intent != "smalltalk"


@pytest.mark.parametrize(
    "message", ["我该怎么办？", "有没有电话可以打", "我该找谁呢", "俺们去哪里反映"]
)
def test_asking_where_to_turn_is_told_where_a_person_can_help_and_keeps_the_talk(dialogue, message):
    from bot.core.answer import WHERE_TO_TURN

    turns = talk(dialogue, "全总意见第（六）条", message, "那谁负责")
    assert turns[1].followup == "help" and turns[1].answer.message == WHERE_TO_TURN
    assert "12351" in WHERE_TO_TURN
    assert turns[2].followup == "who" and turns[2].answer.context == CARE_N  # still about it
    (alone,) = talk(dialogue, message)  # with nothing before, the same
    assert alone.answer.message == WHERE_TO_TURN


def test_how_to_do_it_after_a_clause_is_not_where_to_turn(dialogue):
    from bot.core.answer import WHERE_TO_TURN

    for message in ("那要怎么做", "怎么办"):
        turns = talk(dialogue, "湖北方案第4项", message)
        assert turns[1].answer.message != WHERE_TO_TURN
        # what the clause sets out to do, in full
        assert turns[1].followup == "full" and turns[1].answer.hits[0].place == CARE_H


@pytest.mark.parametrize("trouble", ["我不想活了", "我老公打我", "唉", "俺被辞退了，心里难受"])
def test_how_to_go_on_after_her_trouble_is_where_to_turn(dialogue, trouble):
    from bot.core.answer import WHERE_TO_TURN

    turns = talk(dialogue, "湖北方案第4项", trouble, "那怎么办")
    assert turns[2].answer.message == WHERE_TO_TURN
    # thanks in between keep what she told; a sigh with the question counts as telling
    turns = talk(dialogue, "湖北方案第4项", trouble, "好的谢谢", "那怎么办")
    assert turns[3].answer.message == WHERE_TO_TURN
    (alone,) = talk(dialogue, "咋办嘛")  # with nothing before, the same
    assert alone.answer.message == WHERE_TO_TURN


def test_how_to_go_on_after_a_search_or_with_a_sigh_is_where_to_turn(dialogue):
    from bot.core.answer import WHERE_TO_TURN

    turns = talk(dialogue, "单位没有哺乳室", "怎么办")  # her question, not a clause looked up
    assert turns[1].answer.message == WHERE_TO_TURN
    turns = talk(dialogue, "湖北方案第4项", "唉，怎么办")
    assert turns[1].answer.message == "抱抱您。" + WHERE_TO_TURN


def test_a_whole_part_is_listed_in_a_conversation_too(dialogue):
    (turn,) = talk(dialogue, "全总意见第四部分")
    assert turn.answer.view == "list" and len(turn.answer.hits) == 4
    assert turn.answer.message.startswith("共 4 条：")


@pytest.mark.parametrize("message", ["湖北搞么样落实的", "湖北有什么具体措施", "湖北咋落实的"])
def test_the_other_document_asked_in_everyday_words(dialogue, message):
    turns = talk(dialogue, "全总意见第（六）条", message)
    assert turns[1].followup == "parallel"
    assert turns[1].answer.hits[0].doc_code == HUBEI


def test_one_of_the_clauses_listed_is_picked_by_its_place(dialogue, qa):
    listed = qa.ask("宣传部负责什么").hits
    turns = talk(dialogue, "宣传部负责什么", "第二个详细说说", "那谁负责")
    assert turns[1].followup == "full" and turns[1].answer.view == "full"
    assert [h.place for h in turns[1].answer.hits] == [listed[1].place]
    assert turns[1].answer.context == "上面列出的第 2 条"
    assert turns[2].followup == "who" and turns[2].answer.context == listed[1].place
    beyond = talk(dialogue, "宣传部负责什么", "第9个")
    assert not beyond[1].answer.answered and "上面列出的只有 6 条" in beyond[1].answer.message
    # After an answer that listed nothing, there is nothing to pick: said so.
    unlisted = talk(dialogue, "单位有没有哺乳室", "第二个")
    assert not unlisted[1].answer.answered and "没有列出" in unlisted[1].answer.message
    # 第3条 names a clause of a document, not the third listed.
    named = talk(dialogue, "宣传部负责什么", "湖北方案第3条")
    assert named[1].answer.hits[0].number == "3"


def test_traditional_characters_are_understood(dialogue, qa):
    turns = talk(dialogue, "全總意見第（六）條", "那誰負責？", "詳細說說")
    assert [t.followup for t in turns] == ["", "who", "full"]
    assert qa.ask("工會有沒有哺乳室").message == qa.ask("工会有没有哺乳室").message
    assert qa.ask("哺\u200b乳室").message == qa.ask("哺乳室").message


def test_a_question_it_cannot_answer_leaves_the_conversation_as_it_was(dialogue):
    turns = talk(dialogue, "全总意见第（六）条", "红烧肉要炖几个小时", "那谁负责")
    assert not turns[1].answer.answered and turns[1].context is turns[0].context
    assert turns[2].followup == "who" and turns[2].answer.context == CARE_N


def test_a_question_declined_with_nearest_topics_moves_the_talk_to_them(dialogue):
    from bot.core.dialogue import NEAR_NOTE

    assert talk(dialogue, "全总意见第（六）条", "产假有多少天")[1].context.near
    turns = talk(dialogue, "全总意见第（六）条", "产假有多少天", "那谁负责")
    assert turns[2].followup == "who" and NEAR_NOTE in turns[2].answer.message


def test_a_department_after_a_clause_is_asked_about_its_duties(dialogue, qa):
    turns = talk(dialogue, "湖北方案第4项", "那宣传部呢")
    assert turns[1].answer.intent == "dept"
    assert turns[1].answer.hits == qa.ask_department("宣传部").hits


def test_wrong_skips_the_counterpart_and_notices(dialogue, qa, monkeypatch):
    monkeypatch.setattr(bot.core.dialogue, "RANKING_SHARE", 0.0)
    context = talk(dialogue, "婚恋交友服务")[0].context
    shown = qa.clause_of(ClauseRef(*context.shown[0]))
    turn = dialogue.respond("不是这个", context, now=1000.0)
    hit = turn.answer.hits[0]
    assert hit.number and (hit.doc_code, hit.number) != (shown.doc_code, shown.number)
    if shown.parallel:
        assert (hit.doc_code, hit.number) != (shown.parallel.doc_code, shown.parallel.number)


def test_a_question_ending_in_ne_is_its_own_question_and_documents_need_no_context(dialogue):
    context = talk(dialogue, "哺乳室由哪个部门负责")[0].context
    turn = dialogue.respond("怀孕期间能不能加班呢", context, now=1000.0)
    assert turn.followup == "" and turn.answer.context is None
    assert dialogue.respond("那呢", context, now=1000.0).followup == ""
    (turn,) = talk(dialogue, "湖北方案讲了什么")
    assert turn.followup == "" and "不太确定" not in turn.answer.message
    (turn,) = talk(dialogue, "湖北方案是怎么落实全总意见的")  # how the two relate
    assert "不太确定" not in turn.answer.message and f"（{HUBEI}）是落实" in turn.answer.message


def test_wrong_after_wrong_stays_near_the_question_then_says_so(dialogue, qa):
    from bot.core.dialogue import RANKING, RANKING_KEPT

    question = "婚恋交友服务"
    wide = [(h.doc_code, h.number, h.title) for h in qa.ask(question, k=RANKING).hits]
    assert len(wide) == RANKING
    context = talk(dialogue, question)[0].context
    kept = [tuple(r) for r in context.ranking]
    # The first three are kept whatever their scores; the eighth, far below, is not.
    assert kept[:RANKING_KEPT] == wide[:RANKING_KEPT] and wide[-1] not in kept
    offered = []
    for _ in range(RANKING):
        turn = dialogue.respond("不对", context, now=1000.0)
        context = turn.context
        if not turn.answer.answered:
            assert "没有找到更合适的条款" in turn.answer.message
            break
        offered.append(turn.answer.hits[0])
    else:
        raise AssertionError("不对 never ran out of alternatives")
    assert offered and all((h.doc_code, h.number, h.title) in kept for h in offered)


def test_a_follow_up_quotes_the_sentence_that_answered_the_question(dialogue, qa):
    question = "会聚良缘婚恋交友服务"
    first = qa.ask(question).hits[0]
    assert first.sentence > 0 and first.departments  # not the clause's opening sentence
    turns = talk(dialogue, question, "那谁负责")
    assert turns[1].followup == "who"
    assert turns[1].answer.hits[0].place == first.place
    assert turns[1].answer.hits[0].quote == first.quote


def test_a_context_stored_before_sentences_were_kept_still_reads(dialogue):
    context = talk(dialogue, "会聚良缘婚恋交友服务")[0].context
    old = context.to_dict()
    del old["sentences"], old["helped"]
    restored = Context.from_dict(old)
    assert restored is not None and restored.sentences == {} and not restored.helped
    turn = dialogue.respond("那谁负责", restored, now=1000.0)
    assert turn.followup == "who" and turn.answer.answered
    assert Context.from_dict({**old, "sentences": {"x": "one"}}) is None  # malformed: none
    assert Context.from_dict({**old, "helped": "yes"}) is None


def test_a_declined_question_after_an_answer_is_not_read_as_its_follow_up(qa):
    from bot.core.answer import OUTSIDE
    from bot.core.decline import DeclineModel

    strict = Dialogue(QA(qa.retriever, DeclineModel(intercept=-10.0, threshold=0.5)))
    clause = qa.retriever.clauses[3]
    focus = [clause.doc_code, clause.number, clause.title]
    context = Context(intent="search", focus=focus, ranking=[focus], shown=[focus], at=1000.0)
    turn = strict.respond("明天天气怎么样", context, now=1000.0)
    assert turn.followup == "" and turn.answer.context is None
    assert "接上一条" not in turn.answer.message and turn.answer.message == OUTSIDE


def test_that_unit_then_after_a_department_says_it_is_not_listed(dialogue):
    turns = talk(dialogue, "宣传部负责什么", "那财务部呢", "那组织部呢")
    assert "没有“财务部”" in turns[1].answer.message and not turns[1].answer.answered
    assert turns[2].answer.answered and "组织部是以下" in turns[2].answer.message
    (alone,) = talk(dialogue, "财务部呢")
    assert "没有“财务部”" in alone.answer.message


@pytest.mark.parametrize("question", ["国家有什么规定", "全国有哪些政策", "省里有什么政策"])
def test_a_level_named_first_is_a_question_not_a_follow_up(dialogue, question):
    (turn,) = talk(dialogue, question)
    assert turn.followup != "clarify" and "不太确定" not in turn.answer.message


@pytest.mark.parametrize("national", ["那全国呢", "全国的规定呢", "国家的呢"])
def test_a_level_of_the_union_named_after_an_answer_is_that_level_s_document(dialogue, national):
    turns = talk(dialogue, "湖北方案第4项", national, "省里的呢")
    assert turns[1].followup == "parallel" and turns[1].answer.hits[0].place == CARE_N
    assert turns[2].followup == "parallel" and turns[2].answer.hits[0].place == CARE_H


@pytest.mark.parametrize(
    ("trouble", "then"),
    [("我不想活了", "你能帮我吗"), ("我老公打我", "有没有人能帮帮我"), ("唉", "你会告诉别人吗")],
)
def test_after_her_trouble_what_no_document_answers_is_met_by_someone_to_turn_to(
    dialogue, trouble, then
):
    from bot.core.dialogue import STILL_HEARD

    turns = talk(dialogue, trouble, then)
    assert turns[1].answer.message == STILL_HEARD and "12356" in STILL_HEARD
    (alone,) = talk(dialogue, then)  # with nothing told before: as any question
    assert alone.answer.message != STILL_HEARD


def test_who_is_responsible_after_her_trouble_also_says_where_she_can_go(dialogue):
    from bot.core.dialogue import WHO_FOR_HER

    turns = talk(dialogue, "俺被辞退了，心里难受", "那谁负责")
    assert turns[1].followup == "who" and WHO_FOR_HER in turns[1].answer.message
    plain = talk(dialogue, "湖北方案第4项", "那谁负责")[1]
    assert WHO_FOR_HER not in plain.answer.message


def test_an_emoji_inside_a_question_is_no_part_of_it(dialogue):
    (turn,) = talk(dialogue, "哺乳室😭谁负责")
    assert turn.answer.intent == "who" and turn.answer.hits
    turns = talk(dialogue, "湖北方案第4项", "那谁😭负责")
    assert turns[1].followup == "who"


def test_a_laugh_is_no_crisis_in_a_conversation_either(dialogue):
    from bot.core.answer import CRISIS_CARE

    for message in ("这月加班加到想死😂", "累得想死😂😂"):
        (turn,) = talk(dialogue, message)
        assert not turn.answer.message.startswith(CRISIS_CARE)


def test_after_a_crisis_a_follow_up_with_nothing_to_follow_is_still_heard(dialogue):
    from bot.core.dialogue import STILL_HEARD

    turns = talk(dialogue, "我不想活了", "那谁负责", "你能帮我吗", "详细说说")
    assert turns[1].answer.message == STILL_HEARD and turns[2].answer.message == STILL_HEARD
    assert not turns[3].answer.hits  # no clause found for 你能帮我吗 to follow up
    (turn,) = talk(dialogue, "唉，你能帮我吗")  # told in the same message
    assert turn.answer.message == "抱抱您。" + STILL_HEARD


def test_what_she_asks_after_her_trouble_is_answered_when_it_is_asked(dialogue):
    from bot.core.dialogue import STILL_HEARD

    turns = talk(dialogue, "唉", "湖北方案第6项", "全总意见有几条", "12356是什么")
    assert all(t.answer.message != STILL_HEARD for t in turns[1:])
    assert turns[1].answer.hits and turns[2].answer.view == "list"


def test_who_for_her_is_said_once_and_her_trouble_outlasts_it(dialogue):
    from bot.core.dialogue import STILL_HEARD, WHO_FOR_HER

    turns = talk(dialogue, "我被辞退了，心里难受", "唉，那谁负责", "你能帮我吗")
    assert turns[1].answer.message.count(WHO_FOR_HER) == 1
    assert turns[2].answer.message == STILL_HEARD


@pytest.mark.parametrize("message", ["有人管吗", "找哪个"])
def test_who_manages_it_after_a_clause_is_its_departments_and_alone_where_to_turn(
    dialogue, message
):
    from bot.core.answer import WHERE_TO_TURN

    turns = talk(dialogue, "湖北方案第4项", message)
    assert turns[1].followup == "who"
    (alone,) = talk(dialogue, message)
    assert alone.answer.message == WHERE_TO_TURN


@pytest.mark.parametrize("message", ["出自哪一条", "这是哪个文件说的", "出处呢", "依据是什么"])
def test_where_an_answer_comes_from_names_the_document_and_the_clause(dialogue, message):
    turns = talk(dialogue, "单位没有哺乳室", message, "谁负责")
    said = turns[1].answer.message
    assert turns[1].followup == "source" and turns[1].answer.answered
    assert CARE_H in said and HUBEI in said and CARE_N in said
    assert turns[1].context.focus[:2] == [HUBEI, "4"]  # the talk stays on the clause
    assert turns[2].followup == "who"


def test_where_it_comes_from_with_nothing_before_asks_for_the_question(dialogue):
    (turn,) = talk(dialogue, "出自哪一条")
    assert turn.followup == "clarify" and not turn.answer.answered


@pytest.mark.parametrize(
    "message",
    [
        "两个有什么区别",
        "湖北的有什么不同",
        "对比一下",
        "有啥不一样",
        "差在哪",
        "和全国的比多了什么",
        "少了啥",
        "比较一下两份文件",
    ],
)
def test_the_difference_from_the_counterpart_is_what_each_alone_says(dialogue, message):
    turns = talk(dialogue, "全总意见第（九）条", message, "第二个", "谁负责")
    said = turns[1].answer.message
    assert turns[1].followup == "compare" and turns[1].answer.answered
    assert "湖北方案有、全总意见没有的说法" in said and "加大女职工信息报送力度" in said
    assert "全总意见有、湖北方案没有" not in said  # the plan says all the opinion says
    assert "湖北方案还写明了责任单位" in said
    assert [(h.doc_code, h.number) for h in turns[1].answer.hits] == [
        (NATIONAL, "（九）"),
        (HUBEI, "7"),
    ]
    assert turns[2].answer.hits[0].number == "7"  # one of the two, picked by its place
    assert turns[3].followup == "who" and turns[3].answer.hits[0].doc_code == HUBEI


def test_a_clause_with_no_counterpart_has_nothing_to_compare(dialogue):
    context = Context(intent="clause", focus=[NATIONAL, "", "前言"], at=1000.0)
    turn = dialogue.respond("两个有什么区别", context, now=1000.0)
    assert turn.followup == "compare" and not turn.answer.answered
    assert "没有对应的条款" in turn.answer.message


def test_a_difference_asked_about_a_topic_is_a_question_of_its_own(dialogue):
    turns = talk(dialogue, "全总意见第（九）条", "托育和托管有什么区别")
    assert turns[1].followup != "compare"


@pytest.mark.parametrize("question", ["单位没有哺乳室", "我们厂没地方喂奶", "俺想学点技术"])
def test_who_after_a_question_about_her_own_work_also_says_where_she_can_go(dialogue, question):
    from bot.core.dialogue import WHO_FOR_HER

    turns = talk(dialogue, question, "那谁负责", "详细说说", "谁负责")
    assert turns[1].followup == "who" and turns[1].answer.hits[0].departments
    assert turns[1].answer.message.count(WHO_FOR_HER) == 1
    assert WHO_FOR_HER in turns[3].answer.message  # still her question


@pytest.mark.parametrize(
    "question", ["哺乳室建设", "我们县总工会怎么扩大女职工组织覆盖", "湖北方案第4项"]
)
def test_who_after_a_cadre_s_question_is_the_departments_alone(dialogue, question):
    from bot.core.dialogue import WHO_FOR_HER

    turns = talk(dialogue, question, "谁负责")
    assert turns[1].followup == "who" and WHO_FOR_HER not in turns[1].answer.message


def test_a_new_question_of_a_cadre_s_after_hers_is_no_longer_hers(dialogue):
    from bot.core.dialogue import WHO_FOR_HER

    turns = talk(dialogue, "单位没有哺乳室", "婚恋交友服务", "谁负责")
    assert turns[2].followup == "who" and WHO_FOR_HER not in turns[2].answer.message


def test_a_context_stored_before_own_was_kept_reads_as_not_hers(dialogue):
    stored_before(talk(dialogue, "单位没有哺乳室")[0].context, "own", malformed=1)


@pytest.mark.parametrize(
    "messages", [["两个文件有什么区别"], ["两份文件是什么关系"], ["你好", "湖北的有什么不同"]]
)
def test_documents_compared_with_no_clause_before_say_how_they_relate(dialogue, messages):
    turn = talk(dialogue, *messages)[-1]
    said = turn.answer.message
    assert turn.followup == "compare" and turn.answer.answered
    assert f"（{HUBEI}）是落实" in said and f"（{NATIONAL}）的文件" in said
    assert "全总意见有 16 条" in said and "湖北方案为各项工作写明了责任单位" in said
    assert "再问“有什么区别”" in said and not turn.answer.hits


@pytest.mark.parametrize("message", ["那比例呢", "这跟我有什么关系"])
def test_a_ratio_or_what_it_has_to_do_with_her_is_no_comparison(dialogue, message):
    turns = talk(dialogue, "托育服务", message)
    assert turns[1].followup != "compare"


@pytest.mark.parametrize("message", ["咋申请", "在哪报名", "怎么报名呢", "我要怎么参加", "去哪办"])
def test_how_to_take_part_is_where_to_ask_and_keeps_the_talk(dialogue, message):
    from bot.core.dialogue import PROCEDURE

    turns = talk(dialogue, "工会有没有相亲活动", message, "谁负责")
    assert turns[1].followup == "help" and turns[1].answer.message == PROCEDURE
    assert "12351" in PROCEDURE
    assert turns[2].followup == "who" and turns[2].answer.answered  # the talk goes on


@pytest.mark.parametrize("message", ["怎么办", "我该怎么办", "怎么申请产假工资"])
def test_how_to_take_part_is_not_what_to_do_nor_a_question_with_a_topic(dialogue, message):
    from bot.core.dialogue import PROCEDURE

    turns = talk(dialogue, "工会有没有相亲活动", message)
    assert turns[1].answer.message != PROCEDURE


@pytest.mark.parametrize("message", ["那它还负责什么", "它还管啥", "这个部门还负责哪些工作"])
def test_what_else_a_department_does_after_its_list_is_that_list(dialogue, qa, message):
    turns = talk(dialogue, "湖北方案第6项谁负责", "女职工部负责什么", message)
    count = len(qa.department_clauses("女职工部"))
    assert turns[2].followup == "duties" and not turns[2].answer.hits
    assert f"上面列的就是女职工部负责的全部 {count} 项工作。" in turns[2].answer.message
    assert turns[2].context.department == "女职工部"


def test_what_else_the_one_department_of_a_clause_does_lists_its_work(dialogue, qa, monkeypatch):
    from dataclasses import replace

    one = replace(qa.clause_of(ClauseRef(HUBEI, "4", "提升女职工生活品质")), departments=["组织部"])
    monkeypatch.setattr(qa, "responsible", lambda clause, named=(): (one, ""))
    turns = talk(dialogue, "湖北方案第4项", "它还负责什么")
    assert turns[1].followup == "duties" and turns[1].answer.intent == "dept"
    assert turns[1].answer.view == "list" and turns[1].context.department == "组织部"
    assert [h.place for h in turns[1].answer.hits] == [
        c.place for c in qa.department_clauses("组织部")
    ]


def test_what_else_it_does_after_several_departments_asks_which(dialogue, by_code):
    turns = talk(dialogue, "哺乳室谁负责", "那它还负责什么")
    clause = by_code[HUBEI].clause_by_number("4")
    assert turns[1].followup == "duties" and not turns[1].answer.answered
    assert f"有 {len(clause.departments)} 个：" + "、".join(clause.departments) in (
        turns[1].answer.message
    )
    assert turns[1].context.focus == turns[0].context.focus  # the talk stays on the clause


def test_what_else_it_does_after_a_clause_without_departments_says_so(dialogue, by_code):
    lone = next(c for c in by_code[NATIONAL].clauses if c.parallel is None)  # the 前言
    context = Context("search", focus=[lone.doc_code, lone.number, lone.title], at=1000.0)
    turn = dialogue.respond("它还负责什么", context, now=1000.0)
    assert turn.followup == "duties" and not turn.answer.answered
    assert "责任单位" in turn.answer.message


def test_what_else_it_does_with_nothing_before_is_no_follow_up(dialogue):
    assert talk(dialogue, "它还负责什么")[0].followup != "duties"


@pytest.mark.parametrize("messages", [["湖北怎么落实的"], ["你好", "湖北是怎么细化的"]])
def test_how_the_plan_carries_it_out_with_no_clause_before_says_how_they_relate(dialogue, messages):
    turn = talk(dialogue, *messages)[-1]
    said = turn.answer.message
    assert turn.followup == "parallel" and f"（{HUBEI}）是落实" in said
    assert "想看某一条怎么落实" in said and not turn.answer.hits


@pytest.mark.parametrize("message", ["第二个", "第3个详细说说", "再说一遍", "说简单点"])
def test_a_follow_up_as_the_first_message_asks_for_the_question(dialogue, message):
    turn = talk(dialogue, message)[0]
    assert turn.followup == "clarify" and not turn.answer.hits


@pytest.mark.parametrize("message", ["再说一遍", "没看清", "请再说一次"])
def test_say_it_again_quotes_the_clause_discussed(dialogue, message):
    turns = talk(dialogue, "婚恋交友服务", "详细说说", message)
    focus = turns[1].answer.hits[0]
    again = turns[2].answer
    assert turns[2].followup == "repeat" and again.view == "quote"
    assert (again.hits[0].doc_code, again.hits[0].number) == (focus.doc_code, focus.number)


@pytest.mark.parametrize("message", ["说简单点", "能说得通俗点吗", "这是什么意思", "用大白话讲讲"])
def test_say_it_simply_gives_the_heading_and_the_sentence_that_answered(dialogue, message):
    turns = talk(dialogue, "婚恋交友服务", message)
    first = turns[0].answer.hits[0]
    simple = turns[1].answer
    assert turns[1].followup == "simpler"
    assert f"这一条讲的是“{first.title}”" in simple.lead
    assert simple.hits[0].quote == first.quote  # the same sentence, not the clause's first


@pytest.mark.parametrize("message", ["文号是多少", "发文字号是什么"])
def test_the_document_number_asked_after_a_clause_is_its_source(dialogue, message):
    turns = talk(dialogue, "湖北方案第4项", message)
    assert turns[1].followup == "source" and HUBEI in turns[1].answer.message


@pytest.mark.parametrize(
    "messages", [["我被公司辞退了", "工会能帮我吗"], ["老公打我", "工会管这个吗"]]
)
def test_whether_the_union_helps_asked_after_her_trouble_is_answered_yes_and_how(
    dialogue, messages
):
    from bot.core.dialogue import UNION_HELPS, UNION_HELPS_AFTER

    turns = talk(dialogue, *messages)
    assert turns[1].answer.message == UNION_HELPS_AFTER and "12338" in UNION_HELPS_AFTER
    (alone,) = talk(dialogue, "工会能帮我吗")  # nothing told: yes, and how
    assert alone.answer.message == UNION_HELPS and alone.followup == "help"


def test_whether_the_union_sees_to_a_topic_just_answered_is_yes_with_its_clause(dialogue):
    turns = talk(dialogue, "婚恋交友服务", "工会管这个吗")
    first, again = turns[0].answer.hits[0], turns[1].answer
    assert again.lead.endswith("管。这是文件里写明的工会工作：")
    assert (again.hits[0].doc_code, again.hits[0].number) == (first.doc_code, first.number)


@pytest.mark.parametrize("message", ["这合法吗", "算不算工伤", "我能不能拒绝"])
def test_a_ruling_asked_with_no_topic_says_the_documents_rule_on_no_case(dialogue, message):
    from bot.core.answer import RULING_WHERE

    for turns in (talk(dialogue, message), talk(dialogue, "婚恋交友服务", message)):
        turn = turns[-1]
        assert turn.followup == "help" and RULING_WHERE in turn.answer.message
        assert not turn.answer.hits


def test_comparing_a_clause_whose_counterpart_answers_two_compares_all_three(dialogue):
    turns = talk(dialogue, "全总意见第（一）条", "两个有什么区别", "第二个")
    listed = [(h.doc_code, h.number) for h in turns[1].answer.hits]
    assert listed == [(NATIONAL, "（一）"), (NATIONAL, "（二）"), (HUBEI, "一")]
    assert turns[1].answer.lead.count("讲的是同一项工作") == 1
    picked = turns[2].answer.hits[0]
    assert (picked.doc_code, picked.number) == (NATIONAL, "（二）")


def _on_sentence(clause, words: str) -> Context:
    """A context on ``clause``, answered by its sentence holding ``words``."""
    index = next(i for i, s in enumerate(clause.sentences) if words in s)
    key = f"{clause.doc_code}|{clause.number}|{clause.title}"
    ref = [clause.doc_code, clause.number, clause.title]
    return Context("search", focus=ref, ranking=[ref], sentences={key: index}, at=1000.0)


def test_whether_the_other_document_says_it_too_is_read_phrase_by_phrase(dialogue, by_code):
    plan = by_code[HUBEI].clause_by_number("4")
    context = _on_sentence(plan, "心灵护航加油站")
    turn = dialogue.respond("全国文件有这个吗", context, now=1000.0)
    hit = turn.answer.hits[0]
    assert turn.followup == "parallel" and (hit.doc_code, hit.number) == (NATIONAL, "（六）")
    assert "按字面比对，全总意见没有这些说法：" in turn.answer.lead
    assert "心灵护航" in turn.answer.lead
    both = dialogue.respond("全总意见里有没有", _on_sentence(plan, "宫颈癌"), now=1000.0)
    assert "有。对应的是全总意见 第（六）条" in both.answer.lead
    plain = dialogue.respond("全国的怎么说", _on_sentence(plan, "宫颈癌"), now=1000.0)
    assert "有。" not in plain.answer.lead and "按字面比对" not in plain.answer.lead


@pytest.mark.parametrize(
    ("messages", "codes"),
    [
        (["湖北方案的文号是多少"], [HUBEI]),
        (["全总那个意见的文号"], [NATIONAL]),
        (["文号是多少"], [NATIONAL, HUBEI]),  # nothing before: each document's
        (["婚恋交友服务", "湖北方案的文号是多少"], [HUBEI]),  # the document named, not the clause's
    ],
)
def test_a_document_s_number_asked_is_told_with_its_full_title(dialogue, messages, codes):
    turn = talk(dialogue, *messages)[-1]
    said = turn.answer.message
    assert turn.followup == "source" and [c for c in (NATIONAL, HUBEI) if c in said] == codes
    assert said.count("的文号是") == len(codes) and "全称《" in said


def test_say_it_simply_after_a_list_asks_which_one_first(dialogue):
    turns = talk(dialogue, "女职工部负责哪些工作", "说简单点")
    assert turns[1].followup == "simpler" and not turns[1].answer.hits
    assert "上面是一份清单" in turns[1].answer.message


def test_what_else_after_an_opinion_clause_says_whose_departments_they_are(dialogue, by_code):
    turns = talk(dialogue, "全总意见第（六）条", "它还负责什么")
    plan = by_code[HUBEI].clause_by_number("4")
    assert f"责任单位（{plan.place}列的）有 {len(plan.departments)} 个" in turns[1].answer.message


@pytest.mark.parametrize("message", ["撑不下去了", "我快受不了了", "好委屈"])
def test_a_bare_feeling_is_a_sigh(dialogue, message):
    from bot.core.dialogue import SAD_OPENING

    turn = talk(dialogue, message)[0]
    assert turn.followup == "smalltalk" and turn.answer.message.startswith(SAD_OPENING)
