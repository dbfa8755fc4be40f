"""What only admins may do: list documents, read the statistics and the report, rebuild the
index, add a document (send the file, then 确认加入) and remove one (/remove 文号, then 确认删除).

Every document change takes the one route of ``bot.ingest.changes`` in a worker thread while
the old index keeps answering; the new one is swapped in when it is live. A change waiting for
confirmation lives in the admin's ``chat_data`` (so it survives a restart) for 30 minutes.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from telegram import Document as TelegramDocument
from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.core.answer import QA
from bot.core.replies import book_title
from bot.errors import NiangjiaError
from bot.ingest.changes import Change, add_document, apply_change, remove_document
from bot.ingest.files import check_size, preview, preview_text
from bot.ingest.lock import WAITING
from bot.querylog import queries
from bot.querylog.report import build_report
from bot.telegram_bot.handlers import ASK_AGAIN, NOT_READY, BotState, say, send, state_of
from bot.telegram_bot.keyboards import InvalidButton, confirm_keyboard, parse
from bot.telegram_bot.render import Para

log = logging.getLogger(__name__)

NO_PERMISSION = "无权限：这个命令只对管理员开放。"
NO_PERMISSION_DOCS = "无权限：只有管理员可以添加文件。如有问题，请直接用文字发给我。"
BUSY = WAITING
PENDING_SECONDS = 30 * 60
PENDING_KEPT = 20

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
    """Log a refused admin action under the person's pseudonym."""
    state = state_of(context)
    log.warning("refused %s to user %s", what, state.user_key(update)[:8])
    state.record_event("admin_refused", update, what)


def admin_only(name: str) -> Callable[[Handler], Handler]:
    """Run the handler for admins; answer 无权限 (and log the refusal) to anyone else."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if not state_of(context).is_admin(update):
                refuse(update, context, name)
                await say(
                    update, context, NO_PERMISSION_DOCS if name == "document" else NO_PERMISSION
                )
                return
            await handler(update, context)

        return guarded

    return decorate


def ready_qa(context: ContextTypes.DEFAULT_TYPE) -> QA | None:
    return state_of(context).qa


@admin_only("/docs")
async def docs(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/docs: the documents the bot answers from."""
    qa = ready_qa(context)
    if qa is None:
        await say(update, context, NOT_READY)
        return
    paras = [Para(f"现有 {len(qa.docs)} 份文件：", "b")]
    for doc in qa.docs:
        title = book_title(doc.title)
        paras.append(Para(f"· {doc.short_name}：{title}{doc.code}，{len(doc.clauses)} 条"))
    await send(update, context, paras)


@admin_only("/stats")
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: questions asked and answered lately, the most asked clauses."""
    state = state_of(context)
    await state.run(state.querylog.flush, 10)
    figures = await state.run(queries.stats, state.querylog.path)
    paras = [Para("提问统计", "b")]
    for w in figures.windows:
        paras.append(
            Para(
                f"近 {w.days} 天：问题 {w.asked} 个，已回答 {w.answered} 个，"
                f"未能回答占 {w.unanswered_share:.0%}"
                + (f"；另有无法理解的消息 {w.unreadable} 条" if w.unreadable else "")
            )
        )
    if figures.top_topics:
        paras.append(Para("问得最多的条款（近 30 天）：", "b"))
        paras += [Para(f"· {title}：{n} 次") for title, n in figures.top_topics]
    paras.append(Para("完整分析请发送 /report。", "i"))
    await send(update, context, paras)


@admin_only("/report")
async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report: the training-needs report, as an HTML file."""
    state = state_of(context)
    qa = state.qa
    if qa is None:
        await say(update, context, NOT_READY)
        return
    await say(update, context, "正在生成培训需求分析报告…")
    await state.run(state.querylog.flush, 10)  # include what was just asked
    page = await state.run(build_report, state.querylog.path, qa, "html")
    name = f"niangjia-report-{time.strftime('%Y%m%d')}.html"
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(io.BytesIO(page.encode("utf-8")), filename=name),
        caption="娘家人 培训需求分析（用浏览器打开）",
    )


@admin_only("/reindex")
async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex: rebuild the index from the knowledge folder as it is."""
    state = state_of(context)
    if state.qa is None:
        await say(update, context, NOT_READY)
        return
    encoder = state.qa.retriever.encoder
    work = lambda waiting: apply_change(state.settings, encoder, on_wait=waiting)  # noqa: E731
    await change_index(update, context, work, "正在重建索引…", "完成")


@admin_only("/remove")
async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove 文号: remove a document, after 确认删除."""
    code = "".join(context.args or [])  # 鄂工办发 〔2023〕7号: a 文号 has no spaces
    qa = ready_qa(context)
    if qa is None:
        await say(update, context, NOT_READY)
        return
    doc = qa.by_code.get(code)
    codes = "、".join(d.code for d in qa.docs) or "（没有文件）"
    if not code:
        example = f"，例如 /remove {qa.docs[-1].code}" if qa.docs else ""
        await say(update, context, f"请写出要删除的文件的文号{example}\n现有：{codes}")
        return
    if doc is None:
        await say(update, context, f"没有文号为 {code} 的文件。\n现有：{codes}")
        return
    pending = stage(context, {"kind": "remove", "code": code})
    text = f"将删除{book_title(doc.title)}（{doc.code}，{len(doc.clauses)} 条）。"
    await send(update, context, [Para(text)], confirm_keyboard(pending, "确认删除"))


