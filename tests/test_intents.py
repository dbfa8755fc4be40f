"""Intents, document names, clause numbers and departments in questions."""

from __future__ import annotations

import pytest

from bot.core.intents import (
    DepartmentDirectory,
    find_docs,
    parse_intent,
    resolve_clause_number,
    resolve_part,
)
from tests.conftest import HUBEI, NATIONAL


@pytest.fixture(scope="module")
def directory(docs):
    return DepartmentDirectory(docs)


@pytest.mark.parametrize(
    "q, kind",
    [
        ("单位有没有哺乳室", "search"),
        ("外卖骑手的权益", "search"),
        ("职工心灵驿站建设由哪个部门负责", "who"),
        ("婚恋交友服务谁来牵头", "who"),
        ("哺乳室建设哪个管", "who"),
        ("婚恋交友边个负责", "who"),
        ("婚恋交友边个部门负责㗎", "who"),
        ("这两个办法哪个管用", "search"),
        ("宣传部负责什么", "dept"),
        ("法律工作部要承担哪些任务", "dept"),
        ("全总意见第（八）条", "clause"),
        ("湖北方案第4项", "clause"),
        ("湖北方案第5项对应全国总工会意见哪一条", "clause"),
    ],
)
def test_intent_kinds(docs, directory, q, kind):
    assert parse_intent(q, docs, directory).kind == kind


def test_department_aliases_resolve(directory):
    assert directory.resolve("宣传部") == "宣传部（网络工作部）"
    assert directory.resolve("网络工作部") == "宣传部（网络工作部）"
    assert directory.resolve("法律工作部") == "权益保障部（法律工作部）"
    assert directory.resolve("权益保障部(法律工作部)") == "权益保障部（法律工作部）"
    assert directory.resolve("不存在的部门") is None


def test_near_names_do_not_collide(docs, directory):
    assert directory.resolve("办公室") == "办公室"
    assert directory.resolve("职工技协办公室") == "职工技协办公室"
    intent = parse_intent("职工技协办公室负责什么", docs, directory)
    assert intent.department == "职工技协办公室"
    intent = parse_intent("办公室负责哪些工作", docs, directory)
    assert intent.department == "办公室"


def test_documents_named_by_code_short_name_and_issuer(docs):
    assert [m.code for m in find_docs("鄂工办发〔2023〕7号第10项", docs)] == [HUBEI]
    assert [m.code for m in find_docs("全总意见和湖北方案", docs)] == [NATIONAL, HUBEI]
    assert [m.code for m in find_docs("中华全国总工会的意见", docs)] == [NATIONAL]
    assert find_docs("全国五一劳动奖章", docs) == []


def test_clause_numbers_attach_to_the_document_before_them(docs, directory):
    intent = parse_intent("全总意见第（六）条讲生活品质，湖北方案里怎么落实", docs, directory)
    assert intent.kind == "clause" and intent.wants_parallel
    assert [(c.number, c.doc_code) for c in intent.clauses] == [("（六）", NATIONAL)]
    assert intent.docs[-1] == HUBEI


def test_comparison_focuses_on_the_subject(docs, directory):
    intent = parse_intent("在思想政治引领上，湖北比全总意见多了哪些活动", docs, directory)
    assert intent.kind == "search" and intent.focus_doc == HUBEI


def test_who_frame_is_removed_from_topic(docs, directory):
    intent = parse_intent("落实科技创新巾帼行动由哪些部门负责", docs, directory)
    assert intent.topic == "落实科技创新巾帼行动"
    assert parse_intent("哺乳室建设哪个管", docs, directory).topic == "哺乳室建设"


def test_resolve_clause_number(docs):
    assert [c.title for c in resolve_clause_number("（八）", docs, NATIONAL)] == [
        "加强工会女职工组织机构建设"
    ]
    assert [c.title for c in resolve_clause_number("4", docs, HUBEI)] == ["提升女职工生活品质"]
    assert resolve_clause_number("（二十）", docs, NATIONAL) == []


