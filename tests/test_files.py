"""Reading files admins add: formats by content, layouts, and every kind of bad file."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from bot.core.documents import parse_document
from bot.ingest.files import (
    BROKEN_PDF,
    MAX_BYTES,
    SKIPPED_SHOWN,
    IngestError,
    preview,
    read_file,
    row_line,
    safe_name,
    staged_files,
    table_lines,
)
from tests.documents_fixtures import (
    CITY_PLAN,
    PROSE,
    REGULATION,
    TASK_LIST,
    as_docx,
    as_docx_with_table,
    as_pdf,
)

FORMATS = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-bom": lambda t: t.encode("utf-8-sig"),
    "gb18030": lambda t: t.encode("gb18030"),
    "docx": as_docx,
    "pdf": as_pdf,
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_city_plan_in_every_format(fmt, knowledge_copy):
    item = preview(FORMATS[fmt](CITY_PLAN), knowledge_copy, "plan")
    doc = item.document
    assert doc.code == "武工发〔2024〕3号" and "总工发〔2022〕5号" in doc.references
    numbered = [(c.number, c.title) for c in doc.clauses if c.number]
    assert ("（一）", "加强女职工思想政治引领") in numbered
    assert ("2", "加强新就业形态女职工权益维护") in numbered
    depts = {c.title: c.departments for c in doc.clauses}
    assert depts["加强女职工思想政治引领"] == ["市总工会宣传部", "各区总工会"]  # 牵头/配合, 【】
    assert depts["推动女职工权益保护专项集体合同全覆盖"] == [
        "市总工会权益保障部",
        "女职工部",
    ]  # 责任部门（）
    assert depts["提升女职工生活品质"] == ["市总工会女职工部", "经济技术劳动保护部"]  # [责任单位]
    assert item.warnings == [] and item.replaces is None
    assert item.kind == {"docx": "docx", "pdf": "pdf"}.get(fmt, "text")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_regulation_with_chapters_and_articles(fmt, knowledge_copy):
    item = preview(FORMATS[fmt](REGULATION), knowledge_copy, "reg")
    assert [c.number for c in item.document.clauses] == [f"第{n}条" for n in "一二三四五六"]
    assert "没有找到责任单位。" in item.warnings
    assert any("1小时哺乳时间" in c.text for c in item.document.clauses)


def test_the_preview_lists_what_will_be_added(knowledge_copy):
    lines = preview(CITY_PLAN.encode(), knowledge_copy, "plan").lines()
    assert lines[1] == "文号：武工发〔2024〕3号"
    assert any("（一） 加强女职工思想政治引领" in line for line in lines)
    assert any(line.startswith("责任单位：") and "市总工会宣传部" in line for line in lines)


def test_same_code_replaces_and_says_so(knowledge_copy):
    seed = (knowledge_copy / "hubei-2023-7-implementation-plan.txt").read_text(encoding="utf-8")
    item = preview(seed.encode(), knowledge_copy, "again.txt", title="新标题")
    assert item.replaces and item.document.title == "新标题"
    changes = staged_files(knowledge_copy, item)
    assert changes["hubei-2023-7-implementation-plan.txt"] is None  # the old file goes


def test_overrides_and_a_missing_code(knowledge_copy):
    text = REGULATION.replace("某政令〔2023〕12号\n", "")
    item = preview(text.encode(), knowledge_copy, "reg")
    assert item.document.code == "某省女职工劳动保护办法" and any(
        "文号" in w for w in item.warnings
    )
    item = preview(text.encode(), knowledge_copy, "reg", code="某政令〔2023〕99号")
    assert item.document.code == "某政令〔2023〕99号"


@pytest.mark.parametrize(
    "given, kept",
    [
        ("某政令〔2023〕99号", "某政令〔2023〕99号"),
        ("武工发[2024] 3号", "武工发[2024]3号"),
        ("鄂工办发（2023）7 号", "鄂工办发（2023）7号"),
        ("国务院令第752号", "国务院令第752号"),
    ],
)
def test_a_code_given_by_hand_is_kept_when_it_looks_like_one(given, kept, knowledge_copy):
    assert preview(REGULATION.encode(), knowledge_copy, "reg", code=given).document.code == kept


@pytest.mark.parametrize("given", ["abc", "123", "武工发2024年3号", "〔2024〕3号", "第3号"])
def test_a_code_that_is_no_文号_is_refused_before_the_file_is_read(given, knowledge_copy):
    with pytest.raises(IngestError, match=f"“{re.escape(given)}”看起来不是文号"):
        preview(b"", knowledge_copy, "reg", code=given)  # not "文件是空的": the code first


def test_file_names_never_become_paths(knowledge_copy):
    item = preview(CITY_PLAN.encode(), knowledge_copy, "../../../etc/passwd")
    for name in staged_files(knowledge_copy, item):
        assert "/" not in name and not name.startswith(".")
    assert "/" not in safe_name("../../x") and ".." not in safe_name("../../x")


def encrypted_pdf() -> bytes:
    return as_pdf(CITY_PLAN, encrypt="secret")


def cut_short(data: bytes) -> bytes:
    """The first half of a file, as an interrupted download leaves it."""
    return data[: len(data) // 2]


def damaged_docx() -> bytes:
    """A .docx whose directory is whole but whose document part is not XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(as_docx(CITY_PLAN))) as source:
        with zipfile.ZipFile(buffer, "w") as archive:
            for item in source.infolist():
                data = source.read(item)
                archive.writestr(item, b"<w:document" if item.filename.endswith("t.xml") else data)
    return buffer.getvalue()


