"""What the bot does with each update a person sends: questions, commands, buttons, media.

Handlers are module-level functions in the manner of python-telegram-bot's examples; what they
share (the settings, the question answering, the query log, the limits, the worker threads)
is one ``BotState`` in ``bot_data``. Retrieval runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from telegram import LinkPreviewOptions, Message, MessageEntity, ReplyParameters, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.core.answer import QA
from bot.core.dialogue import Context, Dialogue, Turn
from bot.core.live import release_free_memory
from bot.core.replies import Answer
from bot.querylog.store import QueryLog, user_key
from bot.telegram_bot.keyboards import (
    InvalidButton,
    Press,
    answer_keyboard,
    clause_keyboard,
    more_keyboard,
    parse,
    without_feedback,
)
from bot.telegram_bot.ratelimit import SlidingWindowLimiter
from bot.telegram_bot.render import (
    Para,
    answer_paras,
    help_paras,
    hit_paras,
    more_paras,
    pack,
    start_paras,
)

log = logging.getLogger(__name__)

TEXT_ONLY_HINT = "我只能读文字消息。请用文字把问题发给我，例如：单位有没有哺乳室？"
FLOODING = "您发得太快了，请 {seconds} 秒后再试。"
ASK_AGAIN = "这个按钮已失效，请重新提问。"
SOMETHING_WRONG = "抱歉，处理您的消息时出了点问题，请稍后再试。"
NOT_READY = "正在加载文件和模型，请稍后再试。"
CLAUSE_GONE = "这一条已不在现有文件中，请重新提问。"
NO_PARALLEL = "这一条没有对应的条款。"
UNKNOWN_COMMAND = "不认识这个命令，可以发送 /help 看看能做什么。"
FEEDBACK_NOTE = {1: "谢谢您的反馈 👍", -1: "谢谢您的反馈 👎，我们会改进。"}
FEEDBACK_AGAIN = "已经收到您的反馈了，谢谢！"
TYPING_AFTER = 0.5  # seconds
FEEDBACK_KEPT = 200  # per chat, the answers whose feedback is remembered
SPEAKERS_KEPT = 50  # per chat, the people whose conversation is remembered (groups)
ANSWERS_KEPT = 50  # per group, the answers a reply can pick up
HINT_EVERY = 10 * 60  # seconds: the text-only hint once in this long per chat


def _report(done: asyncio.Future) -> None:
    """A failure of work nobody awaits, logged (else only "exception never retrieved")."""
    if not done.cancelled() and done.exception() is not None:
        log.warning("giving memory back failed: %s", done.exception())


@dataclass
class BotState:
    """What every handler shares; lives in ``bot_data["state"]`` and is never persisted."""

    settings: Settings
    load_qa: Callable[[], QA]
    querylog: QueryLog
    limiter: SlidingWindowLimiter
    executor: ThreadPoolExecutor
    salt: str  # NIANGJIA_LOG_SECRET, or else a random key kept in the data folder
    qa: QA | None = None
    dialogue: Dialogue | None = None
    change_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    serving: str | None = None  # the index version answering now (its folder's name)

    def use(self, qa: QA) -> None:
        """Answer from ``qa`` from now on (questions in flight finish on the old one). The
        heap's free pages are given back in a worker thread: a collection over a few hundred
        megabytes would stall every chat if it ran on the event loop."""
        self.qa = qa
        self.dialogue = Dialogue(qa, ttl=self.settings.dialogue_minutes * 60)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script, a test): here and now
            release_free_memory()
            return
        loop.run_in_executor(self.executor, release_free_memory).add_done_callback(_report)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Blocking core work, in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def user_key(self, update: Update) -> str:
        """The pseudonym the query log knows a person by (never the Telegram id)."""
        user = update.effective_user
        return user_key(user.id if user else None, self.settings.log_secret)

    def keyed(self, purpose: str, value: str, length: int) -> str:
        """A keyed hash for one purpose: what the bot keeps by chat (message ids, speakers) can
        then be joined to the query log (its refs, its user keys) only with the secret."""
        message = f"{purpose}:{value}".encode()
        return hmac.new(self.salt.encode(), message, hashlib.sha256).hexdigest()[:length]

    def log_ref(self, chat_id: int, message_id: int) -> str:
        """The query log's reference of the answer sent as this message."""
        return self.keyed("answer", f"{chat_id}:{message_id}", 12)

    def speaker(self, update: Update) -> str:
        """Whose conversation a message belongs to within its chat (one per person in groups):
        not the query log's user key, nor any part of it."""
        user = update.effective_user
        return self.keyed("speaker", str(user.id) if user else "", 16)

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.admin_ids

    def record_event(self, kind: str, update: Update, detail: str) -> None:
        """Write to the query log; a failure is logged, never raised: it costs no answer."""
        try:
            self.querylog.record_event(kind, self.user_key(update), detail)
        except Exception:
            log.exception("query log write failed")