@admin_only("document")
async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file an admin sends: show what adding it would do, ask 确认加入 / 取消."""
    document: TelegramDocument = update.message.document
    state = state_of(context)
    try:
        check_size(document.file_size or 0)  # before downloading it
    except NiangjiaError as exc:
        await say(update, context, str(exc))
        return
    telegram_file = await context.bot.get_file(document.file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    name = document.file_name or ""
    try:
        item = await state.run(preview, data, state.settings.knowledge_dir, name)
    except NiangjiaError as exc:
        await say(update, context, f"这个文件不能加入：{exc}\n现有文件和索引都没有改变。")
        return
    pending = stage(context, {"kind": "add", "text": item.text, "type": item.kind, "name": name})
    paras = [Para("将加入的文件", "b"), *[Para(line) for line in item.lines()]]
    await send(update, context, paras, confirm_keyboard(pending, "确认加入"))


def stage(context: ContextTypes.DEFAULT_TYPE, change: dict) -> str:
    """Keep a change waiting for the admin's 确认 (the newest few, for 30 minutes)."""
    now = time.time()
    waiting: dict[str, dict] = context.chat_data.setdefault("pending", {})
    for key in [k for k, v in waiting.items() if now - v["at"] > PENDING_SECONDS]:
        del waiting[key]
    for key in list(waiting)[: max(0, len(waiting) - PENDING_KEPT + 1)]:
        del waiting[key]
    pending = secrets.token_urlsafe(9)[:12]
    waiting[pending] = {**change, "at": now}
    return pending


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认 / 取消 under a previewed document change."""
    query = update.callback_query
    state = state_of(context)
    if not state.is_admin(update):
        refuse(update, context, "button")
        await query.answer(NO_PERMISSION)
        return
    try:
        press = parse(query.data)
    except InvalidButton:
        await query.answer(ASK_AGAIN)
        return
    qa = state.qa
    if qa is None:
        await query.answer(NOT_READY)  # the change keeps waiting
        return
    change = context.chat_data.get("pending", {}).pop(press.pending, None)
    if change is None or time.time() - change["at"] > PENDING_SECONDS:
        await query.answer(ASK_AGAIN)
        return
    if press.action == "cancel":
        await query.answer("已取消")
        await say(update, context, "已取消，没有任何改动。")
        return
    await query.answer("开始重建索引")
    settings, encoder = state.settings, qa.retriever.encoder
    if change["kind"] == "add":

        def work(waiting: Callable[[], None]) -> tuple:
            knowledge = settings.knowledge_dir
            item = preview_text(change["text"], change["type"], knowledge, change["name"])
            return add_document(settings, item, encoder, waiting)

        done = "已加入并上线"
    else:

        def work(waiting: Callable[[], None]) -> tuple:
            return remove_document(settings, change["code"], encoder, waiting)

        done = "已删除并上线"
    starting = "正在重建索引；在这期间照常用现有文件回答问题。"
    context.application.create_task(change_index(update, context, work, starting, done))


async def change_index(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[Callable[[], None]], tuple],
    starting: str,
    done: str,
) -> None:
    """Run a knowledge change in a worker thread (one at a time: this bot's changes queue here,
    another process's hold the index folder's lock; either way the admin is told to wait), swap
    the new index in when it is live, and tell the admin how it went."""
    state: BotState = state_of(context)
    loop = asyncio.get_running_loop()

    def waiting() -> None:  # called from the worker thread
        asyncio.run_coroutine_threadsafe(say(update, context, BUSY), loop)

    if state.change_lock.locked():
        await say(update, context, BUSY)
    async with state.change_lock:
        await say(update, context, starting)
        try:
            retriever, change = await state.run(work, waiting)
        except NiangjiaError as exc:
            await say(update, context, f"失败，继续使用原来的文件和索引：{exc}")
            return
        except Exception:
            log.exception("document change failed")
            await say(update, context, "失败，继续使用原来的文件和索引。详情见日志。")
            return
        old = state.qa
        # Questions in flight finish on the old index.
        state.use(QA(retriever, old.decline if old else None))
        state.serving = change.version
    await say(update, context, summary(done, change))


def summary(done: str, change: Change) -> str:
    return (
        f"{done}：现有 {change.documents} 份文件，{change.clauses} 条条款"
        f"（新嵌入 {change.embedded} 段，复用 {change.reused} 段，用时 {change.seconds:.1f} 秒）。"
    )