def zip_without_word() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "空"),
        (b"   \n\n  ", "没有文字"),
        (b"\x00\x01\x02binary\x00" * 100, "二进制"),
        (bytes(range(256)) * 40, "二进制"),
        (b"\xff\xfe\xfd\x80" * 50, "编码"),
        (zip_without_word(), "压缩文件"),
        (b"PK\x03\x04 not really a zip", "压缩文件"),
        (b"%PDF-1.4 broken", "PDF 文件已损坏或不完整"),
        (cut_short(as_pdf(CITY_PLAN)), "PDF 文件已损坏或不完整"),
        (cut_short(as_docx(CITY_PLAN)), "Word 文档（.docx）已损坏或不完整"),
        (damaged_docx(), "Word 文档（.docx）已损坏或不完整"),
        (PROSE.encode(), "条款"),
        ("一、只有一个标题".encode(), "条款"),
    ],
    ids=[
        "empty",
        "blank",
        "nul",
        "bytes",
        "undecodable",
        "zip",
        "fake-zip",
        "bad-pdf",
        "truncated-pdf",
        "truncated-docx",
        "damaged-docx",
        "prose",
        "title-only",
    ],
)
def test_bad_files_are_refused_with_the_reason(data, reason, knowledge_copy):
    before = sorted(p.name for p in knowledge_copy.iterdir())
    with pytest.raises(IngestError, match=reason) as refused:
        preview(data, knowledge_copy, "x.txt")
    assert sorted(p.name for p in knowledge_copy.iterdir()) == before
    names = re.sub(r"PDF|Word|docx|txt|pdf|GB18030|GBK|UTF-8|MB", "", str(refused.value))
    assert not re.search(r"[A-Za-z]{2,}", names), str(refused.value)  # no library's words


def test_a_broken_pdf_from_the_command_line_is_one_chinese_line(settings, tmp_path):
    from tests import fake_model_cli

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(cut_short(as_pdf(CITY_PLAN)))
    result = fake_model_cli.run(settings, "docs", "add", str(broken), "--yes")
    assert result.returncode == 1
    assert result.stderr == f"错误：{BROKEN_PDF}\n"  # nothing from pypdf


def test_encrypted_and_scanned_pdfs_are_refused(knowledge_copy):
    with pytest.raises(IngestError, match="加密"):
        preview(encrypted_pdf(), knowledge_copy, "x.pdf")
    with pytest.raises(IngestError, match="文字层"):
        preview(as_pdf(CITY_PLAN, text_layer=False), knowledge_copy, "scan.pdf")


def test_size_limit_and_type_by_content_not_name(knowledge_copy):
    with pytest.raises(IngestError, match="5 MB"):
        read_file(b"a" * (MAX_BYTES + 1))
    assert read_file(as_docx(CITY_PLAN))[0] == "docx"  # whatever it is called
    assert preview(as_pdf(CITY_PLAN), knowledge_copy, "plan.txt").kind == "pdf"


