"""The bot end to end: the real python-telegram-bot Application, built by ``build_application``
(as ``niangjia serve`` builds it), against the fake Bot API server over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.core.answer import QA, Calibration
from bot.core.knowledge import load_knowledge
from bot.core.retriever import Retriever
from bot.querylog.store import connect
from bot.telegram_bot.app import (
    ASK_AGAIN,
    NO_PERMISSION,
    RATE_LIMITED,
    SOMETHING_WRONG,
    TEXT_ONLY_HINT,
    build_application,
    configure_logging,
    webhook_secret,
)
from bot.telegram_bot.keyboards import MAX_BYTES
from bot.telegram_bot.render import TELEGRAM_LIMIT, utf16_len
from tests.conftest import KNOWLEDGE, FakeEncoder
from tests.documents_fixtures import CITY_PLAN, as_pdf
from tests.fake_bot_api import BOT_USERNAME, TOKEN, FakeBotAPI

ADMIN = 4242
USER = 1001
GROUP = -100777


class RecordingJournal:
    def __init__(self) -> None:
        self.queries, self.feedback, self.events = [], [], []
        self.lock = threading.Lock()

    def record_query(self, record) -> None:
        with self.lock:
            self.queries.append(record)

    def record_feedback(self, ref, value, user) -> None:
        with self.lock:
            self.feedback.append((ref, value, user))

    def record_event(self, kind, user, detail) -> None:
        with self.lock:
            self.events.append((kind, user, detail))


class SlowQA(QA):
    """Questions containing 慢 take a while; 炸 raises (a bug in the core)."""

    def ask(self, text: str, k: int = 3, method: str = "hybrid"):
        if "炸" in text:
            raise RuntimeError("boom in the core")
        if "慢" in text:
            time.sleep(1.5)
        return super().ask(text, k, method)


@pytest.fixture
async def api():
    async with FakeBotAPI() as server:
        yield server


def bot_settings(api: FakeBotAPI, tmp_path: Path, knowledge: Path = KNOWLEDGE) -> Settings:
    return Settings(
        knowledge_dir=knowledge,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        telegram_token=TOKEN,
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
        admin_ids=frozenset({ADMIN}),
        log_secret="test-secret",
    )


def make_qa(knowledge: Path = KNOWLEDGE, threshold: float = 0.0, cls=QA) -> QA:
    return cls(Retriever(load_knowledge(knowledge), FakeEncoder()).build(), Calibration(threshold))


@asynccontextmanager
async def running(app, webhook: dict | None = None):
    """Start the application as run_polling/run_webhook would, and stop it the same way."""
    await app.initialize()
    await app.post_init(app)
    await app.start()
    if webhook:
        await app.updater.start_webhook(**webhook)
    else:
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()


@pytest.fixture
def journal():
    return RecordingJournal()


@pytest.fixture
async def bot(api, tmp_path, qa, journal):
    app = build_application(
        bot_settings(api, tmp_path), lambda current: qa, journal, retry_backoff=0.05
    )
    async with running(app):
        yield app


def buttons(params: dict) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def answer_to(api: FakeBotAPI, chat_id: int, text: str, **kw) -> list[dict]:
    """Push a message and wait for the replies to it (the last one carries the buttons)."""
    before = len(api.ok("sendMessage", chat_id))
    api.push_text(chat_id, text, **kw)
    await api.wait_for(lambda: len(api.ok("sendMessage", chat_id)) > before)
    await asyncio.sleep(0.05)  # a split answer's later parts
    return api.ok("sendMessage", chat_id)[before:]


async def press(api: FakeBotAPI, chat_id: int, params: dict, label: str) -> int:
    data = dict(buttons(params))[label]
    before = len(api.ok("answerCallbackQuery"))
    api.push_callback(chat_id, api.sent_message(params), data)
    await api.wait_for(lambda: len(api.ok("answerCallbackQuery")) > before)
    return before


# ---------------------------------------------------------------------- conversation


async def test_start_registers_commands_and_explains_privacy(api, bot):
    (commands,) = api.ok("setMyCommands")
    assert [c["command"] for c in commands["commands"]] == ["start", "help", "dept", "clause"]
    (reply,) = await answer_to(api, USER, "/start")
    assert "娘家人" in reply["text"] and reply["parse_mode"] == "HTML"
    assert "隐私" in reply["text"] and "不保存您的 Telegram" in reply["text"]
    assert reply["text"].count("· ") == 3  # three example questions
    (reply,) = await answer_to(api, USER, "/help")
    assert "/dept" in reply["text"] and "/clause" in reply["text"]


async def test_an_answer_carries_title_departments_parallel_and_buttons(api, bot, journal):
    (reply,) = await answer_to(api, USER, "哪个部门负责婚恋交友服务")
    text = reply["text"]
    assert "湖北方案 第4项「提升女职工生活品质」" in text
    assert "鄂工办发〔2023〕7号" in text
    assert (
        "责任单位：女职工部、宣传部（网络工作部）、权益保障部（法律工作部）、"
        "经济技术劳动保护部、基层工作部" in text
    )
    assert "对应条款：全总意见 第（六）条「提升女职工生活品质」" in text
    labels = [label for label, _ in buttons(reply)]
    assert labels == ["全文", "更多相关条款", "对应条款", "👍", "👎"]
    assert all(len(data.encode()) <= MAX_BYTES for _, data in buttons(reply))
    await api.wait_for(lambda: journal.queries)
    record = journal.queries[0]
    assert record.channel == "telegram" and record.intent == "who" and record.answered
    assert str(USER) not in record.user and len(record.user) == 32


async def test_user_text_is_escaped(api, bot):
    (reply,) = await answer_to(api, USER, "<b>宣传部</b> & 负责什么")
    assert "<b>宣传部</b>" not in reply["text"].replace("<b>宣传部（网络工作部）", "")
    (reply,) = await answer_to(api, USER, "/dept <i>不存在</i>")
    assert "&lt;i&gt;不存在&lt;/i&gt;" in reply["text"]


async def test_buttons_show_the_whole_clause_more_hits_and_the_parallel(api, bot, qa):
    (reply,) = await answer_to(api, USER, "哪个部门负责婚恋交友服务")
    n = len(api.ok("sendMessage", USER))
    await press(api, USER, reply, "全文")
    await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
    full = api.ok("sendMessage", USER)[-1]["text"]
    clause = qa.by_code["鄂工办发〔2023〕7号"].clause_by_number("4")
    assert clause.text[-30:] in full

    n = len(api.ok("sendMessage", USER))
    await press(api, USER, reply, "对应条款")
    await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
    parallel = api.ok("sendMessage", USER)[-1]["text"]
    assert "全总意见 第（六）条「提升女职工生活品质」" in parallel

    n = len(api.ok("sendMessage", USER))
    await press(api, USER, reply, "更多相关条款")
    await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
    more = api.ok("sendMessage", USER)[-1]
    assert "更多相关条款" in more["text"]
    assert all(label.startswith("全文：") for label, _ in buttons(more))


async def test_feedback_is_recorded_once_and_marked_on_the_message(api, bot, journal):
    (reply,) = await answer_to(api, USER, "单位有没有哺乳室")
    token = dict(buttons(reply))["👍"].split("|")[2]
    before = await press(api, USER, reply, "👍")
    assert "谢谢" in api.ok("answerCallbackQuery")[before]["text"]
    await api.wait_for(lambda: journal.feedback)
    assert journal.feedback == [(token, 1, journal.feedback[0][2])]
    assert str(USER) not in journal.feedback[0][2]
    (edit,) = await api.wait_for(lambda: api.ok("editMessageText"))
    assert "谢谢您的反馈 👍" in edit["text"] and "哺乳" in edit["text"]
    assert "👍" not in [label for label, _ in buttons(edit)]
    before = await press(api, USER, reply, "👎")  # a second press on the old message
    assert "已经收到" in api.ok("answerCallbackQuery")[before]["text"]
    assert len(journal.feedback) == 1


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "1|f|AAAAAAAAAAAA|0",  # an answer the bot never gave (or has forgotten)
        "2|f|AAAAAAAAAAAA|0",  # another version
        "1|x|AAAAAAAAAAAA|0",
        "1|f|AAAA|0",
        "1|f|AAAAAAAAAAAA|-1",
        "1|f|AAAAAAAAAAAA|99999",
        "1|f|AAAAAAAAAAAA|٣",
        "",
    ],
)
async def test_stale_or_forged_buttons_get_ask_again(api, bot, data):
    message = api.message(USER, "旧消息", from_bot=True)
    api.push_callback(USER, message, data)
    (answered,) = await api.wait_for(lambda: api.ok("answerCallbackQuery"))
    assert answered["text"] == ASK_AGAIN
    assert SOMETHING_WRONG not in " ".join(api.sent_texts(USER))


async def test_a_button_index_beyond_the_answer_is_refused(api, bot):
    (reply,) = await answer_to(api, USER, "单位有没有哺乳室")
    token = dict(buttons(reply))["全文"].split("|")[2]
    api.push_callback(USER, api.sent_message(reply), f"1|f|{token}|7")
    (answered,) = await api.wait_for(lambda: api.ok("answerCallbackQuery"))
    assert answered["text"] == ASK_AGAIN


async def test_out_of_scope_is_honest_with_nearest_topics_as_buttons(api, tmp_path):
    qa = make_qa(threshold=1.01)  # nothing is confident enough: every question is declined
    app = build_application(bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05)
    async with running(app):
        (reply,) = await answer_to(api, USER, "产假有多少天")
        assert reply["text"].startswith("这两份文件没有直接规定")
        topics = [label for label, data in buttons(reply) if data.split("|")[1] == "s"]
        assert 1 <= len(topics) <= 3
        n = len(api.ok("sendMessage", USER))
        await press(api, USER, reply, topics[0])
        await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
        assert topics[0].rstrip("…") in api.ok("sendMessage", USER)[-1]["text"]


async def test_dept_and_clause_commands(api, bot):
    (reply,) = await answer_to(api, USER, "/dept 宣传部")
    assert "宣传部（网络工作部） 是以下 6 条工作的责任单位" in reply["text"]
    assert len([b for b in buttons(reply) if b[1].split("|")[1] == "f"]) == 6
    (reply,) = await answer_to(api, USER, "/clause 湖北 4")
    assert "湖北方案 第4项「提升女职工生活品质」" in reply["text"]
    (reply,) = await answer_to(api, USER, "/clause 全总 五")
    assert "全总意见 第（五）条「维护女职工合法权益和特殊利益」" in reply["text"]
    (reply,) = await answer_to(api, USER, "/clause 湖北 99")
    assert "没有99这一条" in reply["text"]
    (reply,) = await answer_to(api, USER, "/dept")
    assert "/dept 宣传部" in reply["text"]


async def test_long_replies_are_split_at_sentence_ends(api, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    body = "。".join(f"第{i}句要求各级工会组织认真做好女职工关爱服务工作" for i in range(1, 400))
    (knowledge / "long.txt").write_text(
        "某市总工会关于做好女职工关爱服务的实施意见\n某工发〔2024〕1号\n"
        f"一、加强女职工关爱服务。{body}。\n二、狠抓责任落实。各级工会要抓好落实。\n",
        encoding="utf-8",
    )
    qa = make_qa(knowledge)
    app = build_application(
        bot_settings(api, tmp_path, knowledge), lambda current: qa, retry_backoff=0.05
    )
    async with running(app):
        api.push_text(USER, "/clause 某工发〔2024〕1号 一")
        # The buttons come with the last part.
        await api.wait_for(lambda: any("reply_markup" in p for p in api.ok("sendMessage", USER)))
        replies = api.ok("sendMessage", USER)
    assert len(replies) >= 3
    assert all(utf16_len(r["text"]) <= TELEGRAM_LIMIT for r in replies)
    for r in replies[:-1]:
        assert r["text"].removesuffix("</blockquote>").endswith("。"), r["text"][-40:]
        assert r["text"].count("<blockquote>") == r["text"].count("</blockquote>")
    joined = "".join(r["text"] for r in replies)
    assert "第1句" in joined and "第399句" in joined
    assert "reply_markup" not in replies[0] and "reply_markup" in replies[-1]


async def test_group_chats_answer_only_mentions_replies_and_commands(api, bot):
    api.push_text(GROUP, "大家好，今天开会", user_id=USER, chat_type="supergroup")
    replies = await answer_to(api, GROUP, f"@{BOT_USERNAME} 单位有没有哺乳室", user_id=USER)
    assert len(replies) == 1 and "哺乳" in replies[0]["text"]
    assert replies[0]["reply_parameters"]["message_id"] > 0
    bot_message = api.message(GROUP, "之前的回答", from_bot=True)
    replies = await answer_to(api, GROUP, "那外卖骑手呢", user_id=USER, reply_to=bot_message)
    assert len(replies) == 1
    replies = await answer_to(api, GROUP, f"/help@{BOT_USERNAME}", user_id=USER)
    assert "/dept" in replies[0]["text"]
    api.push_text(GROUP, "@someone_else 哺乳室在哪", user_id=USER)
    api.push_media(GROUP, "sticker", user_id=USER)
    await answer_to(api, USER, "/help")  # once this is answered, the group updates were seen
    await asyncio.sleep(0.2)
    assert len(api.ok("sendMessage", GROUP)) == 3


async def test_media_gets_a_text_only_hint_and_documents_need_an_admin(api, bot, journal):
    for kind in ("sticker", "photo", "voice"):
        before = len(api.ok("sendMessage", USER))
        api.push_media(USER, kind, data=b"x")
        await api.wait_for(lambda b=before: len(api.ok("sendMessage", USER)) > b)
        assert api.ok("sendMessage", USER)[-1]["text"] == TEXT_ONLY_HINT
        assert "reply_markup" not in api.ok("sendMessage", USER)[-1]
    api.push_media(USER, "document", data=CITY_PLAN.encode())
    await api.wait_for(lambda: "无权限" in api.sent_texts(USER)[-1])
    assert not api.ok("getFile")  # not even downloaded
    await api.wait_for(lambda: journal.events)
    assert journal.events[0][2] == "document"


async def test_empty_huge_and_control_text_get_clear_answers(api, bot):
    for text in ("\u200b\u0007", "哺" * 5000, "😀😀😀", "hello there"):
        (reply,) = await answer_to(api, USER, text)
        assert reply["text"] and SOMETHING_WRONG not in reply["text"]


async def test_per_user_limit_answers_please_wait(api, tmp_path, qa):
    app = build_application(
        bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05, questions_per_minute=3
    )
    async with running(app):
        for _ in range(5):
            api.push_text(USER, "单位有没有哺乳室")
        await api.wait_for(lambda: len(api.ok("sendMessage", USER)) >= 5)
        api.push_text(USER + 1, "单位有没有哺乳室")  # someone else is not limited
        await api.wait_for(lambda: api.ok("sendMessage", USER + 1))
    texts = api.sent_texts(USER)
    assert sum(t == RATE_LIMITED for t in texts) == 2 and len(texts) == 5
    assert api.sent_texts(USER + 1)[0] != RATE_LIMITED


# ---------------------------------------------------------------------- admin


async def test_admin_commands_refuse_others_and_log_the_refusal(api, bot, journal, caplog):
    for command in ("/reindex", "/stats", "/docs", "/report"):
        (reply,) = await answer_to(api, USER, command)
        assert reply["text"] == NO_PERMISSION
    await api.wait_for(lambda: len(journal.events) == 4)
    assert [e[0] for e in journal.events] == ["admin_refused"] * 4
    assert {e[2] for e in journal.events} == {"/reindex", "/stats", "/docs", "/report"}
    assert all(str(USER) not in e[1] for e in journal.events)
    assert "refused /stats" in caplog.text


async def test_admins_see_documents_stats_and_can_reindex(api, bot):
    await answer_to(api, USER, "单位有没有哺乳室")
    (reply,) = await answer_to(api, ADMIN, "/docs")
    assert "现有 2 份文件" in reply["text"] and "鄂工办发〔2023〕7号" in reply["text"]
    (reply,) = await answer_to(api, ADMIN, "/stats")
    assert "问题 1 个" in reply["text"]
    before = len(api.ok("sendMessage", ADMIN))
    api.push_text(ADMIN, "/reindex")
    await api.wait_for(lambda: any("完成" in t for t in api.sent_texts(ADMIN)[before:]))
    assert "2 份文件，34 条条款" in api.sent_texts(ADMIN)[-1]


# ---------------------------------------------------------------------- robustness


async def test_every_question_is_answered_despite_429_502_and_dropped_connections(api, bot):
    api.inject("sendMessage", "429", "502", "drop", "502")
    chats = [USER + i for i in range(4)]
    for chat in chats:
        api.push_text(chat, "单位有没有哺乳室")
    await api.wait_for(lambda: all(api.ok("sendMessage", c) for c in chats), timeout=30)
    outcomes = [c.outcome for c in api.calls if c.method == "sendMessage"]
    assert {"429", "502", "drop"} <= set(outcomes)
    assert all("哺乳" in api.sent_texts(c)[0] for c in chats)


async def test_a_failing_handler_tells_the_user_without_the_traceback(api, tmp_path, caplog):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05)
    async with running(app):
        (reply,) = await answer_to(api, USER, "炸一下")
    assert reply["text"] == SOMETHING_WRONG
    assert "boom" not in reply["text"] and "Traceback" not in reply["text"]
    assert "boom in the core" in caplog.text  # logged, with the traceback


async def test_a_slow_question_does_not_stall_the_others(api, tmp_path):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05)
    async with running(app):
        api.push_text(USER, "慢慢问：单位有没有哺乳室")
        await api.wait_for(lambda: api.delivered)
        api.push_text(USER + 1, "单位有没有哺乳室")
        await api.wait_for(lambda: api.ok("sendMessage", USER) and api.ok("sendMessage", USER + 1))
    order = [int(c.params["chat_id"]) for c in api.calls if c.method == "sendMessage"]
    assert order.index(USER + 1) < order.index(USER)
    # "typing…" is shown for the slow answer only (a fast one saves the request)
    assert api.ok("sendChatAction", USER) and not api.ok("sendChatAction", USER + 1)


async def test_stopping_answers_every_update_already_taken(api, tmp_path):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05)
    async with running(app):
        update_id = api.push_text(USER, "慢一点：单位有没有哺乳室")
        # Taken: the next poll's offset acknowledges it to Telegram. Stop while it is handled.
        await api.wait_for(lambda: update_id < max(api.offsets(), default=0))
        assert not api.ok("sendMessage", USER)
    # The application has stopped, and the answer to the taken update was still sent.
    assert "哺乳" in api.sent_texts(USER)[0]


async def test_the_token_never_appears_in_a_log_line(api, bot, caplog):
    configure_logging(bot.bot_data["niangjia"].settings)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # its request lines carry the URL
    api.inject("sendMessage", "502")
    await answer_to(api, USER, "单位有没有哺乳室")
    assert caplog.records
    assert TOKEN not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------- transport


async def test_webhook_mode_takes_updates_with_the_secret_only(api, tmp_path, qa):
    app = build_application(bot_settings(api, tmp_path), lambda current: qa, retry_backoff=0.05)
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    secret = webhook_secret(TOKEN)
    hook = {"listen": "127.0.0.1", "port": port, "url_path": "hook", "webhook_url": url}
    async with running(app, webhook={**hook, "secret_token": secret}):
        (registered,) = api.ok("setWebhook")
        assert registered["url"] == url and registered["secret_token"] == secret
        assert TOKEN not in secret
        update = {"update_id": 1, "message": api.message(USER, "单位有没有哺乳室")}
        async with aiohttp.ClientSession() as http:
            bad = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, data=json.dumps(update), headers=bad) as r:
                assert r.status == 403
            good = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
            async with http.post(url, data=json.dumps(update), headers=good) as r:
                assert r.status == 200
        await api.wait_for(lambda: api.ok("sendMessage", USER))
    assert len(api.ok("sendMessage", USER)) == 1


async def test_files_come_through_the_configured_file_url(api, bot):
    api.files["doc1"] = "一、测试。".encode()
    telegram_file = await bot.bot.get_file("doc1")
    assert bytes(await telegram_file.download_as_bytearray()) == "一、测试。".encode()
    assert [c.method for c in api.calls if c.method in ("getFile", "download")] == [
        "getFile",
        "download",
    ]


def test_building_without_a_token_is_a_clear_error(tmp_path):
    from bot.errors import NiangjiaError

    with pytest.raises(NiangjiaError, match="TELEGRAM_BOT_TOKEN"):
        build_application(Settings(index_dir=tmp_path))


# ---------------------------------------------------------------------- the query log


async def test_questions_and_feedback_go_to_the_sqlite_log(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    app = build_application(settings, lambda current: qa, retry_backoff=0.05)  # default journal
    async with running(app):
        (reply,) = await answer_to(api, USER, "单位有没有哺乳室")
        await press(api, USER, reply, "👍")
        await answer_to(api, USER, "/stats")  # refused: not an admin
        (stats,) = await answer_to(api, ADMIN, "/stats")
        assert "近 7 天：问题 1 个，已回答 1 个" in stats["text"]
        api.push_text(ADMIN, "/report")
        (document,) = await api.wait_for(lambda: api.ok("sendDocument"))
    page = document["document"]["bytes"].decode("utf-8")
    assert document["document"]["filename"].endswith(".html") and "培训需求分析" in page
    db = connect(settings.querylog_path)
    (row,) = list(db["queries"].rows)
    assert (
        row["text"] == "单位有没有哺乳室" and row["channel"] == "telegram" and row["answered"] == 1
    )
    assert row["index_version"] == qa.index_version
    (feedback,) = list(db["feedback"].rows)
    assert feedback["query_ref"] == row["ref"] and feedback["value"] == 1
    (event,) = list(db["events"].rows)
    assert event["kind"] == "admin_refused" and event["detail"] == "/stats"
    for path in settings.data_dir.iterdir():
        assert str(USER).encode() not in path.read_bytes()


# ---------------------------------------------------------------------- documents


@pytest.fixture
async def admin_bot(api, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = bot_settings(api, tmp_path, knowledge)
    qa = make_qa(knowledge)
    app = build_application(settings, lambda current: qa, RecordingJournal(), retry_backoff=0.05)
    async with running(app):
        yield app, settings


async def test_an_admin_adds_a_pdf_and_the_bot_answers_from_it(api, admin_bot):
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
    assert "哺乳" in during["text"]
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


async def test_a_bad_file_is_refused_and_nothing_changes(api, admin_bot):
    _, settings = admin_bot
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    api.push_media(ADMIN, "document", data=b"\x00\x01binary" * 50)
    await api.wait_for(lambda: api.ok("sendMessage", ADMIN))
    text = api.sent_texts(ADMIN)[-1]
    assert "不能加入" in text and "二进制" in text and "没有改变" in text
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


async def test_remove_needs_confirmation_and_cancel_changes_nothing(api, admin_bot):
    (reply,) = await answer_to(api, USER, "/remove 鄂工办发〔2023〕7号")
    assert reply["text"] == NO_PERMISSION
    (confirm,) = await answer_to(api, ADMIN, "/remove 鄂工办发〔2023〕7号")
    assert "将删除《" in confirm["text"]
    await press(api, ADMIN, confirm, "取消")
    await api.wait_for(lambda: "已取消" in api.sent_texts(ADMIN)[-1])
    (confirm,) = await answer_to(api, ADMIN, "/remove 鄂工办发〔2023〕7号")
    await press(api, ADMIN, confirm, "确认删除")
    await api.wait_for(lambda: any("已删除并上线" in t for t in api.sent_texts(ADMIN)), timeout=60)
    assert "现有 1 份文件" in api.sent_texts(ADMIN)[-1]
    (docs,) = await answer_to(api, ADMIN, "/docs")
    assert "现有 1 份文件" in docs["text"] and "鄂工办发" not in docs["text"]