def state_of(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.bot_data["state"]


async def flooding(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when this person is over the limit (questions, commands and button presses count
    alike); they are told so once a window, the rest is dropped quietly."""
    user = update.effective_user
    if user is None:
        return False
    verdict = state_of(context).limiter.check(user.id)
    if verdict.allowed:
        return False
    notice = FLOODING.format(seconds=max(1, math.ceil(verdict.retry_after)))
    query = update.callback_query
    if query is not None:  # callback queries must be answered, or the button keeps spinning
        await query.answer(notice if verdict.notify else None)
    elif verdict.notify:
        await say(update, context, notice)
    return True


# ---------------------------------------------------------------------- sending


async def send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, paras: list[Para], markup: Any = None
) -> Message | None:
    """Paragraphs as one or more HTML messages; the buttons go under the last one. In groups
    the first message replies to the question it answers."""
    chat = update.effective_chat
    quote = None
    if chat.type != ChatType.PRIVATE and update.message is not None:
        quote = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
    texts = pack(paras)
    sent = None
    for i, text in enumerate(texts):
        sent = await context.bot.send_message(
            chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if i == len(texts) - 1 else None,
            reply_parameters=quote if i == 0 else None,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    return sent


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    await send(update, context, [Para(line) for line in text.split("\n")])


# ---------------------------------------------------------------------- questions


def addressed_text(update: Update, bot_id: int, username: str | None) -> str | None:
    """The question in a message meant for the bot, or None (in groups: a mention or a reply
    to the bot)."""
    message = update.message
    if message is None or message.text is None:
        return None
    if update.effective_chat.type == ChatType.PRIVATE:
        return message.text
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return message.text
    text, addressed = message.text, False
    mentions = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    for entity, value in mentions.items():
        is_us = (
            entity.type == MessageEntity.MENTION
            and value.lstrip("@").lower() == (username or "").lower()
        ) or (entity.type == MessageEntity.TEXT_MENTION and entity.user.id == bot_id)
        if is_us:
            addressed = True
            text = text.replace(value, " ")
    return text.strip() if addressed else None


def conversation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Context | None:
    """What this person's conversation in this chat is about: the answer replied to, when the
    message replies to one of the bot's answers, else the last one."""
    state = state_of(context)
    message = update.message
    replied = message.reply_to_message if message is not None else None
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        kept = context.chat_data.get("answers", {}).get(str(replied.message_id))
        if kept is not None:
            found = Context.from_dict(kept)
            if found is not None:
                found.at = time.time()
            return found
    kept = context.chat_data.get("dialogue", {}).get(state.speaker(update))
    return Context.from_dict(kept)


def remember(
    update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn, message: Message | None
) -> None:
    """Keep the conversation's new context (and, by answer, for replies to it)."""
    state = state_of(context)
    talks: dict[str, dict] = context.chat_data.setdefault("dialogue", {})
    talks.pop(state.speaker(update), None)
    if turn.context is None:
        return
    if message is not None:
        turn.name_answer(str(message.message_id))
    talks[state.speaker(update)] = turn.context.to_dict()
    for old in list(talks)[:-SPEAKERS_KEPT]:
        del talks[old]
    if message is not None and turn.answer.answered:
        answers: dict[str, dict] = context.chat_data.setdefault("answers", {})
        answers[str(message.message_id)] = turn.context.to_dict()
        for old in list(answers)[:-ANSWERS_KEPT]:
            del answers[old]


async def respond(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    answer_with: Callable[[Dialogue, Context | None], Turn],
) -> None:
    """Answer in a worker thread, send the reply with its buttons, log it, keep the context."""
    state = state_of(context)
    if await flooding(update, context):
        return
    dialogue, qa = state.dialogue, state.qa
    if dialogue is None or qa is None:
        await say(update, context, NOT_READY)
        return
    started = time.perf_counter()
    talk = conversation(update, context)
    pending = asyncio.ensure_future(state.run(answer_with, dialogue, talk))
    done, _ = await asyncio.wait({pending}, timeout=TYPING_AFTER)
    if not done:  # a slow answer: show "typing…" (a fast one saves the request)
        try:
            await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
        except TelegramError as exc:  # only a courtesy; the answer matters
            log.info("chat action failed: %s", exc)
    turn: Turn = await pending
    latency = (time.perf_counter() - started) * 1000
    chat_id = update.effective_chat.id
    sent = await send(update, context, answer_paras(turn.answer), answer_keyboard(turn.answer))
    remember(update, context, turn, sent)
    ref = state.log_ref(chat_id, sent.message_id) if sent else secrets.token_hex(6)
    try:
        rejected = None
        given: dict[str, int] = context.chat_data.setdefault("feedback", {})
        said = f"{turn.rejected_ref}:{state.speaker(update)}"
        if turn.rejected_ref.isdigit() and said not in given:  # 不对: a 👎, once
            given[said] = -1
            rejected = state.log_ref(chat_id, int(turn.rejected_ref))
        state.querylog.record_turn(
            turn,
            channel="telegram",
            chat_type=update.effective_chat.type,
            user=state.user_key(update),
            text=text,
            latency_ms=latency,
            index_version=qa.index_version,
            ref=ref,
            rejected=rejected,
        )
    except Exception:
        log.exception("query log write failed")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question in words: answered from the documents."""
    text = addressed_text(update, context.bot.id, context.bot.username)
    if text is None:
        return
    await respond(update, context, text, lambda dialogue, talk: dialogue.respond(text, talk))


def command_turn(ask: Callable[[QA], Answer]) -> Callable[[Dialogue, Context | None], Turn]:
    """A command's answer as a fresh turn, starting a new context (/dept 宣传部, 那组织部呢)."""

    def turn(dialogue: Dialogue, talk: Context | None) -> Turn:
        answer = ask(dialogue.qa)
        return Turn(answer, dialogue.context_of(answer))

    return turn


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Who the bot is, which documents it answers from, example questions; a new conversation."""
    if await flooding(update, context):
        return
    state = state_of(context)
    context.chat_data.get("dialogue", {}).pop(state.speaker(update), None)
    qa = state.qa
    examples = tuple(state.dialogue.examples) if state.dialogue else ()
    await send(update, context, start_paras(qa.docs if qa else [], examples))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, and the commands."""
    if await flooding(update, context):
        return
    await send(update, context, help_paras())


async def dept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dept 部门: the clauses a department is responsible for."""
    name = " ".join(context.args or [])
    if not name.strip():
        await say(update, context, "请在 /dept 后写部门名称，例如：/dept 宣传部")
        return
    ask_dept = command_turn(lambda qa: qa.ask_department(name))
    await respond(update, context, f"/dept {name}", ask_dept)


async def clause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/clause 文件 编号: one clause in full."""
    args = context.args or []
    if not args:
        await say(update, context, "请写出文件和编号，例如：/clause 湖北 4 或 /clause 全总 五")
        return
    text = "/clause " + " ".join(args)
    if len(args) >= 2:
        doc, number = args[0], "".join(args[1:])
        await respond(update, context, text, command_turn(lambda qa: qa.ask_clause(doc, number)))
    else:
        await respond(update, context, text, command_turn(lambda qa: qa.ask(args[0])))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have (/foo): a pointer to /help. In a group only when the
    command names the bot (/foo@this_bot): a bare /foo there may be meant for another bot."""
    command = (update.message.text or "").split()[0]
    _, _, addressee = command.partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    if not addressee and update.effective_chat.type != ChatType.PRIVATE:
        return
    if await flooding(update, context):
        return
    await say(update, context, UNKNOWN_COMMAND)


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: a hint to write, in private chats only and once in
    a while (a run of stickers draws one hint)."""
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        return
    now = time.time()
    if now - context.chat_data.get("hinted_at", 0) < HINT_EVERY:
        return
    context.chat_data["hinted_at"] = now
    await say(update, context, TEXT_ONLY_HINT)


# ---------------------------------------------------------------------- buttons


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """全文 / 更多相关条款 / 对应条款 / 👍 / 👎 under an answer."""
    query = update.callback_query
    if await flooding(update, context):
        return
    try:
        press = parse(query.data)
    except InvalidButton as exc:
        log.info("button data not understood: %s", exc)
        await query.answer(ASK_AGAIN)
        return
    if update.effective_chat is None:  # a button under an inline message: no chat to answer in
        await query.answer(ASK_AGAIN)
        return
    qa = state_of(context).qa
    if qa is None:
        await query.answer(NOT_READY)
        return
    if press.action in ("up", "down"):
        await feedback(update, context, press)
        return
    await query.answer()  # callback queries must be answered, or the button keeps spinning
    found = [(qa.clause_of(ref), sentence) for ref, sentence in press.refs]
    clauses = [(c, s) for c, s in found if c is not None]
    if not clauses:
        await say(update, context, CLAUSE_GONE)
        return
    if press.action == "full":
        hit = qa.hit(clauses[0][0], best=clauses[0][1])
        await send(update, context, hit_paras(hit, full=True), clause_keyboard(hit))
    elif press.action == "more":
        hits = [qa.hit(c, best=s) for c, s in clauses]
        await send(update, context, more_paras(hits), more_keyboard(hits))
    elif press.action == "par":
        parallel = clauses[0][0].parallel
        target = qa.clause_of(parallel) if parallel else None
        if target is None:
            await say(update, context, NO_PARALLEL)
            return
        await send(update, context, hit_paras(qa.hit(target), full=True))


async def expired_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button whose data the bot no longer keeps (or never issued)."""
    await update.callback_query.answer(ASK_AGAIN)


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE, press: Press) -> None:
    """👍 / 👎: recorded once per answer and person; in a private chat the buttons then go
    (in a group the others may still want to press them)."""
    query = update.callback_query
    state = state_of(context)
    message = query.message
    if not isinstance(message, Message):  # too old: Telegram no longer sends its content
        await query.answer(ASK_AGAIN)
        return
    given: dict[str, int] = context.chat_data.setdefault("feedback", {})
    key = f"{message.message_id}:{state.speaker(update)}"
    if key in given:
        await query.answer(FEEDBACK_AGAIN)
        return
    value = 1 if press.action == "up" else -1
    given[key] = value
    for old in list(given)[:-FEEDBACK_KEPT]:
        del given[old]
    try:
        ref = state.log_ref(message.chat.id, message.message_id)
        state.querylog.record_feedback(ref, value, state.user_key(update))
    except Exception:
        log.exception("query log write failed")
    await query.answer(FEEDBACK_NOTE[value])
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        await query.edit_message_reply_markup(without_feedback(message.reply_markup))
    except BadRequest as exc:  # too old to edit
        log.info("could not take the feedback buttons off: %s", exc)


# ---------------------------------------------------------------------- errors


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback under the person's pseudonym (never their id or name); tell them
    something went wrong, never what."""
    who = ""
    if isinstance(update, Update) and "state" in context.bot_data:
        who = state_of(context).user_key(update)[:8]
    log.error("error while handling an update from %s", who or "-", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(SOMETHING_WRONG)
            else:
                await context.bot.send_message(update.effective_chat.id, SOMETHING_WRONG)
        except TelegramError:
            log.warning("could not tell the user about the error")