# ---------------------------------------------------------------------- bounds, before parsing


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path, knowledge_copy):
    from bot.errors import FileBoundError
    from tests.documents_fixtures import zip_bomb

    bomb = tmp_path / "bomb.docx"
    zip_bomb(bomb, 64 * 1024 * 1024)
    with pytest.raises(FileBoundError, match="解压后太大"):
        preview(bomb.read_bytes(), knowledge_copy, "bomb.docx")
    ratio = tmp_path / "ratio.docx"
    zip_bomb(ratio, 4 * 1024 * 1024, b"<w:p/>")  # small in all, but 4 MB from a few KB
    with pytest.raises(FileBoundError, match="压缩比异常"):
        preview(ratio.read_bytes(), knowledge_copy, "ratio.docx")


def test_pages_and_characters_are_bounded(monkeypatch, knowledge_copy):
    import bot.ingest.files as files
    from bot.errors import FileBoundError

    monkeypatch.setattr(files, "MAX_PAGES", 0)
    with pytest.raises(FileBoundError, match="页数太多"):
        preview(as_pdf(CITY_PLAN), knowledge_copy, "p.pdf")
    monkeypatch.setattr(files, "MAX_CHARS", 100)
    for data in (CITY_PLAN.encode(), as_docx(CITY_PLAN)):
        with pytest.raises(FileBoundError, match="文字太多"):
            preview(data, knowledge_copy, "p")


MEASURE = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = child.stderr.read().decode("utf-8", "replace")
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "err": err,
                  "mb": usage.ru_maxrss / 1024}))
