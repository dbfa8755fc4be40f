"""The Telegram bot: one function builds the python-telegram-bot ``Application`` over the core.

``build_application`` makes the ``Application`` that ``niangjia serve`` runs and the tests drive
against a local fake Bot API. The model and index load once in ``post_init``, before the first
update is taken; buttons carry their data through ``arbitrary_callback_data``, kept with each
chat's state by ``SQLitePersistence`` in a file of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InvalidCallbackData,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.core.answer import QA
from bot.core.live import CURRENT, open_version
from bot.errors import NiangjiaError
from bot.querylog.store import QueryLog
from bot.telegram_bot import admin, handlers
from bot.telegram_bot.handlers import BotState
from bot.telegram_bot.keyboards import ADMIN_ACTIONS
from bot.telegram_bot.persistence import SQLitePersistence
from bot.telegram_bot.ratelimit import RetryingRateLimiter, SlidingWindowLimiter

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "介绍与示例问题"),
    BotCommand("help", "使用说明"),
    BotCommand("dept", "某个部门负责哪些工作，如 /dept 宣传部"),
    BotCommand("clause", "查看条款，如 /clause 湖北 4"),
]
MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.LOCATION
    | filters.CONTACT
)
# Keyboards whose buttons still work, the least recently used forgotten first (about 10 MB);
# past that, or after NIANGJIA_BOT_STATE_DAYS idle, a button answers 请重新提问.
KEYBOARDS_KEPT = 10_000
WORKERS = 2
WATCHER = "index watcher"  # the task following the live index, in bot_data


RAW_UPDATE = "Received data was"


class RedactFilter(logging.Filter):
    """Replaces secrets (the bot token) in every log record that passes through, and withholds
    the raw update python-telegram-bot logs when it cannot read one (it names people)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if RAW_UPDATE in message:
            message = message[: message.index(RAW_UPDATE)] + RAW_UPDATE + " withheld (ids, names)."
            record.msg, record.args = message, None
        if not self.secrets:
            return True
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


def default_load_qa(settings: Settings) -> Callable[[], QA]:
    def load() -> QA:
        from bot.ingest.changes import open_live_qa

        # Two questions are answered at once (two workers), one core each.
        return open_live_qa(settings, threads=1)

    return load


async def post_init(app: Application) -> None:
    """Load the documents, model and index (in a worker thread), register the commands, and
    start following the live index."""
    state: BotState = app.bot_data["state"]
    before = live_name(state.settings.index_dir)
    state.use(await state.run(state.load_qa))
    # With no index before, loading built one: that version is the one serving (else the
    # watcher would load it a second time, both in memory at once).
    state.serving = before if before is not None else live_name(state.settings.index_dir)
    log.info("knowledge and model ready")
    await app.bot.set_my_commands(COMMANDS)
    app.bot_data[WATCHER] = asyncio.get_running_loop().create_task(follow_live_index(state))


async def post_shutdown(app: Application) -> None:
    """Stop following the index, finish the workers, then write what the query log has
    queued."""
    state: BotState = app.bot_data["state"]
    watcher = app.bot_data.pop(WATCHER, None)
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    state.executor.shutdown(wait=True)
    state.querylog.close()


def live_name(index_dir: Path) -> str | None:
    """The name of the version ``current`` points at (a readlink: cheap enough to ask often)."""
    try:
        return os.readlink(Path(index_dir) / CURRENT)
    except OSError:
        return None


async def follow_live_index(state: BotState) -> None:
    """Every ``index_poll_seconds``, look whether ``current`` moved (a change made by the CLI or
    another process) and, if so, load that version in a worker thread and answer from it; the
    questions in flight finish on the old one. The version is opened with the fusion this bot
    read at start, which its decline model was fitted with: one built to score otherwise (a
    newer tuning file) is refused as stale, and the old one kept until a restart."""
    failed: str | None = None
    while True:
        await asyncio.sleep(state.settings.index_poll_seconds)
        name = live_name(state.settings.index_dir)
        old = state.qa
        if name in (None, state.serving, failed) or old is None or state.change_lock.locked():
            continue
        folder = state.settings.index_dir / name
        try:
            retriever = await state.run(
                open_version, folder, old.retriever.encoder, old.retriever.fusion
            )
        except Exception:  # a version half-pruned or corrupt: keep serving, try the next move
            log.exception("could not load the index version %s", name)
            failed = name
            continue
        if state.change_lock.locked() or live_name(state.settings.index_dir) != name:
            continue  # this bot's own change will swap its index in, or it moved on meanwhile
        state.use(QA(retriever, old.decline))
        state.serving = name
        log.info("now answering from index version %s", name)


def local_salt(path: Path) -> str:
    """A random key kept in the data folder (created once, readable by its owner only), for
    keyed hashes that must survive a restart when no NIANGJIA_LOG_SECRET is set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def is_admin_button(data: object) -> bool:
    return isinstance(data, dict) and data.get("do") in ADMIN_ACTIONS


def webhook_secret(token: str) -> str:
    """The secret Telegram sends back with each webhook call (derived, so never the token)."""
    return hmac.new(token.encode(), b"niangjia-webhook", hashlib.sha256).hexdigest()[:48]


def build_application(
    settings: Settings,
    load_qa: Callable[[], QA] | None = None,
    *,
    retry_backoff: float = 0.5,
    questions_per_minute: int = 20,
) -> Application:
    """The bot's ``Application``: the one ``niangjia serve`` runs and the tests drive."""
    if not settings.telegram_token:
        raise NiangjiaError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .concurrent_updates(True)
        .arbitrary_callback_data(KEYBOARDS_KEPT)
        .persistence(
            SQLitePersistence(settings.bot_state_path, ttl=settings.bot_state_days * 86400)
        )
        .rate_limiter(
            RetryingRateLimiter(
                backoff=retry_backoff,
                max_retries=3,
                overall_max_rate=settings.telegram_max_rate,
                overall_time_period=1,
            )
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    app = builder.build()
    app.bot_data["state"] = BotState(
        settings=settings,
        salt=settings.log_secret or local_salt(settings.data_dir / "bot.salt"),
        load_qa=load_qa or default_load_qa(settings),
        querylog=QueryLog(settings.querylog_path, model=settings.model),
        limiter=SlidingWindowLimiter(questions_per_minute, 60.0),
        executor=ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="niangjia"),
    )

    # New messages only, commands too: an edit (every live-location update is one) is not a
    # new question, and channel posts are not for the bot.
    new = filters.UpdateType.MESSAGE
    commands = {
        "start": handlers.start,
        "help": handlers.help_command,
        "dept": handlers.dept,
        "clause": handlers.clause,
        "docs": admin.docs,
        "stats": admin.stats,
        "report": admin.report,
        "reindex": admin.reindex,
        "remove": admin.remove,
    }
    for name, command in commands.items():
        app.add_handler(CommandHandler(name, command, filters=new))
    app.add_handler(CallbackQueryHandler(handlers.expired_button, pattern=InvalidCallbackData))
    app.add_handler(CallbackQueryHandler(admin.confirm, pattern=is_admin_button))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, handlers.ask))
    app.add_handler(MessageHandler(new & filters.COMMAND, handlers.unknown_command))
    # Documents are added in a private chat with the bot; in groups they are not for it.
    private_file = new & filters.Document.ALL & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private_file, admin.upload))
    app.add_handler(MessageHandler(new & MEDIA, handlers.media))
    app.add_error_handler(handlers.error_handler)
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
