"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and the load benchmark.

It speaks enough of the Bot API for python-telegram-bot's real ``Application``: getMe,
getUpdates (long polling, offsets), sendMessage, editMessageText, answerCallbackQuery,
sendChatAction, setMyCommands, deleteWebhook/setWebhook, getFile, sendDocument and file download.
It records every call, and can be told to answer a method's next calls with a 429 (with
``retry_after``), a 502, or a dropped connection. Every wait in it is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "123456789:AAFakeTokenForTestsOnly-0123456789ab"
BOT_ID = 123456789
BOT_USERNAME = "niangjia_test_bot"
JSON_FIELDS = {
    "reply_markup",
    "commands",
    "reply_parameters",
    "link_preview_options",
    "allowed_updates",
    "entities",
    "scope",
}
TAG_RE = re.compile(r"<[^>]+>")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict
    outcome: str = "ok"  # ok | 429 | 502 | drop | unauthorized
    at: float = field(default_factory=time.monotonic)


class FakeBotAPI:
    def __init__(self, token: str = TOKEN, username: str = BOT_USERNAME) -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self._ok: dict[tuple[str, int | None], list[dict]] = defaultdict(list)
        self.updates: list[dict] = []
        self.delivered: set[int] = set()
        self.pushed_at: dict[int, float] = {}
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.files: dict[str, bytes] = {}
        self.chat_types: dict[int, str] = {}
        self._next_update = 1
        self._next_message = 1000
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ server

    async def start(self) -> FakeBotAPI:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def bot_user(self) -> dict:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "娘家人",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 15.0):
        """Wait (at most ``timeout`` seconds) until ``predicate()`` is truthy; return it."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the bot did not do what the test waited for")
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=min(left, 0.2))
                except TimeoutError:
                    pass

    async def launch_bot(
        self, command: str, cwd: str, env: dict[str, str], output=asyncio.subprocess.DEVNULL
    ) -> asyncio.subprocess.Process:
        """Start ``python -m bot <command>`` talking to this server; return once it is ready
        (its commands registered, which happens after the model and index load)."""
        full_env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.token,
            "NIANGJIA_TELEGRAM_BASE_URL": self.base_url,
            "NIANGJIA_TELEGRAM_BASE_FILE_URL": self.base_file_url,
            **env,
        }
        full_env.pop("NIANGJIA_WEBHOOK_URL", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            command,
            cwd=cwd,
            env=full_env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT if output is asyncio.subprocess.PIPE else output,
        )
        try:
            await self.wait_for(
                lambda: self.ok("setMyCommands") or process.returncode is not None, 300
            )
        except BaseException:
            process.kill()
            raise
        if process.returncode is not None:
            raise RuntimeError(f"the bot exited with {process.returncode} before it was ready")
        return process

    @staticmethod
    async def stop_bot(process: asyncio.subprocess.Process) -> None:
        """SIGTERM a bot started by ``launch_bot`` and wait for it (killed after a minute)."""
        if process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()

    # ------------------------------------------------------------------ faults

    def inject(self, method: str, *faults: str) -> None:
        """The next calls of ``method`` get these answers: "429", "502" or "drop"."""
        self.faults[method].extend(faults)

    # ------------------------------------------------------------------ requests

    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: dict = {}
        for key, value in form.items():
            if hasattr(value, "file"):
                params[key] = {"filename": value.filename, "bytes": value.file.read()}
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif (
                key in ("chat_id", "message_id", "offset", "limit")
                and str(value).lstrip("-").isdigit()
            ):
                params[key] = int(value)
            else:
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        if request.match_info["token"] != self.token:
            self.calls.append(Call(method, params, "unauthorized"))
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        fault = self.faults[method].pop(0) if self.faults.get(method) else None
        if fault:
            self.calls.append(Call(method, params, fault))
            await self._notify()
            if fault == "429":
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                    status=429,
                )
            if fault == "502":
                return web.Response(status=502, text="<html>502 Bad Gateway</html>")
            request.transport.close()  # "drop": the connection goes away without an answer
            return web.Response(status=500)
        call = Call(method, params)
        self.calls.append(call)  # recorded on arrival
        if method == "getUpdates":
            await self._notify()
            result = await self._get_updates(params)
        else:
            result = self._answer(method, params)
        if method == "sendMessage":
            params["_message_id"] = result["message_id"]  # so a press can refer to it
        self._succeeded(call)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        limit = int(params.get("limit") or 100)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]

        def ready():
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

        deadline = time.monotonic() + timeout
        async with self._changed:
            while not ready() and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(
                        self._changed.wait(), timeout=max(0.01, deadline - time.monotonic())
                    )
                except TimeoutError:
                    break
        batch = ready()
        self.delivered.update(u["update_id"] for u in batch)
        return batch

    def _answer(self, method: str, params: dict):
        if method == "getMe":
            return self.bot_user()
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"]) if "chat_id" in params else 0
            if method == "sendMessage":
                self._next_message += 1
            message = self.message(
                chat_id,
                TAG_RE.sub("", params.get("text", "")),
                from_bot=True,
                message_id=int(params.get("message_id") or self._next_message),
            )
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "sendDocument":
            self._next_message += 1
            message = self.message(int(params["chat_id"]), None, from_bot=True)
            message["message_id"] = self._next_message
            doc = params.get("document") or {}
            message["document"] = {
                "file_id": f"sent{self._next_message}",
                "file_unique_id": f"u{self._next_message}",
                "file_name": doc.get("filename", "file") if isinstance(doc, dict) else "file",
            }
            return message
        if method == "getFile":
            file_id = params.get("file_id", "")
            if file_id not in self.files:
                return {"file_id": file_id, "file_unique_id": file_id}
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        return True  # answerCallbackQuery, sendChatAction, setMyCommands, deleteWebhook, ...

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        call = Call("download", {"file_id": file_id})
        self.calls.append(call)
        self._succeeded(call)
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    # ------------------------------------------------------------------ updates

    def message(
        self,
        chat_id: int,
        text: str | None,
        user_id: int | None = None,
        from_bot: bool = False,
        message_id: int | None = None,
    ) -> dict:
        chat_type = self.chat_types.get(chat_id, "private" if chat_id > 0 else "supergroup")
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "测试用户"
        else:
            chat["title"] = "女职工群"
        if message_id is None:
            self._next_message += 1
            message_id = self._next_message
        user = (
            self.bot_user()
            if from_bot
            else {"id": user_id or chat_id, "is_bot": False, "first_name": "小红"}
        )
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": user}
        if text is not None:
            message["text"] = text
        return message

    def push_update(self, kind: str, content: dict) -> int:
        """Any kind of update Telegram may send (edited_message, channel_post, my_chat_member,
        …), as it sends it."""
        return self._push({kind: content})

    def _push(self, payload: dict) -> int:
        update_id = self._next_update
        self._next_update += 1
        self.updates.append({"update_id": update_id, **payload})
        self.pushed_at[update_id] = time.monotonic()
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def push_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: dict | None = None,
    ) -> int:
        """A text message; commands and @mentions get their entities as Telegram sends them."""
        if chat_type:
            self.chat_types[chat_id] = chat_type
        message = self.message(chat_id, text, user_id)
        entities = []
        if text.startswith("/"):
            command = text.split()[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        for match in re.finditer(r"@\w+", text):
            offset = utf16_len(text[: match.start()])
            entities.append(
                {"type": "mention", "offset": offset, "length": utf16_len(match.group())}
            )
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self._push({"message": message})

    def push_media(
        self, chat_id: int, kind: str, user_id: int | None = None, data: bytes = b""
    ) -> int:
        message = self.message(chat_id, None, user_id)
        fid = f"f{self._next_update}"
        if kind == "sticker":
            message["sticker"] = {
                "file_id": fid,
                "file_unique_id": fid,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        elif kind == "photo":
            message["photo"] = [{"file_id": fid, "file_unique_id": fid, "width": 90, "height": 90}]
        elif kind == "voice":
            message["voice"] = {"file_id": fid, "file_unique_id": fid, "duration": 3}
        elif kind == "document":
            self.files[fid] = data
            message["document"] = {
                "file_id": fid,
                "file_unique_id": fid,
                "file_name": "新文件.txt",
                "mime_type": "text/plain",
                "file_size": len(data),
            }
        else:
            raise ValueError(kind)
        return self._push({"message": message})

    def push_callback(self, user_id: int, message: dict, data: str) -> int:
        return self._push(
            {
                "callback_query": {
                    "id": f"cq{self._next_update}",
                    "from": {"id": user_id, "is_bot": False, "first_name": "小红"},
                    "chat_instance": "ci",
                    "message": message,
                    "data": data,
                }
            }
        )

    # ------------------------------------------------------------------ what the bot did

    def ok(self, method: str, chat_id: int | None = None) -> list[dict]:
        """Parameters of the successful calls of ``method`` (to ``chat_id``), in order."""
        return list(self._ok.get((method, chat_id), ()))

    def _succeeded(self, call: Call) -> None:
        """Index a successful call, so that waiting on one chat's replies stays cheap."""
        self._ok[(call.method, None)].append(call.params)
        chat_id = call.params.get("chat_id")
        if isinstance(chat_id, int):
            self._ok[(call.method, chat_id)].append(call.params)

    def sent_texts(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.ok("sendMessage", chat_id)]

    def sent_message(self, params: dict) -> dict:
        """The message object a sendMessage call created (for pushing a button press on it)."""
        message = self.message(
            int(params["chat_id"]),
            TAG_RE.sub("", params["text"]),
            from_bot=True,
            message_id=params.get("_message_id"),
        )
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def offsets(self) -> list[int]:
        """The offsets of the getUpdates calls so far (each acknowledges the updates below it)."""
        return [int(c.params.get("offset") or 0) for c in self.calls if c.method == "getUpdates"]
