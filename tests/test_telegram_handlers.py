"""The conversation end to end: the real python-telegram-bot Application, built as
``niangjia serve`` builds it, against the fake Bot API over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import shutil
import time

import pytest

from bot.config import Settings
from bot.core.answer import QA
from bot.core.replies import book_title
from bot.querylog.store import user_key
from bot.telegram_bot.app import build_application
from bot.telegram_bot.handlers import (
    ASK_AGAIN,
    SOMETHING_WRONG,
    TEXT_ONLY_HINT,
    UNKNOWN_COMMAND,
)
from bot.telegram_bot.render import TELEGRAM_LIMIT, utf16_len
from tests.bot_harness import (
    GROUP,
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
from tests.fake_bot_api import BOT_USERNAME

FEEDBACK = ("👍", "👎")


class SlowQA(QA):
    """Questions containing 慢 take a while; 炸 raises (a bug in the core)."""

    def ask(self, text: str, k: int = 3, method: str = "hybrid"):
        if "炸" in text:
            raise RuntimeError("boom in the core")
        if "慢" in text:
            time.sleep(1.5)
        return super().ask(text, k, method)


async def test_start_lists_the_loaded_documents_and_explains_privacy(api, bot, qa):
    (commands,) = api.ok("setMyCommands")
    assert [c["command"] for c in commands["commands"]] == ["start", "help", "dept", "clause"]
    (reply,) = await answer_to(api, USER, "/start")
    assert "娘家人" in reply["text"] and reply["parse_mode"] == "HTML"
    assert "隐私" in reply["text"] and "不保存您的 Telegram" in reply["text"]
    for doc in qa.docs:
        assert book_title(doc.title) in reply["text"]
    assert f"· {HUBEI_TITLE}（湖北方案）" in reply["text"]  # 《》 inside become 〈〉
    assert reply["text"].count("· ") == len(qa.docs) + 3  # the documents, three examples
    (reply,) = await answer_to(api, USER, "/help")
    assert "/dept" in reply["text"] and "/clause" in reply["text"]


async def test_an_answer_carries_title_departments_parallel_and_buttons(api, bot):
    (reply,) = await answer_to(api, USER, "哪个部门负责婚恋交友服务")
    text = reply["text"]
    assert "湖北方案 第4项「提升女职工生活品质」" in text
    assert "鄂工办发〔2023〕7号" in text
    departments = (
        "女职工部、宣传部（网络工作部）、权益保障部（法律工作部）、经济技术劳动保护部、基层工作部"
    )
    assert f"责任单位是：{departments}" in text
    assert text.count(departments) == 1  # said in the lead, not again under the clause
    assert "对应条款：全总意见 第（六）条「提升女职工生活品质」" in text
    labels = [label for label, _ in buttons(reply)]
    assert labels == ["全文", "更多相关条款", "对应条款", "👍", "👎"]
    assert all(len(data.encode()) <= 64 for _, data in buttons(reply))  # Telegram's limit
    (record,) = logged(bot, "queries")
    assert record["channel"] == "telegram" and record["intent"] == "who" and record["answered"]
    assert str(USER) not in record["user_key"] and len(record["user_key"]) == 32


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
    full = api.ok("sendMessage", USER)[-1]
    clause = qa.by_code["鄂工办发〔2023〕7号"].clause_by_number("4")
    assert clause.text[-30:] in full["text"]
    assert [label for label, _ in buttons(full)] == ["对应条款"]

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
    assert buttons(more) and all(label.startswith("全文：") for label, _ in buttons(more))


async def test_feedback_is_recorded_once_and_its_buttons_go(api, bot):
    (reply,) = await answer_to(api, USER, "单位有没有哺乳室")
    before = await press(api, USER, reply, "👍")
    assert "谢谢" in api.ok("answerCallbackQuery")[before]["text"]
    (edit,) = await api.wait_for(lambda: api.ok("editMessageReplyMarkup"))
    labels = [label for label, _ in buttons(edit)]
    assert "全文" in labels and not set(FEEDBACK) & set(labels)
    before = await press(api, USER, reply, "👎")  # a second press on the old message
    assert "已经收到" in api.ok("answerCallbackQuery")[before]["text"]
    (question,) = logged(bot, "queries")
    (feedback,) = logged(bot, "feedback")
    assert feedback["query_ref"] == question["ref"] and feedback["value"] == 1
    assert str(USER) not in feedback["user_key"]


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "1|f|AAAAAAAAAAAA|0",  # the wire format of an older version
        "0" * 64,  # an id the bot never issued (or has forgotten)
        "٣",
        "",
    ],
)
async def test_stale_or_forged_buttons_get_ask_again(api, bot, data):
    message = api.message(USER, "旧消息", from_bot=True)
    api.push_callback(USER, message, data)
    (answered,) = await api.wait_for(lambda: api.ok("answerCallbackQuery"))
    assert answered["text"] == ASK_AGAIN
    assert SOMETHING_WRONG not in " ".join(api.sent_texts(USER))


async def test_out_of_scope_is_honest_with_nearest_topics_as_buttons(api, tmp_path):
    qa = make_qa(threshold=1.01)  # nothing is confident enough: every question is declined
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    async with running(app):
        (reply,) = await answer_to(api, USER, "产假有多少天")
        assert reply["text"].startswith("这两份文件没有直接规定")
        topics = [label for label, _ in buttons(reply) if label not in FEEDBACK]
        assert 1 <= len(topics) <= 3
        n = len(api.ok("sendMessage", USER))
        await press(api, USER, reply, topics[0])
        await api.wait_for(lambda: len(api.ok("sendMessage", USER)) > n)
        assert topics[0].rstrip("…") in api.ok("sendMessage", USER)[-1]["text"]


async def test_dept_and_clause_commands(api, bot):
    (reply,) = await answer_to(api, USER, "/dept 宣传部")
    assert "宣传部（网络工作部）是以下 6 条工作的责任单位" in reply["text"]
    assert len([b for b in buttons(reply) if b[0] not in FEEDBACK]) == 6
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
    app = build_application(bot_settings(api, tmp_path, knowledge), lambda: qa, retry_backoff=0.05)
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


async def test_an_unknown_command_gets_a_pointer_to_help(api, bot):
    for command in ("/foo", "/foo 哺乳室", f"/Foo@{BOT_USERNAME}"):
        (reply,) = await answer_to(api, USER, command)
        assert reply["text"] == UNKNOWN_COMMAND
    (reply,) = await answer_to(api, GROUP, f"/foo@{BOT_USERNAME}", user_id=USER)
    assert reply["text"] == UNKNOWN_COMMAND
    api.push_text(GROUP, "/foo", user_id=USER)  # maybe another bot's
    api.push_text(GROUP, "/start@someone_else_bot", user_id=USER)
    api.push_text(USER, "/foo@someone_else_bot")
    await answer_to(api, USER, "/help")  # once this is answered, the others were seen
    await asyncio.sleep(0.2)
    assert len(api.ok("sendMessage", GROUP)) == 1 and len(api.ok("sendMessage", USER)) == 4
    assert not logged(bot, "queries")  # a command not understood is no question


async def test_group_chats_answer_only_mentions_replies_and_commands(api, bot):
    api.push_text(GROUP, "大家好，今天开会", user_id=USER, chat_type="supergroup")
    replies = await answer_to(api, GROUP, f"@{BOT_USERNAME} 单位有没有哺乳室", user_id=USER)
    assert len(replies) == 1 and re.search("母婴室|哺乳室", replies[0]["text"])
    assert replies[0]["reply_parameters"]["message_id"] > 0
    bot_message = api.message(GROUP, "之前的回答", from_bot=True)
    replies = await answer_to(api, GROUP, "那外卖骑手呢", user_id=USER, reply_to=bot_message)
    assert len(replies) == 1
    replies = await answer_to(api, GROUP, f"/help@{BOT_USERNAME}", user_id=USER)
    assert "/dept" in replies[0]["text"]
    api.push_text(GROUP, "@someone_else 哺乳室在哪", user_id=USER)
    api.push_media(GROUP, "sticker", user_id=USER)
    api.push_media(GROUP, "document", user_id=USER, data=b"not for the bot")
    await answer_to(api, USER, "/help")  # once this is answered, the group updates were seen
    await asyncio.sleep(0.2)
    assert len(api.ok("sendMessage", GROUP)) == 3
    assert not logged(bot, "events")  # a document in a group is not an admin upload refused


async def test_media_gets_a_text_only_hint_once(api, bot):
    for kind in ("sticker", "photo", "voice", "sticker"):
        api.push_media(USER, kind, data=b"x")
    await answer_to(api, USER, "/help")  # once this is answered, the media were seen
    await asyncio.sleep(0.2)
    texts = api.sent_texts(USER)
    assert texts.count(TEXT_ONLY_HINT) == 1 and len(texts) == 2
    hint = next(p for p in api.ok("sendMessage", USER) if p["text"] == TEXT_ONLY_HINT)
    assert "reply_markup" not in hint


async def test_empty_huge_and_control_text_get_clear_answers(api, bot):
    for text in ("\u200b\u0007", "哺" * 5000, "😀😀😀", "hello there"):
        (reply,) = await answer_to(api, USER, text)
        assert reply["text"] and SOMETHING_WRONG not in reply["text"]


async def test_a_flood_gets_the_answers_up_to_the_limit_and_one_notice(api, tmp_path, qa):
    app = build_application(
        bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05, questions_per_minute=5
    )
    async with running(app):
        flood = [api.push_text(USER, f"单位有没有哺乳室{i}") for i in range(60)]
        await api.wait_for(lambda: api.delivered.issuperset(flood))
        api.push_text(USER + 1, "单位有没有哺乳室")  # someone else is not held up
        await api.wait_for(lambda: api.ok("sendMessage", USER + 1))
        (answered,) = [p for p in api.ok("sendMessage", USER) if "reply_markup" in p][:1]
        # Buttons count too: the flood's window is still open, so a press is dropped quietly.
        before = len(api.ok("answerCallbackQuery"))
        api.push_callback(USER, api.sent_message(answered), buttons(answered)[0][1])
        await api.wait_for(lambda: len(api.ok("answerCallbackQuery")) > before)
        await asyncio.sleep(0.3)
    texts = api.sent_texts(USER)
    notices = [t for t in texts if t.startswith("您发得太快了，请")]
    assert len(notices) == 1 and len(texts) == 6 and notices[0].endswith("秒后再试。")
    assert SOMETHING_WRONG not in texts
    assert not api.ok("answerCallbackQuery")[before].get("text")  # already told once
    assert re.search("母婴室|哺乳室", api.sent_texts(USER + 1)[0])


async def test_button_presses_count_against_the_limit(api, tmp_path, qa):
    app = build_application(
        bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05, questions_per_minute=3
    )
    async with running(app):
        (reply,) = await answer_to(api, USER, "单位有没有哺乳室")
        data = dict(buttons(reply))["全文"]
        for _ in range(10):
            api.push_callback(USER, api.sent_message(reply), data)
        await api.wait_for(lambda: len(api.ok("answerCallbackQuery")) == 10)
        await asyncio.sleep(0.2)
    toasts = [p.get("text") for p in api.ok("answerCallbackQuery")]
    assert sum(1 for t in toasts if t and t.startswith("您发得太快了")) == 1
    assert len(api.sent_texts(USER)) == 3  # the answer and two presses' full texts


async def test_a_failing_handler_tells_the_user_without_the_traceback(api, tmp_path, caplog):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    async with running(app):
        (reply,) = await answer_to(api, USER, "炸一下")
    assert reply["text"] == SOMETHING_WRONG
    assert "boom" not in reply["text"] and "Traceback" not in reply["text"]
    assert "boom in the core" in caplog.text  # logged, with the traceback


async def test_a_slow_question_does_not_stall_the_others(api, tmp_path):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
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
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    async with running(app):
        update_id = api.push_text(USER, "慢一点：单位有没有哺乳室")
        # Taken: the next poll's offset acknowledges it to Telegram. Stop while it is handled.
        await api.wait_for(lambda: update_id < max(api.offsets(), default=0))
        assert not api.ok("sendMessage", USER)
    # The application has stopped, and the answer to the taken update was still sent.
    assert re.search("母婴室|哺乳室", api.sent_texts(USER)[0])


# ---------------------------------------------------------------------- a conversation


HUBEI_4_DEPTS = "女职工部、宣传部（网络工作部）、权益保障部（法律工作部）"


async def test_follow_ups_resolve_against_the_last_answer(api, bot, qa):
    (reply,) = await answer_to(api, USER, "你好")
    assert "娘家人" in reply["text"] and "reply_markup" not in reply
    await answer_to(api, USER, "全总意见第（六）条")
    (reply,) = await answer_to(api, USER, "那谁负责？")
    assert "接上一条：全总意见 第（六）条「提升女职工生活品质」" in reply["text"]
    assert HUBEI_4_DEPTS in reply["text"] and "湖北方案 第4项" in reply["text"]
    (reply,) = await answer_to(api, USER, "详细说说")
    clause = qa.by_code["鄂工办发〔2023〕7号"].clause_by_number("4")
    assert clause.text[-30:] in reply["text"]
    (reply,) = await answer_to(api, USER, "下一项")
    assert "湖北方案 第5项" in reply["text"]
    rows = logged(bot, "queries")
    assert [r["followup"] for r in rows] == ["smalltalk", "", "who", "full", "next"]
    assert rows[2]["context"] == "全总意见 第（六）条「提升女职工生活品质」"


async def test_a_follow_up_still_works_after_the_bot_restarts(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        await answer_to(api, USER, "全总意见第（六）条")
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        (reply,) = await answer_to(api, USER, "那谁负责？")
    assert HUBEI_4_DEPTS in reply["text"] and "接上一条" in reply["text"]


async def test_no_context_after_start_or_when_it_expired(api, tmp_path, qa):
    settings = bot_settings(api, tmp_path)
    async with running(build_application(settings, lambda: qa, retry_backoff=0.05)):
        await answer_to(api, USER, "全总意见第（六）条")
        await answer_to(api, USER, "/start")
        (reply,) = await answer_to(api, USER, "那谁负责？")
        assert "不太确定您指的是哪一项工作" in reply["text"]
    stale = Settings(**{**settings.__dict__, "dialogue_minutes": 0})
    async with running(build_application(stale, lambda: qa, retry_backoff=0.05)):
        await answer_to(api, USER, "全总意见第（六）条")
        (reply,) = await answer_to(api, USER, "那谁负责？")
        assert "不太确定您指的是哪一项工作" in reply["text"]


async def test_in_groups_each_person_has_a_conversation_and_a_reply_picks_the_answer(api, bot):
    (first,) = await answer_to(api, GROUP, f"@{BOT_USERNAME} 全总意见第（六）条", user_id=USER)
    await answer_to(api, GROUP, f"@{BOT_USERNAME} 全总意见第（八）条", user_id=USER + 1)
    (mine,) = await answer_to(api, GROUP, f"@{BOT_USERNAME} 那谁负责", user_id=USER)
    assert HUBEI_4_DEPTS in mine["text"]  # USER's own conversation, not USER+1's
    # USER+1 replies to the answer USER got: that answer is the context.
    replied = api.sent_message(first)
    (theirs,) = await answer_to(api, GROUP, "详细说说", user_id=USER + 1, reply_to=replied)
    assert "接上一条：全总意见 第（六）条" in theirs["text"]


async def test_saying_it_is_wrong_gives_the_next_clause_and_counts_against_the_answer(
    api, bot, monkeypatch
):
    import bot.core.dialogue as dialogue_module

    monkeypatch.setattr(dialogue_module, "RANKING_SHARE", 0.0)  # the fake encoder's scores
    await answer_to(api, USER, "婚恋交友服务")
    (reply,) = await answer_to(api, USER, "不对")
    assert "那可能是这一条" in reply["text"]
    rows = logged(bot, "queries")
    (feedback,) = logged(bot, "feedback")
    assert feedback["value"] == -1 and feedback["query_ref"] == rows[0]["ref"]
    assert rows[1]["followup"] == "alternative"


async def test_in_a_group_each_person_gives_feedback_once_and_the_buttons_stay(api, bot):
    (reply,) = await answer_to(api, GROUP, f"@{BOT_USERNAME} 全总意见第（六）条", user_id=USER)
    for user in (USER, USER + 1):
        before = await press(api, user, reply, "👍")
        assert "谢谢" in api.ok("answerCallbackQuery")[before]["text"]
    before = await press(api, USER + 1, reply, "👎")
    assert "已经收到" in api.ok("answerCallbackQuery")[before]["text"]
    assert not api.ok("editMessageReplyMarkup")
    feedback = logged(bot, "feedback")
    assert len(feedback) == 2 and feedback[0]["user_key"] != feedback[1]["user_key"]
    assert {f["query_ref"] for f in feedback} == {logged(bot, "queries")[0]["ref"]}


async def test_edits_are_not_new_questions(api, bot):
    edited = api.message(USER, "单位有没有哺乳室")
    api._push({"edited_message": {**edited, "edit_date": edited["date"]}})
    live = api.message(USER, None)
    live["location"] = {"latitude": 30.5, "longitude": 114.3, "live_period": 900}
    api._push({"edited_message": {**live, "edit_date": live["date"]}})
    await answer_to(api, USER, "/help")  # once this is answered, the edits were seen
    await asyncio.sleep(0.2)
    texts = api.sent_texts(USER)
    assert len(texts) == 1 and "/dept" in texts[0]
    assert SOMETHING_WRONG not in texts


async def test_in_a_private_chat_a_reply_picks_up_an_older_answer(api, bot):
    (first,) = await answer_to(api, USER, "全总意见第（六）条")
    await answer_to(api, USER, "全总意见第（八）条")
    (reply,) = await answer_to(api, USER, "谁负责", reply_to=api.sent_message(first))
    assert HUBEI_4_DEPTS in reply["text"] and "接上一条：全总意见 第（六）条" in reply["text"]


async def test_no_kind_of_update_reaches_the_error_path(api, bot, caplog):
    """Edits (text, commands, photos, live locations), channel posts, membership changes,
    reactions, inline queries and buttons under inline messages: each is ignored
    quietly or gets the text-only hint, never 抱歉."""
    person = {"id": USER, "is_bot": False, "first_name": "小红"}
    channel = {"id": -100555, "type": "channel", "title": "频道"}
    group = {"id": GROUP, "type": "supergroup", "title": "女职工群"}

    def edited(extra: dict) -> dict:
        message = api.message(USER, None)
        return {**message, **extra, "edit_date": message["date"]}

    photo = [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]
    live = {"latitude": 30.5, "longitude": 114.3, "live_period": 900}
    post = {"message_id": 7, "date": 1, "chat": channel, "text": "单位有没有哺乳室"}
    command = {"bot_command": [{"type": "bot_command", "offset": 0, "length": 6}]}
    member = {"status": "member", "user": api.bot_user()}
    kicked = {"status": "kicked", "user": api.bot_user(), "until_date": 0}
    updates = [
        ("edited_message", edited({"text": "单位有没有哺乳室"})),
        ("edited_message", edited({"text": "/start", "entities": command["bot_command"]})),
        ("edited_message", edited({"photo": photo})),
        ("edited_message", edited({"location": live})),
        ("channel_post", post),
        ("channel_post", {**post, "text": "/start", "entities": command["bot_command"]}),
        ("edited_channel_post", {**post, "edit_date": 2}),
        ("my_chat_member", {"chat": group, "from": person, "date": 1,
                            "old_chat_member": member, "new_chat_member": kicked}),
        ("chat_member", {"chat": group, "from": person, "date": 1,
                         "old_chat_member": {"status": "left", "user": person},
                         "new_chat_member": {"status": "member", "user": person}}),
        ("message_reaction", {"chat": group, "message_id": 5, "date": 1, "user": person,
                              "old_reaction": [], "new_reaction": [{"type": "emoji",
                                                                    "emoji": "👍"}]}),
        ("inline_query", {"id": "iq", "from": person, "query": "哺乳室", "offset": ""}),
        ("callback_query", {"id": "cq", "from": person, "chat_instance": "ci",
                            "inline_message_id": "im", "data": "forged"}),
        ("message", {**api.message(USER, None), "location": live}),
        ("message", {**api.message(USER, None), "dice": {"emoji": "🎲", "value": 3}}),
        ("message", {**api.message(GROUP, None), "new_chat_members": [person]}),
        ("message", {**api.message(USER, None), "photo": photo, "caption": "看看这个"}),
    ]  # fmt: skip
    for kind, content in updates:
        api.push_update(kind, content)
    await answer_to(api, USER, "/help")  # once this is answered, the others were seen
    await asyncio.sleep(0.3)
    texts = api.sent_texts(USER)
    assert texts.count(TEXT_ONLY_HINT) == 1 and len(texts) == 2  # the hint once, and /help
    assert not api.ok("sendMessage", channel["id"]) and not api.ok("sendMessage", GROUP)
    assert all(p.get("text") != SOMETHING_WRONG for p in api.ok("answerCallbackQuery"))
    assert "error while handling" not in caplog.text


async def test_the_error_log_names_the_person_by_pseudonym_only(api, tmp_path, caplog):
    qa = make_qa(cls=SlowQA)
    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    async with running(app):
        await answer_to(api, USER + 77, "炸一下")
    (record,) = [r for r in caplog.records if r.getMessage().startswith("error while handling")]
    assert str(USER + 77) not in record.getMessage() and "小红" not in record.getMessage()
    assert record.getMessage().endswith(user_key(USER + 77, "test-secret")[:8])
