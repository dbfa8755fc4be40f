"""Parallel clauses are found by similarity, both ways, one to one."""

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