"""


def _peak_rss_mb(settings, path) -> tuple[int, str, float]:
    """Run ``docs add <path> --yes`` as a process; its exit code, error output and peak
    resident memory. Measured by a small go-between process (``wait4``'s figures for its one
    child): Linux starts a child's peak at its parent's resident size (the whole of it, with
    vfork), and this test process may by now be large."""
    import subprocess
    import sys

    from bot.config import ROOT
    from tests import fake_model_cli

    command = [sys.executable, "-m", "tests.fake_model_cli", "docs", "add", str(path), "--yes"]
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=ROOT,
        env=fake_model_cli.command_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(measured.stdout)
    return result["code"], result["err"], result["mb"]


def test_refusing_a_bomb_from_the_command_line_costs_little_memory(settings, tmp_path):
    from tests.documents_fixtures import zip_bomb

    bomb, empty = tmp_path / "bomb.docx", tmp_path / "empty.txt"
    zip_bomb(bomb, 1024 * 1024 * 1024)  # 1 GB inflated, about 1 MB on disk
    empty.write_bytes(b"")
    code, err, bomb_mb = _peak_rss_mb(settings, bomb)
    assert code == 1 and err.startswith("错误：Word 文档解压后太大（1024 MB）"), err
    assert "Traceback" not in err
    code, err, empty_mb = _peak_rss_mb(settings, empty)
    assert code == 1 and "文件是空的" in err
    print(f"peak RSS: bomb {bomb_mb:.0f} MB, empty file {empty_mb:.0f} MB")
    assert bomb_mb < 300 and bomb_mb < empty_mb + 150, (bomb_mb, empty_mb)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_trial_task_list_in_every_format(fmt, knowledge_copy):
    item = preview(FORMATS[fmt](TASK_LIST), knowledge_copy, "tasks")
    got = [(c.number, c.title, c.departments) for c in item.document.clauses if c.number]
    assert got == [
        ("1", "关爱女农民工开展春风行动", ["权益保障部"]),
        ("2", "关爱女教师", ["教科文卫工会"]),
        ("3", "关爱环卫女工", ["基层工作部"]),
        ("（4）", "建立女职工法律援助站", ["法律工作部"]),
        ("二", "保障措施", []),
    ]
    assert item.warnings == []


HEAD = "十堰市总工会女职工工作实施方案\n十工发〔2024〕9号\n一、重点任务\n"
TAIL = "二、保障措施\n各级工会要加强领导。\n"


def test_numbered_rows_of_a_docx_table_are_clauses_where_the_table_stands(knowledge_copy):
    rows = [
        ["序号", "工作任务", "具体措施", "责任单位"],
        ["1", "推进母婴室建设", "为女职工提供哺乳便利。", "女职工部、基层工作部"],
        ["2", "关爱女农民工", "开展春风行动", "权益保障部"],
    ]
    item = preview(as_docx_with_table(HEAD, rows, TAIL), knowledge_copy, "shiyan.docx")
    got = [(c.number, c.title, c.departments, c.section) for c in item.document.clauses]
    assert got == [
        ("1", "推进母婴室建设", ["女职工部", "基层工作部"], "一、重点任务"),
        ("2", "关爱女农民工", ["权益保障部"], "一、重点任务"),
        ("二", "保障措施", [], ""),
    ]
    assert item.document.clauses[0].text == "推进母婴室建设。为女职工提供哺乳便利。"
    assert "序号" not in item.text  # the header names the columns; it is not text


def test_a_table_row_that_opens_with_its_number_is_a_clause(knowledge_copy):
    # The trial's .docx: "2. 关爱女农民工" | "开展春风行动（责任单位：权益保障部）",
    # then a blank row.
    rows = [["2. 关爱女农民工", "开展春风行动（责任单位：权益保障部）"], ["", ""]]
    head = HEAD + "1. 推进母婴室建设。为女职工提供哺乳便利。（责任单位：女职工部）\n"
    item = preview(as_docx_with_table(head, rows), knowledge_copy, "shiyan.docx")
    last = item.document.clauses[-1]
    assert (last.number, last.title, last.departments) == ("2", "关爱女农民工", ["权益保障部"])
    assert last.text == "关爱女农民工。开展春风行动"


@pytest.mark.parametrize(
    "cells, labels, line",
    [
        (
            ["1", "建设母婴室", "女职工部"],
            ["序号", "任务", "责任单位"],
            "1. 建设母婴室（责任单位：女职工部）",
        ),
        (["3", "5万名女职工受益"], [], "3. 5万名女职工受益"),
        (["一", "总体要求"], [], "一、总体要求"),
        (["（二）", "加强领导。", "年底前"], [], "（二）加强领导。年底前"),
        (
            ["1.", "建设", "", "甲部"],
            ["序号", "任务", "时限", "责任部门"],
            "1. 建设（责任部门：甲部）",
        ),
        (
            ["1", "建设", "乙部", "甲部"],
            ["序号", "任务", "配合单位", "牵头单位"],
            "1. 建设（牵头单位：甲部；配合单位：乙部）",
        ),
        (["说明", "本表由女职工部汇总"], [], "说明 本表由女职工部汇总"),
        (["合计", "合计"], [], "合计"),
        (["", ""], [], ""),
    ],
)
def test_row_line(cells, labels, line):
    assert row_line(cells, labels) == line


def test_a_table_header_names_the_department_column():
    rows = [["序号", "任务", "牵头单位", "配合单位"], ["1", "建设", "甲部", "乙部、丙部"]]
    (line,) = table_lines(rows)
    assert line == "1. 建设（牵头单位：甲部；配合单位：乙部、丙部）"
    (clause,) = parse_document(line).clauses
    assert clause.departments == ["甲部", "乙部", "丙部"]


def test_the_preview_names_the_lines_that_look_numbered_but_were_skipped(knowledge_copy):
    text = TASK_LIST.replace("二、保障措施", "5）开展两癌筛查\n1.1 组织健康体检。\n二、保障措施")
    item = preview(text.encode(), knowledge_copy, "tasks")
    assert item.warnings[-1].startswith("有 2 行看起来像编号条款，但没有读成条款")
    assert item.lines()[-3:] == [
        "注意：" + item.warnings[-1],
        "  · 5）开展两癌筛查",
        "  · 1.1 组织健康体检。",
    ]


def test_the_preview_names_a_few_skipped_lines_and_counts_the_rest(knowledge_copy):
    many = "".join(
        f"{n}）开展第{n}项女职工关爱服务活动，覆盖全市各区县基层工会和新就业形态劳动者集中的行业企业。\n"
        for n in range(5, 20)
    )
    item = preview((TASK_LIST + many).encode(), knowledge_copy, "tasks")
    named = [line for line in item.lines() if line.startswith("  · ") and "）开展第" in line]
    assert (
        len(named) == SKIPPED_SHOWN
        and named[0]
        == "  · 5）开展第5项女职工关爱服务活动，覆盖全市各区县基层工会和新就业形态劳动者集中…"
    )
    assert item.lines()[-1] == f"  …… 另有 {15 - SKIPPED_SHOWN} 行"
