"""The Telegram bot: a thin python-telegram-bot shell over the Q&A core.

``build_application`` makes the ``Application`` that ``niangjia serve`` runs and the tests drive
against a local fake Bot API. Retrieval runs in worker threads, never on the event loop; the
model and index load once in ``post_init``, before the first update is taken.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.core.answer import QA, Answer
from bot.core.documents import ClauseRef
from bot.errors import NiangjiaError
from bot.ingest.changes import add_document, remove_document
from bot.ingest.files import check_size, preview
from bot.querylog.journal import Journal, LogJournal, QueryRecord, user_key
from bot.querylog.report import build_report
from bot.querylog.store import QueryLog
from bot.telegram_bot.keyboards import (
    ADMIN_ACTIONS,
    AnswerCache,
    Callback,
    InvalidCallback,
    Stored,
    decode,
    new_token,
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

COMMANDS = [
    BotCommand("start", "介绍与示例问题"),
    BotCommand("help", "使用说明"),
    BotCommand("dept", "某个部门负责哪些工作，如 /dept 宣传部"),
    BotCommand("clause", "查看条款，如 /clause 湖北 4"),
]
ADMIN_COMMANDS = ("reindex", "stats", "docs", "report", "remove")
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
)
TEXT_ONLY_HINT = "我只能读文字消息。请用文字把问题发给我，例如：单位有没有哺乳室？"
RATE_LIMITED = "您提问有点快，请稍后再试。"
ASK_AGAIN = "这个按钮已失效，请重新提问。"
SOMETHING_WRONG = "抱歉，处理您的消息时出了点问题，请稍后再试。"
NOT_READY = "正在加载文件和模型，请稍后再试。"
NO_PERMISSION = "无权限：这个命令只对管理员开放。"
NO_PERMISSION_DOCS = "无权限：只有管理员可以添加文件。如有问题，请直接用文字发给我。"
PENDING_SECONDS = 30 * 60
TYPING_AFTER = 0.5  # seconds
FEEDBACK_NOTE = {1: "谢谢您的反馈 👍", -1: "谢谢您的反馈 👎，我们会改进。"}

LoadQA = Callable[[QA | None], QA]


class RetryingRateLimiter(AIORateLimiter):
    """Telegram's flood limits (``AIORateLimiter``, which also retries 429s), plus retries with
    exponential backoff for dropped connections, time-outs and 5xx answers, so that an answer
    is not lost to a passing network fault. ``getUpdates`` never comes here (the updater has its
    own retry loop)."""

    def __init__(
        self, attempts: int = 6, backoff: float = 0.5, max_backoff: float = 8.0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise  # our request is wrong; sending it again will not help
            except NetworkError as exc:  # time-outs, dropped connections, 5xx
                if attempt == self.attempts:
                    raise
                log.warning(
                    "Bot API %s failed (%s); retry %d in %.2f s", endpoint, exc, attempt, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        return None  # pragma: no cover - the loop returns or raises


class RedactFilter(logging.Filter):
    """Replaces secrets (the bot token) in every log record that passes through."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<token>")
            record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and any(s in record.exc_text for s in self.secrets):
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "<token>")
        return True


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Log lines with time and level; the token never appears in one; httpx's per-request
    lines (which carry the token in the URL) are left out."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactFilter([settings.telegram_token or ""])
    for handler in root.handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def default_load_qa(settings: Settings) -> LoadQA:
    def load(current: QA | None) -> QA:
        from bot.ingest.changes import open_live_qa

        if current is None:
            # Two questions are answered at once (two workers), one core each.
            return open_live_qa(settings, threads=1)
        return open_live_qa(settings, encoder=current.retriever.encoder, rebuild="always")

    return load


