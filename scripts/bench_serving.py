"""Lean serving: start-up times and peak memory of the processes a deployment runs.

    .venv/bin/python scripts/bench_serving.py [--runs 2] [--users 10]

Everything runs on copies (knowledge, index and its embedding cache in a temporary folder), with
the real model and the fake Bot API from ``tests/fake_bot_api.py`` on 127.0.0.1:

- cold ``niangjia ask``: a new process answering one question; wall clock and peak RSS;
- a fresh ``niangjia docs add --yes`` of a new document the size of the Hubei plan (the plan
  rewritten for a city, so that none of its passages is in the embedding cache);
- ``niangjia serve``: seconds from start until it is ready to answer (its commands registered,
  which happens after the model and index load), resident memory at rest after answering
  some questions, then the peak while ``--users`` users keep asking and an admin sends the same
  kind of document through Telegram and presses 确认加入, and the seconds from that press to the
  bot saying the document is live.

Peak RSS of a child process comes from ``wait4``; for the bot, from ``/proc/<pid>/status``
(VmHWM, reset through ``clear_refs`` before the add so that it is the add's own peak)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import FakeBotAPI  # noqa: E402

ADMIN = 4242
HUBEI = "hubei-2023-7-implementation-plan.txt"
QUESTIONS = [
    "单位有没有哺乳室",
    "工会能帮忙介绍对象吗",
    "外卖骑手的权益",
    "宣传部负责什么",
    "两癌筛查",
    "湖北方案第4项",
]


def city_plan(knowledge: Path) -> bytes:
    """The Hubei plan as a city's: same size and structure, other 文号, every sentence new."""
    text = (knowledge / HUBEI).read_text(encoding="utf-8")
    for old, new in (
        ("鄂工办发〔2023〕7号", "武工办发〔2024〕9号"),
        ("湖北省", "武汉市"),
        ("省总工会", "市总工会"),
        ("全省", "全市"),
        ("女职工", "女员工"),
    ):
        text = text.replace(old, new)
    return text.encode("utf-8")


def status_mb(pid: int) -> dict[str, float]:
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as stream:
        for line in stream:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def reset_peak(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as stream:
        stream.write("5")  # resets VmHWM to the present RSS


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of ``python -m bot <args>``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out = child.stdout.read().decode("utf-8", "replace")
    _, code, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(code)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise RuntimeError(f"{args} exited with {child.returncode}:\n{out[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out


def copies(tmp: Path) -> dict[str, str]:
    """Knowledge, index (with its cache) and data folders to change freely."""
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "index", tmp / "index", symlinks=True)
    return {
        **os.environ,
        "NIANGJIA_KNOWLEDGE_DIR": str(knowledge),
        "NIANGJIA_INDEX_DIR": str(tmp / "index"),
        "NIANGJIA_DATA_DIR": str(tmp / "data"),
    }


def cli_figures(runs: int) -> dict:
    cold, cold_rss, add, add_rss = [], [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = copies(Path(tmp))
            seconds, rss, _ = run_child(["ask", "两癌筛查"], env)
            cold.append(seconds)
            cold_rss.append(rss)
            document = Path(tmp) / "plan.txt"
            document.write_bytes(city_plan(ROOT / "knowledge"))
            seconds, rss, out = run_child(["docs", "add", str(document), "--yes"], env)
            add.append(seconds)
            add_rss.append(rss)
    return {
        "cold_ask_s": [round(s, 2) for s in cold],
        "cold_ask_peak_rss_mb": [round(r) for r in cold_rss],
        "docs_add_s": [round(s, 2) for s in add],
        "docs_add_peak_rss_mb": [round(r) for r in add_rss],
        "docs_add_last_line": out.strip().splitlines()[-1] if out.strip() else "",
    }


async def asker(api: FakeBotAPI, chat_id: int, stop: asyncio.Event, latencies: list) -> None:
    i = chat_id
    while not stop.is_set():
        before = len(api.ok("sendMessage", chat_id))
        update_id = api.push_text(chat_id, QUESTIONS[i % len(QUESTIONS)])
        i += 1
        try:
            await api.wait_for(lambda b=before: len(api.ok("sendMessage", chat_id)) > b, 30)
        except TimeoutError:
            continue
        latencies.append((time.monotonic() - api.pushed_at[update_id]) * 1000)


async def serve_figures(users: int) -> dict:
    async with FakeBotAPI() as api:
        with tempfile.TemporaryDirectory() as tmp:
            env = copies(Path(tmp))
            env["NIANGJIA_ADMIN_IDS"] = str(ADMIN)
            env["NIANGJIA_TELEGRAM_MAX_RATE"] = "0"
            started = time.monotonic()
            bot = await api.launch_bot("serve", str(ROOT), env)
            ready = time.monotonic() - started
            try:
                start_peak = status_mb(bot.pid)["VmHWM"]
                for q in QUESTIONS * 2:  # warm: every part touched once
                    before = len(api.ok("sendMessage", 1))
                    api.push_text(1, q)
                    await api.wait_for(lambda b=before: len(api.ok("sendMessage", 1)) > b, 60)
                await asyncio.sleep(1.0)
                rest = status_mb(bot.pid)["VmRSS"]
                reset_peak(bot.pid)

                stop, latencies = asyncio.Event(), []
                tasks = [
                    asyncio.create_task(asker(api, 20_000 + u, stop, latencies))
                    for u in range(users)
                ]
                await asyncio.sleep(1.0)
                api.push_media(ADMIN, "document", data=city_plan(ROOT / "knowledge"))
                preview = (await api.wait_for(lambda: api.ok("sendMessage", ADMIN), 60))[0]
                markup = preview.get("reply_markup") or {"inline_keyboard": []}
                data = {b["text"]: b["callback_data"] for r in markup["inline_keyboard"] for b in r}
                pressed = time.monotonic()
                api.push_callback(ADMIN, api.sent_message(preview), data["确认加入"])
                await api.wait_for(
                    lambda: any("已加入并上线" in t or "失败" in t for t in api.sent_texts(ADMIN)),
                    300,
                )
                live = time.monotonic() - pressed
                done_text = api.sent_texts(ADMIN)[-1]
                await asyncio.sleep(1.0)
                stop.set()
                await asyncio.gather(*tasks)
                during = status_mb(bot.pid)
            finally:
                await api.stop_bot(bot)
    return {
        "serve_ready_s": round(ready, 2),
        "serve_peak_rss_mb_starting": round(start_peak),
        "serve_rss_mb_at_rest": round(rest),
        "serve_peak_rss_mb_during_add": round(during["VmHWM"]),
        "serve_rss_mb_after_add": round(during["VmRSS"]),
        "confirm_to_live_s": round(live, 2),
        "questions_answered_during_add": len(latencies),
        "answer_median_ms_during_add": round(statistics.median(latencies), 1)
        if latencies
        else None,
        "admin_was_told": done_text.splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up times and peak memory.")
    parser.add_argument("--runs", type=int, default=2, help="cold ask and docs add, each")
    parser.add_argument("--users", type=int, default=10, help="asking while the admin adds")
    args = parser.parse_args()
    result = {"cli": cli_figures(args.runs), "serve": asyncio.run(serve_figures(args.users))}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