def test_a_clause_number_without_a_document_is_found_in_each_that_has_it(docs):
    found = {(c.doc_code, c.title) for c in resolve_clause_number("六", docs, None)}
    assert found == {(NATIONAL, "提升女职工生活品质"), (HUBEI, "加强工会女职工组织机构建设")}
    assert resolve_clause_number("二十", docs, None) == []


@pytest.mark.parametrize(
    ("question", "department"),
    [
        ("法律工作部在湖北方案里分到了哪些活", "权益保障部（法律工作部）"),
        ("劳动保护部负责哪些工作", "经济技术劳动保护部"),
        ("工会干校在这个实施方案里牵扯到哪几项", "省工会干校"),
        ("干校负责什么", "省工会干校"),
        ("技协管哪些事", "职工技协办公室"),
        ("省直产业工会有哪些任务", "省直各产业工会"),
        ("资产管理部负责什么", "财务资产管理部"),
    ],
)
def test_departments_by_the_parts_people_write(docs, question, department):
    directory = DepartmentDirectory(docs)
    intent = parse_intent(question, docs, directory)
    assert (intent.kind, intent.department) == ("dept", department)


@pytest.mark.parametrize(
    ("question", "department"),
    [
        ("宣传布负责啥", "宣传部（网络工作部）"),
        ("组织布管什么", "组织部"),
        ("财务资产管理布的职责", "财务资产管理部"),
    ],
)
def test_a_department_mistyped_by_sound_is_read_as_meant(docs, directory, question, department):
    intent = parse_intent(question, docs, directory)
    assert (intent.kind, intent.department) == ("dept", department)


@pytest.mark.parametrize("question", ["权益保障不到位怎么办", "宣传栏负责什么", "组织的工作谁负责"])
def test_a_word_of_grammar_or_another_sound_is_no_department_mistyped(docs, directory, question):
    assert parse_intent(question, docs, directory).kind != "dept"
    assert directory.find_mistyped(question) == []


@pytest.mark.parametrize("question", ["办公室里男同事老是骚扰我", "我们组织部的女同事怀孕了被调岗"])
def test_a_department_named_in_a_story_is_no_question_about_its_duties(docs, directory, question):
    assert parse_intent(question, docs, directory).kind != "dept"  # 同事 is no 事 asked


@pytest.mark.parametrize("question", ["组织部的工作是什么", "女职工部都做哪些工作", "办公室的事"])
def test_a_department_s_work_asked_is_its_duties(docs, directory, question):
    assert parse_intent(question, docs, directory).kind == "dept"


def test_a_part_the_documents_use_as_a_plain_word_is_not_a_name(docs):
    directory = DepartmentDirectory(docs)
    assert "产业工会" not in directory.aliases  # the documents speak of 产业工会 in general
    assert "委员会" not in directory.aliases and "工作部" not in directory.aliases
    question = "工会各部门、产业工会和直属单位在女职工工作上怎么统筹配合"
    assert parse_intent(question, docs, directory).kind == "search"


@pytest.mark.parametrize(
    ("question", "code", "number"),
    [
        ("全总意见第（十一）条在湖北方案里是第几项", "鄂工办发〔2023〕7号", "9"),
        ("湖北方案第4项在全总意见里是第几条", "总工发〔2022〕5号", "（六）"),
    ],
)
def test_which_number_in_the_other_document_is_its_counterpart(qa, question, code, number):
    hit = qa.ask(question).hits[0]
    assert (hit.doc_code, hit.number) == (code, number)


@pytest.mark.parametrize(
    "q, department",
    [("宣传部呢", "宣传部（网络工作部）"), ("法律工作部？", "权益保障部（法律工作部）"),
     ("那组织部呢", "组织部")],
)  # fmt: skip
def test_a_department_named_alone_asks_what_it_does(docs, directory, q, department):
    intent = parse_intent(q, docs, directory)
    assert intent.kind == "dept" and intent.department == department