def short(text: str, width: int = 18) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class NiangjiaBot:
    """The conversation: handlers, the answer cache and per-user limits, over one QA."""

    def __init__(
        self,
        settings: Settings,
        load_qa: LoadQA,
        journal: Journal | None = None,
        questions_per_minute: int = 20,
        workers: int = 2,
    ) -> None:
        self.settings = settings
        self.load_qa = load_qa
        self.journal: Journal = journal or LogJournal()
        self.limiter = SlidingWindowLimiter(questions_per_minute, 60.0)
        self.cache = AnswerCache()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="niangjia")
        self.qa: QA | None = None
        self.stats: Counter[str] = Counter()
        self.top_clauses: Counter[str] = Counter()
        self.started = time.time()
        self._reindex_lock = asyncio.Lock()
        self.pending: dict[str, tuple[float, tuple]] = {}

    # ------------------------------------------------------------------ life cycle

    async def post_init(self, app: Application) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self.qa = await loop.run_in_executor(self.executor, self.load_qa, None)
        log.info("knowledge and model ready in %.1f s", time.perf_counter() - started)
        await app.bot.set_my_commands(COMMANDS)

    async def post_shutdown(self, app: Application) -> None:
        self.executor.shutdown(wait=True)
        close = getattr(self.journal, "close", None)
        if close:
            await asyncio.get_running_loop().run_in_executor(None, close)  # writes what is queued

    async def run(self, fn: Callable, *args):
        """Run blocking core work in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def record(self, method: Callable, *args) -> None:
        """Report to the journal (which queues the write); a failure is logged, never raised,
        so it never costs anyone an answer."""
        try:
            method(*args)
        except Exception:
            log.exception("journal write failed")

    def user(self, update: Update) -> str:
        u = update.effective_user
        return user_key(u.id if u else None, self.settings.log_secret)

    # ------------------------------------------------------------------ sending

    async def send(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        paras: list[Para],
        markup: InlineKeyboardMarkup | None = None,
    ) -> tuple[Message | None, str]:
        """Send paragraphs as one or more HTML messages; the buttons go under the last one."""
        chat = update.effective_chat
        message = update.effective_message
        quote = None
        if chat.type != ChatType.PRIVATE and message is not None and update.message is not None:
            quote = ReplyParameters(message.message_id, allow_sending_without_reply=True)
        texts = pack(paras)
        sent = None
        for i, text in enumerate(texts):
            last = i == len(texts) - 1
            sent = await context.bot.send_message(
                chat.id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                reply_parameters=quote if i == 0 else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        return sent, texts[-1]

    async def say(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        await self.send(update, context, [Para(line) for line in text.split("\n")])

    # ------------------------------------------------------------------ keyboards

    def answer_markup(self, answer: Answer, token: str) -> InlineKeyboardMarkup | None:
        if not answer.hits:
            return None
        rows: list[list[InlineKeyboardButton]] = []
        hits = answer.hits
        if not answer.answered:
            seen: set[str] = set()
            for i, hit in enumerate(hits[:3]):
                if hit.number and hit.title not in seen:
                    seen.add(hit.title)
                    rows.append([self.button(short(hit.title, 24), Callback("show", token, i))])
        elif answer.intent == "dept":
            for i, hit in enumerate(hits[:10]):
                label = short(f"{self.qa.doc_name(hit.doc_code)} {hit.number} {hit.title}", 28)
                rows.append([self.button(label, Callback("full", token, i))])
        elif answer.intent == "clause":
            for i, hit in enumerate(hits[:3]):
                if hit.parallel:
                    label = f"对应条款：{short(hit.parallel.title, 14)}"
                    rows.append([self.button(label, Callback("par", token, i))])
        else:
            row = [self.button("全文", Callback("full", token, 0))]
            if len(hits) > 1:
                row.append(self.button("更多相关条款", Callback("more", token, 0)))
            if hits[0].parallel:
                row.append(self.button("对应条款", Callback("par", token, 0)))
            rows.append(row)
        rows.append(self.feedback_row(token))
        return InlineKeyboardMarkup(rows)

    @staticmethod
    def button(label: str, callback: Callback) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=callback.encode())

    def feedback_row(self, token: str) -> list[InlineKeyboardButton]:
        return [
            self.button("👍", Callback("up", token)),
            self.button("👎", Callback("down", token)),
        ]

    # ------------------------------------------------------------------ questions

    def addressed_text(self, update: Update, bot_id: int, username: str) -> str | None:
        """The question in a message meant for the bot, or None (groups: mention or reply)."""
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

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = self.addressed_text(update, context.bot.id, context.bot.username)
        if text is None:
            return
        await self.respond(update, context, text, lambda qa: qa.ask(text))

    async def respond(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        text: str,
        ask: Callable[[QA], Answer],
    ) -> None:
        user = update.effective_user
        if user is not None and not self.limiter.allow(user.id):
            await self.say(update, context, RATE_LIMITED)
            return
        qa = self.qa
        if qa is None:
            await self.say(update, context, NOT_READY)
            return
        started = time.perf_counter()
        pending = asyncio.ensure_future(self.run(ask, qa))
        done, _ = await asyncio.wait({pending}, timeout=TYPING_AFTER)
        if not done:  # a slow answer: show "typing…" (a fast one saves the request)
            try:
                await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
            except TelegramError as exc:  # only a courtesy; the answer matters
                log.info("chat action failed: %s", exc)
        answer: Answer = await pending
        latency = (time.perf_counter() - started) * 1000
        token = self.cache.put(answer)
        markup = self.answer_markup(answer, token)
        _, html = await self.send(update, context, answer_paras(answer, qa.place), markup)
        self.cache.get(token).html = html
        self.count(answer)
        self.record(
            self.journal.record_query,
            QueryRecord.of(
                answer,
                ref=token,
                channel="telegram",
                chat_type=update.effective_chat.type,
                user=self.user(update),
                text=text,
                latency_ms=latency,
                model=self.settings.model,
                index_version=qa.index_version,
            ),
        )

    def count(self, answer: Answer) -> None:
        self.stats["questions"] += 1
        self.stats["answered" if answer.answered else "declined"] += 1
        self.stats[f"intent:{answer.intent}"] += 1
        if answer.answered and answer.hits:
            top = answer.hits[0]
            self.top_clauses[self.qa.place(top.doc_code, top.number, top.title)] += 1

    # ------------------------------------------------------------------ commands

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send(update, context, start_paras())

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send(update, context, help_paras())

    async def on_dept(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        name = " ".join(context.args or [])
        if not name.strip():
            await self.say(update, context, "请在 /dept 后写部门名称，例如：/dept 宣传部")
            return
        await self.respond(update, context, f"/dept {name}", lambda qa: qa.ask_department(name))

    async def on_clause(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = context.args or []
        if not args:
            await self.say(
                update, context, "请写出文件和编号，例如：/clause 湖北 4 或 /clause 全总 五"
            )
            return
        text = "/clause " + " ".join(args)
        if len(args) >= 2:
            doc, number = args[0], "".join(args[1:])
            await self.respond(update, context, text, lambda qa: qa.ask_clause(doc, number))
        else:
            await self.respond(update, context, text, lambda qa: qa.ask(args[0]))

    async def on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat.type != ChatType.PRIVATE:
            return  # in groups, only what is addressed to the bot in words
        user = update.effective_user
        document = update.message.document
        if document is None:
            await self.say(update, context, TEXT_ONLY_HINT)
            return
        if user is None or user.id not in self.settings.admin_ids:
            self.refuse(update, "document")
            await self.say(update, context, NO_PERMISSION_DOCS)
            return
        await self.preview_document(update, context, document)

    async def preview_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE, document):
        """Download an admin's file, show what adding it would do, ask 确认 / 取消."""
        try:
            check_size(document.file_size or 0)  # before downloading it
        except NiangjiaError as exc:
            await self.say(update, context, str(exc))
            return
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        knowledge = self.settings.knowledge_dir
        try:
            item = await self.run(preview, data, knowledge, document.file_name or "")
        except NiangjiaError as exc:
            await self.say(update, context, f"这个文件不能加入：{exc}\n现有文件和索引都没有改变。")
            return
        token = self.stage(("add", item))
        markup = InlineKeyboardMarkup(
            [
                [
                    self.button("确认加入", Callback("add", token)),
                    self.button("取消", Callback("cancel", token)),
                ]
            ]
        )
        paras = [Para("将加入的文件", "b"), *[Para(line) for line in item.lines()]]
        await self.send(update, context, paras, markup)

    def stage(self, change: tuple) -> str:
        """Keep a change waiting for an admin's 确认 (the newest 20, for 30 minutes)."""
        now = time.monotonic()
        self.pending = {
            k: v for k, v in list(self.pending.items())[-19:] if now - v[0] < PENDING_SECONDS
        }
        token = new_token()
        self.pending[token] = (now, change)
        return token

    async def on_remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        code = " ".join(context.args or []).strip()
        qa = self.qa
        if qa is None:
            await self.say(update, context, NOT_READY)
            return
        doc = qa.by_code.get(code)
        if doc is None:
            codes = "、".join(d.code for d in qa.docs)
            await self.say(
                update,
                context,
                f"请写出要删除的文件的文号，例如 /remove {qa.docs[-1].code}\n现有：{codes}",
            )
            return
        token = self.stage(("remove", code))
        markup = InlineKeyboardMarkup(
            [
                [
                    self.button("确认删除", Callback("remove", token)),
                    self.button("取消", Callback("cancel", token)),
                ]
            ]
        )
        text = f"将删除《{doc.title}》（{doc.code}，{len(doc.clauses)} 条）。"
        await self.send(update, context, [Para(text)], markup)

    async def on_admin_button(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, callback: Callback
    ) -> None:
        query = update.callback_query
        user = update.effective_user
        if user is None or user.id not in self.settings.admin_ids:
            self.refuse(update, f"button:{callback.action}")
            await query.answer(NO_PERMISSION)
            return
        entry = self.pending.pop(callback.token, None)
        if entry is None or time.monotonic() - entry[0] > PENDING_SECONDS:
            await query.answer(ASK_AGAIN)
            return
        kind, subject = entry[1]
        if callback.action == "cancel":
            await query.answer("已取消")
            await self.say(update, context, "已取消，没有任何改动。")
            return
        await query.answer("开始重建索引")
        await self.say(update, context, "正在重建索引；在这期间照常用现有文件回答问题。")
        context.application.create_task(self.apply_change(update, context, kind, subject))

    async def apply_change(self, update, context, kind: str, subject) -> None:
        """Build the new version in a worker thread, then swap it in; report to the admin."""
        async with self._reindex_lock:
            qa = self.qa
            try:
                if kind == "add":
                    action = partial(add_document, self.settings, subject, qa.retriever.encoder)
                else:
                    action = partial(remove_document, self.settings, subject, qa.retriever.encoder)
                retriever, change = await self.run(action)
            except NiangjiaError as exc:
                await self.say(update, context, f"失败，继续使用原来的文件和索引：{exc}")
                return
            except Exception:
                log.exception("document change failed")
                await self.say(update, context, "失败，继续使用原来的文件和索引。详情见日志。")
                return
            self.qa = QA(retriever, qa.calibration)  # questions in flight finish on the old one
        done = "已加入" if kind == "add" else "已删除"
        await self.say(
            update,
            context,
            f"{done}并上线：现有 {change.documents} 份文件，{change.clauses} 条条款"
            f"（新嵌入 {change.embedded} 段，复用 {change.reused} 段，"
            f"用时 {change.seconds:.1f} 秒）。",
        )

    def refuse(self, update: Update, what: str) -> None:
        key = self.user(update)
        log.warning("refused %s to user %s", what, key[:8])
        self.record(self.journal.record_event, "admin_refused", key, what)

    # ------------------------------------------------------------------ buttons

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        qa = self.qa
        try:
            callback = decode(query.data)
            if callback.action in ADMIN_ACTIONS:
                await self.on_admin_button(update, context, callback)
                return
            stored, index = self.cache.lookup(callback)
            if qa is None:
                raise InvalidCallback("not ready")
        except InvalidCallback as exc:
            log.info("stale or forged button: %s", exc)
            await query.answer(ASK_AGAIN)
            return
        hits = stored.answer.hits
        if callback.action in ("up", "down"):
            await self.feedback(update, stored, callback)
            return
        await query.answer()
        if callback.action in ("full", "show"):
            hit = hits[index]
            markup = None
            if hit.parallel:
                par = Callback("par", callback.token, index)
                markup = InlineKeyboardMarkup([[self.button("对应条款", par)]])
            await self.send(update, context, hit_paras(hit, qa.place, full=True), markup)
        elif callback.action == "more":
            rows = [
                [self.button(short("全文：" + h.title, 24), Callback("full", callback.token, i))]
                for i, h in enumerate(hits[1:], start=1)
            ]
            markup = InlineKeyboardMarkup(rows) if rows else None
            await self.send(update, context, more_paras(hits[1:], qa.place), markup)
        elif callback.action == "par":
            hit = hits[index]
            clause = None
            if hit.parallel:
                p = hit.parallel
                clause = qa.clause_of(ClauseRef(p.doc_code, p.number, p.title))
            if clause is None:
                await self.say(update, context, "这一条没有对应的条款。")
                return
            await self.send(update, context, hit_paras(qa.hit(clause), qa.place, full=True))

    async def feedback(self, update: Update, stored: Stored, callback: Callback) -> None:
        query = update.callback_query
        if stored.feedback is not None:
            await query.answer("已经收到您的反馈了，谢谢！")
            return
        value = 1 if callback.action == "up" else -1
        stored.feedback = value
        self.record(self.journal.record_feedback, callback.token, value, self.user(update))
        await query.answer(FEEDBACK_NOTE[value])
        markup = self.answer_markup(stored.answer, callback.token)
        rows = list(markup.inline_keyboard[:-1]) if markup else []  # all but 👍 / 👎
        if stored.html:
            note = Para(FEEDBACK_NOTE[value], "i").html()
            try:
                await query.edit_message_text(
                    f"{stored.html}\n\n{note}",
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(rows) if rows else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except BadRequest as exc:  # too old to edit, or too long with the note
                log.info("could not mark feedback on the message: %s", exc)

    # ------------------------------------------------------------------ admin

    def admin_only(
        self, name: str, handler: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
    ):
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            user = update.effective_user
            if user is None or user.id not in self.settings.admin_ids:
                self.refuse(update, f"/{name}")
                await self.say(update, context, NO_PERMISSION)
                return
            await handler(update, context)

        return guarded

    async def on_docs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        qa = self.qa
        if qa is None:
            await self.say(update, context, NOT_READY)
            return
        paras = [Para(f"现有 {len(qa.docs)} 份文件：", "b")]
        for doc in qa.docs:
            paras.append(
                Para(f"· {doc.short_name}：《{doc.title}》{doc.code}，{len(doc.clauses)} 条")
            )
        await self.send(update, context, paras)

    async def on_stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(self.journal, QueryLog):
            stats = await self.run(self.journal.stats)
            paras = [Para("提问统计", "b")]
            for w in stats.windows:
                paras.append(
                    Para(
                        f"近 {w.days} 天：问题 {w.asked} 个，已回答 {w.answered} 个，"
                        f"未能回答占 {w.unanswered_share:.0%}"
                    )
                )
            if stats.top_topics:
                paras.append(Para("问得最多的条款（近 30 天）：", "b"))
                paras += [Para(f"· {title}：{n} 次") for title, n in stats.top_topics]
            paras.append(Para("完整分析请发送 /report。", "i"))
            await self.send(update, context, paras)
            return
        s = self.stats
        asked = s["questions"]
        share = f"{s['answered'] / asked:.0%}" if asked else "—"
        hours = (time.time() - self.started) / 3600
        paras = [
            Para(f"本次运行以来（{hours:.1f} 小时）", "b"),
            Para(f"问题 {asked} 个，已回答 {s['answered']} 个（{share}）"),
            Para(f"未能回答 {s['declined']} 个"),
        ]
        if self.top_clauses:
            paras.append(Para("问得最多的条款：", "b"))
            paras += [Para(f"· {k}：{n} 次") for k, n in self.top_clauses.most_common(5)]
        await self.send(update, context, paras)

    async def on_reindex(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self._reindex_lock.locked():
            await self.say(update, context, "索引正在重建，请稍候。")
            return
        async with self._reindex_lock:
            await self.say(update, context, "正在重建索引…")
            started = time.perf_counter()
            try:
                qa = await self.run(self.load_qa, self.qa)
            except NiangjiaError as exc:
                log.error("reindex failed: %s", exc)
                await self.say(update, context, f"重建失败，继续使用原索引：{exc}")
                return
            self.qa = qa  # questions in flight finish on the old index
            clauses = len(qa.retriever.clauses)
            took = time.perf_counter() - started
            await self.say(
                update,
                context,
                f"完成：{len(qa.docs)} 份文件，{clauses} 条条款，用时 {took:.1f} 秒。",
            )

    async def on_report(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        qa = self.qa
        if qa is None or not isinstance(self.journal, QueryLog):
            await self.say(update, context, NOT_READY if qa is None else "没有启用提问记录。")
            return
        await self.say(update, context, "正在生成培训需求分析报告…")
        await self.run(self.journal.flush, 10)  # include what was just asked
        path = self.journal.path
        page = await self.run(lambda: build_report(path, qa, "html"))
        name = f"niangjia-report-{time.strftime('%Y%m%d')}.html"
        await context.bot.send_document(
            update.effective_chat.id,
            InputFile(io.BytesIO(page.encode("utf-8")), filename=name),
            caption="娘家人 培训需求分析（用浏览器打开）",
        )

    # ------------------------------------------------------------------ errors

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                if update.callback_query is not None:
                    await update.callback_query.answer(SOMETHING_WRONG)
                else:
                    await context.bot.send_message(update.effective_chat.id, SOMETHING_WRONG)
            except TelegramError:
                log.warning("could not tell the user about the error")


def webhook_secret(token: str) -> str:
    """The secret Telegram sends back with each webhook call (derived, so never the token)."""
    return hmac.new(token.encode(), b"niangjia-webhook", hashlib.sha256).hexdigest()[:48]


def build_application(
    settings: Settings,
    load_qa: LoadQA | None = None,
    journal: Journal | None = None,
    *,
    retry_backoff: float = 0.5,
    questions_per_minute: int = 20,
) -> Application:
    """The bot's ``Application``: the one ``niangjia serve`` runs and the tests drive."""
    if not settings.telegram_token:
        raise NiangjiaError("TELEGRAM_BOT_TOKEN is not set")
    if journal is None:
        journal = QueryLog(settings.querylog_path, model=settings.model)
    core = NiangjiaBot(
        settings,
        load_qa or default_load_qa(settings),
        journal,
        questions_per_minute=questions_per_minute,
    )
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .concurrent_updates(True)
        .rate_limiter(
            RetryingRateLimiter(
                backoff=retry_backoff,
                max_retries=3,
                overall_max_rate=settings.telegram_max_rate,
                overall_time_period=1,
            )
        )
        .post_init(core.post_init)
        .post_shutdown(core.post_shutdown)
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    app = builder.build()
    app.bot_data["niangjia"] = core

    app.add_handler(CommandHandler("start", core.on_start))
    app.add_handler(CommandHandler("help", core.on_help))
    app.add_handler(CommandHandler("dept", core.on_dept))
    app.add_handler(CommandHandler("clause", core.on_clause))
    admin = {
        "reindex": core.on_reindex,
        "stats": core.on_stats,
        "docs": core.on_docs,
        "report": core.on_report,
        "remove": core.on_remove,
    }
    for name in ADMIN_COMMANDS:
        app.add_handler(CommandHandler(name, core.admin_only(name, admin[name])))
    app.add_handler(CallbackQueryHandler(core.on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, core.on_text))
    app.add_handler(MessageHandler(MEDIA, core.on_media))
    app.add_error_handler(core.on_error)
    return app


def serve(settings: Settings) -> None:
    """Run the bot until Ctrl-C or SIGTERM: long polling, or a webhook when configured."""
    configure_logging(settings)
    app = build_application(settings)
    if settings.webhook_url:
        path = urlparse(settings.webhook_url).path.strip("/")
        log.info("webhook mode on port %d, path /%s", settings.webhook_port, path)
        app.run_webhook(
            listen="0.0.0.0",
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings.telegram_token or ""),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("long polling")
        app.run_polling(allowed_updates=Update.ALL_TYPES)
