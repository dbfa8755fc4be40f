"""Parallel clauses are found by similarity, both ways, one to one; a clause left over points
to a clause of the other document that names its heading."""

from __future__ import annotations

from bot.core.counterparts import implements
from tests.conftest import HUBEI, NATIONAL

CN = "三 四 五 六 七 八 九 十 十一 十二 十三".split()


def test_hubei_implements_national(by_code):
    assert implements(by_code[HUBEI], by_code[NATIONAL])
    assert not implements(by_code[NATIONAL], by_code[HUBEI])


def test_main_tasks_map_item_by_item(by_code):
    hubei = by_code[HUBEI]
    national = by_code[NATIONAL]
    for item, cn in zip(range(1, 12), CN, strict=True):
        clause = hubei.clause_by_number(str(item))
        assert clause.parallel is not None, item
        assert (clause.parallel.doc_code, clause.parallel.number) == (NATIONAL, f"（{cn}）")
        back = national.clause_by_number(f"（{cn}）")
        assert (back.parallel.doc_code, back.parallel.number) == (HUBEI, str(item))


def test_safeguards_map_to_fourteen_to_sixteen(by_code):
    hubei = by_code[HUBEI]
    safeguards = [c for c in hubei.clauses if c.section == "三、保障措施"]
    assert [c.parallel.number for c in safeguards] == ["（十四）", "（十五）", "（十六）"]


def test_renamed_item_is_still_linked(by_code):
    # Hubei 11 推动工作数智赋能 implements national （十三）用好网上工作平台: texts, not titles.
    clause = by_code[HUBEI].clause_by_number("11")
    assert clause.parallel.title == "用好网上工作平台"


def test_preambles_have_no_parallel(by_code):
    for doc in by_code.values():
        for clause in doc.clauses:
            if not clause.number:
                assert clause.parallel is None


def test_a_clause_left_over_points_to_the_clause_that_sums_up_its_heading(by_code):
    national, hubei = by_code[NATIONAL], by_code[HUBEI]
    whole = hubei.clause_by_number("一")  # 总体要求: one clause for 一、把握总体要求's two
    assert (whole.parallel.doc_code, whole.parallel.number) == (NATIONAL, "（二）")  # one to one
    guiding = national.clause_by_number("（一）")  # 指导思想, left over by the one-to-one pass
    assert (guiding.parallel.doc_code, guiding.parallel.number) == (HUBEI, "一")


def test_a_heading_no_clause_names_leaves_a_clause_without_a_counterpart():
    from bot.core.counterparts import link_parallel_clauses
    from bot.core.documents import parse_document

    base = parse_document(
        "甲市总工会关于女职工工作的意见\n一、总体要求\n（一）指导思想。坚持服务职工。\n"
        "（二）工作原则。依法维权。\n二、主要任务\n（三）建设哺乳室。推进母婴室建设。\n",
        code="甲工发〔2024〕1号",
    )
    plan = parse_document(
        "乙区落实《甲市总工会关于女职工工作的意见》的方案\n甲工发〔2024〕1号\n"
        "一、哺乳室。推进爱心母婴室建设，每年新建十家。\n",
        code="乙工发〔2024〕2号",
    )
    link_parallel_clauses([base, plan])
    rooms = plan.clause_by_number("一")
    assert rooms.parallel is not None and rooms.parallel.number == "（三）"
    assert base.clause_by_number("（一）").parallel is None  # no clause of the plan says 总体要求


def test_a_clause_and_its_counterpart_differ_by_the_phrases_each_alone_says(by_code):
    from bot.core.counterparts import differences

    national = by_code[NATIONAL].clause_by_number("（九）")
    hubei = by_code[HUBEI].clause_by_number("7")
    diff = differences(national, hubei)
    assert diff.only_first == []  # the plan says all the opinion says here
    assert "加大女职工信息报送力度" in diff.only_second
    assert "落实女职工委员会向同级工会委员会和上级工会女职工委员会报告工作制度" not in (
        diff.only_second
    )
    same = differences(hubei, hubei)
    assert same.only_first == same.only_second == []


def test_phrases_are_cut_at_commas_and_stops_and_short_ones_dropped():
    from bot.core.counterparts import phrases

    text = "——坚持党的领导，推进母婴室建设；好的。深化“会聚良缘”服务"
    assert phrases(text) == ["坚持党的领导", "推进母婴室建设", "深化“会聚良缘”服务"]


def test_of_a_list_only_the_items_the_other_does_not_say_are_named(by_code):
    from bot.core.counterparts import differences

    national = by_code[NATIONAL].clause_by_number("（五）")
    hubei = by_code[HUBEI].clause_by_number("3")
    only_national = differences(national, hubei).only_first
    assert "常态化做好维权典型案例评选" in only_national  # not the two items both list
    assert not any("联合专项执法检查" in p for p in only_national)


def test_a_clause_s_title_in_front_of_its_text_is_not_compared(by_code):
    from bot.core.counterparts import differences

    principles = by_code[NATIONAL].clause_by_number("（二）")  # 基本原则。坚持…
    whole = by_code[HUBEI].clause_by_number("一")
    assert "基本原则" not in differences(principles, whole).only_first


def test_a_list_s_first_item_is_said_without_the_verb_that_opens_the_list(by_code):
    from bot.core.counterparts import differences

    national = by_code[NATIONAL].clause_by_number("（十二）")
    hubei = by_code[HUBEI].clause_by_number("10")
    diff = differences(national, hubei)
    assert "玫瑰书香" in national.text and "精心打造玫瑰书香" in hubei.text
    assert not any("玫瑰书香" in p for p in diff.only_second)  # both name the brand
    assert any("爱心母婴室" in p for p in diff.only_second)  # the opinion does not


def test_clauses_that_share_one_counterpart_are_compared_together(by_code):
    from bot.core.counterparts import differences, sharing

    guide = by_code[NATIONAL].clause_by_number("（一）")
    principles = by_code[NATIONAL].clause_by_number("（二）")
    whole = by_code[HUBEI].clause_by_number("一")
    assert sharing(guide, whole, by_code[NATIONAL]) == [guide, principles]
    assert sharing(whole, guide, by_code[HUBEI]) == [whole]  # its counterpart is (二)
    six = by_code[NATIONAL].clause_by_number("（六）")
    assert sharing(six, by_code[HUBEI].clause_by_number("4"), by_code[NATIONAL]) == [six]
    together = differences([guide, principles], whole).only_second
    alone = differences(principles, whole).only_second
    assert len(together) < len(alone)  # what (一) says is no longer the plan's alone