@pytest.mark.parametrize("q", ["财务部负责什么", "人社局都管些什么", "后勤处负责哪些工作"])
def test_a_unit_no_document_lists_is_said_to_be_missing_not_guessed(qa, docs, directory, q):
    intent = parse_intent(q, docs, directory)
    assert intent.kind == "dept" and intent.department is None
    answer = qa.ask(q)
    assert not answer.answered and not answer.hits
    assert f"没有“{intent.topic}”" in answer.message and "女职工部" in answer.message


@pytest.mark.parametrize(
    "q",
    ["工会是干什么的", "女职工委员会负责什么工作", "单位有没有哺乳室", "哺乳室干什么用",
     "母婴室都管些什么", "心理咨询室干什么", "老公打我怎么办", "被辞退了怎么办", "那托育呢",
     "孩子没人带咋办"],
)  # fmt: skip
def test_other_questions_are_not_taken_for_a_missing_unit(docs, directory, q):
    intent = parse_intent(q, docs, directory)
    assert not (intent.kind == "dept" and intent.department is None)


@pytest.mark.parametrize(
    "q, code, number",
    [("意见第3条", NATIONAL, "（三）"), ("意见第（十四）条讲了什么", NATIONAL, "（十四）"),
     ("方案第3项", HUBEI, "3")],
)  # fmt: skip
def test_a_kind_of_document_before_a_number_names_the_one_document_of_that_kind(
    qa, docs, directory, q, code, number
):
    intent = parse_intent(q, docs, directory)
    assert intent.kind == "clause" and intent.clauses[0].doc_code == code
    answer = qa.ask(q)
    assert [(h.doc_code, h.number) for h in answer.hits] == [(code, number)]


def test_a_kind_no_document_is_or_two_are_names_none(docs):
    from dataclasses import replace

    from bot.core.intents import by_type

    assert by_type("通知", docs) is None and by_type("请看意见", docs) == NATIONAL
    twins = [*docs, replace(docs[0], code="另一份〔2024〕1号")]  # two 意见 now
    assert by_type("意见", twins) is None


def test_a_missing_unit_is_named_as_asked_and_near_names_are_offered(qa, docs, directory):
    intent = parse_intent("请问财务部负责什么", docs, directory)
    assert intent.kind == "dept" and intent.department is None and intent.topic == "财务部"
    message = qa.ask("请问财务部负责什么").message
    assert "“财务部”" in message and "财务资产管理部" in message


@pytest.mark.parametrize("q", ["没有女工委", "女工委", "女工委负责什么"])
def test_everyday_words_for_what_the_documents_name_are_searched_not_taken_for_a_unit(qa, q):
    """女工委 ends like a unit (…委) but is everyday speech for the 女职工委员会 the documents
    speak of: searched, not told there is no such department (财务部 still is)."""
    answer = qa.ask(q)
    assert answer.intent == "search" and answer.answered and "这个部门" not in answer.message
    assert any("女职工委员会" in h.text for h in answer.hits)


def test_a_kind_of_document_names_its_number_even_after_another_document(docs, directory):
    intent = parse_intent("湖北方案第5项和意见第3条有什么不同", docs, directory)
    assert [(c.number, c.doc_code) for c in intent.clauses] == [("5", HUBEI), ("3", NATIONAL)]


@pytest.mark.parametrize(
    ("q", "number", "part"),
    [
        ("全总意见第五部分", "五", True),
        ("全总意见第（五）部分", "（五）", False),
        ("第五条", "五", False),
    ],
)
def test_a_part_by_number_is_told_from_an_item(docs, directory, q, number, part):
    (mention,) = parse_intent(q, docs, directory).clauses
    assert (mention.number, mention.part) == (number, part)


def test_a_part_resolves_to_the_clauses_under_its_heading_or_to_a_top_level_clause(docs):
    assert [c.number for c in resolve_part("五", docs, NATIONAL)] == [
        "（十四）",
        "（十五）",
        "（十六）",
    ]
    assert [c.title for c in resolve_part("一", docs, HUBEI)] == ["总体要求"]
    assert resolve_part("九", docs, HUBEI) == []
