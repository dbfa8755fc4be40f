"""What only admins may do, end to end through the fake Bot API: refusals (logged under a
pseudonym), documents, statistics, the report, rebuilding, adding and removing documents."""

from __future__ import annotations

import shutil

import pytest

from bot.telegram_bot.admin import NO_PERMISSION
from bot.telegram_bot.app import build_application
from bot.telegram_bot.handlers import ASK_AGAIN
from tests.bot_harness import (
    ADMIN,
    USER,
    answer_to,
    bot_settings,
    buttons,
    logged,
    make_qa,
    press,
    running,
)
from tests.conftest import HUBEI_TITLE, KNOWLEDGE
from tests.documents_fixtures import CITY_PLAN, as_pdf


@pytest.fixture
async def admin_bot(api, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = bot_settings(api, tmp_path, knowledge)
    qa = make_qa(knowledge)
    app = build_application(settings, lambda: qa, retry_backoff=0.05)
    async with running(app):
        yield app, settings


async def test_admin_commands_refuse_others_and_log_the_refusal(api, bot, caplog):
    for command in ("/reindex", "/stats", "/docs", "/report", "/remove 鄂工办发〔2023〕7号"):
        (reply,) = await answer_to(api, USER, command)
        assert reply["text"] == NO_PERMISSION
    events = logged(bot, "events")
    assert [e["kind"] for e in events] == ["admin_refused"] * 5
    assert {e["detail"] for e in events} == {"/reindex", "/stats", "/docs", "/report", "/remove"}
    assert all(str(USER) not in e["user_key"] for e in events)
    assert "refused /stats" in caplog.text


async def test_a_document_from_someone_else_is_refused_before_downloading(api, bot):
    api.push_media(USER, "document", data=CITY_PLAN.encode())
    await api.wait_for(lambda: api.sent_texts(USER) and "无权限" in api.sent_texts(USER)[-1])
    assert not api.ok("getFile")  # not even downloaded
    (event,) = logged(bot, "events")
    assert event["detail"] == "document"


async def test_admins_see_documents_stats_and_the_report_and_can_reindex(api, bot):
    await answer_to(api, USER, "单位有没有哺乳室")
    (reply,) = await answer_to(api, ADMIN, "/docs")
    assert "现有 2 份文件" in reply["text"] and "鄂工办发〔2023〕7号" in reply["text"]
    assert f"湖北方案：{HUBEI_TITLE}鄂工办发〔2023〕7号，" in reply["text"]
    (reply,) = await answer_to(api, ADMIN, "/stats")
    assert "近 7 天：问题 1 个，已回答 1 个" in reply["text"]
    api.push_text(ADMIN, "/report")
    (document,) = await api.wait_for(lambda: api.ok("sendDocument"))
    page = document["document"]["bytes"].decode("utf-8")
    assert document["document"]["filename"].endswith(".html") and "培训需求分析" in page
    before = len(api.ok("sendMessage", ADMIN))
    api.push_text(ADMIN, "/reindex")
    await api.wait_for(lambda: any("完成" in t for t in api.sent_texts(ADMIN)[before:]))
    assert "2 份文件，34 条条款" in api.sent_texts(ADMIN)[-1]


async def test_an_admin_adds_a_pdf_and_the_bot_answers_from_it(api, admin_bot):
    _, settings = admin_bot
    api.push_media(ADMIN, "document", data=as_pdf(CITY_PLAN))
    (preview_msg,) = await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    assert "文号：武工发〔2024〕3号" in preview_msg["text"]
    assert "加强新就业形态女职工权益维护" in preview_msg["text"]
    assert [label for label, _ in buttons(preview_msg)] == ["确认加入", "取消"]
    assert [c.method for c in api.calls if c.method in ("getFile", "download")] == [
        "getFile",
        "download",
    ]
    # A user who is not an admin presses 确认 on a forwarded copy: refused, nothing happens.
    api.push_callback(USER, api.sent_message(preview_msg), dict(buttons(preview_msg))["确认加入"])
    await api.wait_for(
        lambda: any(p.get("text") == NO_PERMISSION for p in api.ok("answerCallbackQuery"))
    )
    # The admin confirms; questions asked meanwhile are answered from the old index.
    await press(api, ADMIN, preview_msg, "确认加入")
    (during,) = await answer_to(api, USER, "单位有没有哺乳室")
    assert "提升女职工生活品质" in during["text"]
    await api.wait_for(lambda: any("已加入并上线" in t for t in api.sent_texts(ADMIN)), timeout=60)
    assert "现有 3 份文件" in api.sent_texts(ADMIN)[-1]
    (reply,) = await answer_to(api, USER, "武汉市新就业形态女职工权益维护由谁负责")
    assert "市总工会基层工作部" in reply["text"] and "武工发〔2024〕3号" in reply["text"]
    # Pressing 确认 again does nothing more.
    before = len(api.ok("answerCallbackQuery"))
    api.push_callback(ADMIN, api.sent_message(preview_msg), dict(buttons(preview_msg))["确认加入"])
    await api.wait_for(lambda: len(api.ok("answerCallbackQuery")) > before)
    assert api.ok("answerCallbackQuery")[-1]["text"] == ASK_AGAIN
    (docs,) = await answer_to(api, ADMIN, "/docs")
    assert "现有 3 份文件" in docs["text"]
    assert len(list(settings.knowledge_dir.glob("*.txt"))) == 3


async def test_a_bad_file_is_refused_and_nothing_changes(api, admin_bot):
    _, settings = admin_bot
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    api.push_media(ADMIN, "document", data=b"\x00\x01binary" * 50)
    await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    text = api.sent_texts(ADMIN)[-1]
    assert "不能加入" in text and "二进制" in text and "没有改变" in text
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


async def test_remove_says_which_文号_there_are(api, admin_bot):
    (reply,) = await answer_to(api, ADMIN, "/remove 不存在〔2020〕1号")
    assert reply["text"] == (
        "没有文号为 不存在〔2020〕1号 的文件。\n现有：总工发〔2022〕5号、鄂工办发〔2023〕7号"
    )
    (reply,) = await answer_to(api, ADMIN, "/remove")
    assert reply["text"].startswith("请写出要删除的文件的文号，例如 /remove ")


async def test_remove_needs_confirmation_and_cancel_changes_nothing(api, admin_bot):
    (confirm,) = await answer_to(api, ADMIN, "/remove 鄂工办发 〔2023〕7号")  # spaces: the same
    assert "将删除《" in confirm["text"]
    await press(api, ADMIN, confirm, "取消")
    await api.wait_for(lambda: "已取消" in api.sent_texts(ADMIN)[-1])
    (confirm,) = await answer_to(api, ADMIN, "/remove 鄂工办发〔2023〕7号")
    await press(api, ADMIN, confirm, "确认删除")
    await api.wait_for(lambda: any("已删除并上线" in t for t in api.sent_texts(ADMIN)), timeout=60)
    assert "现有 1 份文件" in api.sent_texts(ADMIN)[-1]
    (docs,) = await answer_to(api, ADMIN, "/docs")
    assert "现有 1 份文件" in docs["text"] and "鄂工办发" not in docs["text"]


async def test_a_zip_bomb_upload_is_refused_before_it_is_parsed(api, admin_bot, tmp_path):
    from tests.documents_fixtures import zip_bomb

    _, settings = admin_bot
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    bomb = tmp_path / "bomb.docx"
    zip_bomb(bomb, 256 * 1024 * 1024)
    api.push_media(ADMIN, "document", data=bomb.read_bytes())
    await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    text = api.sent_texts(ADMIN)[-1]
    assert "不能加入：Word 文档解压后太大（256 MB）" in text and "没有改变" in text
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


async def test_a_confirmed_change_waits_for_another_process_and_says_so(api, admin_bot):
    from bot.ingest.lock import WAITING, one_writer

    _, settings = admin_bot
    api.push_media(ADMIN, "document", data=CITY_PLAN.encode())
    (preview_msg,) = await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    with one_writer(settings.index_dir, timeout=5):  # as a `niangjia docs add` elsewhere would
        await press(api, ADMIN, preview_msg, "确认加入")
        await api.wait_for(lambda: WAITING in api.sent_texts(ADMIN))
        assert not any("已加入并上线" in t for t in api.sent_texts(ADMIN))
    await api.wait_for(lambda: any("已加入并上线" in t for t in api.sent_texts(ADMIN)), timeout=60)
    assert api.sent_texts(ADMIN).count(WAITING) == 1


async def test_a_broken_pdf_is_refused_in_chinese_only(api, admin_bot, caplog):
    pdf = as_pdf(CITY_PLAN)
    api.push_media(ADMIN, "document", data=pdf[: len(pdf) // 2])
    await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    assert api.sent_texts(ADMIN)[-1] == (
        "这个文件不能加入：这个 PDF 文件已损坏或不完整，无法读取。请重新导出或重新下载后再发送。\n"
        "现有文件和索引都没有改变。"
    )
    assert "EOF marker" not in caplog.text  # pypdf's own complaints stay out of the log
