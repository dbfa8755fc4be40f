"""Load benchmark of the Telegram bot: simulated users against a fake Bot API on 127.0.0.1.

    .venv/bin/python scripts/bench_bot.py [--users 50] [--questions 20] [--rate 50]
                                          [--max-rate 0]

The bot runs as deployed, ``python -m bot serve`` in its own process with the real model and
index, long-polling the fake server from ``tests/fake_bot_api.py``, which runs here with the
users (as Telegram's servers would run elsewhere). Each simulated user sends its questions one
after another, never before the previous is answered and, with ``--rate``, paced so that all
users together offer that many questions a second (``--rate 0``: each asks again as soon as it
is answered, which measures the bot's capacity). Reported: answered questions a second over the
run, questions lost (no answer within ``--timeout``), and the time from an update being
available to the bot's reply arriving (p50, p95, max). ``--max-rate`` sets the bot's flood
limiter (Telegram allows about 30 messages a second; 0 lifts it to measure the bot itself).
Nothing leaves the machine; every wait is bounded."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import FakeBotAPI  # noqa: E402

FALLBACK = ["单位有没有哺乳室", "工会能帮忙介绍对象吗", "外卖骑手的权益", "宣传部负责什么"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def user(
    api: FakeBotAPI, chat_id: int, questions: list[str], timeout: float, interval: float
) -> list:
    """Ask one question after another; with ``interval``, at most one every ``interval`` s."""
    latencies: list[float] = []
    lost = 0
    if interval:
        await asyncio.sleep(random.uniform(0, interval))  # users do not arrive in step
    for q in questions:
        slot = time.monotonic()
        before = len(api.ok("sendMessage", chat_id))
        update_id = api.push_text(chat_id, q)
        try:
            await api.wait_for(lambda b=before: len(api.ok("sendMessage", chat_id)) > b, timeout)
        except TimeoutError:
            lost += 1
            continue
        latencies.append((time.monotonic() - api.pushed_at[update_id]) * 1000)
        if interval:
            await asyncio.sleep(max(0.0, slot + interval - time.monotonic()))
    return [latencies, lost]


async def main_async(args: argparse.Namespace) -> dict:
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    pool = (
        [json.loads(line)["q"] for line in dev.read_text(encoding="utf-8").splitlines()]
        if dev.exists()
        else FALLBACK
    )
    async with FakeBotAPI() as api:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"NIANGJIA_DATA_DIR": tmp}
            if args.max_rate is not None:
                env["NIANGJIA_TELEGRAM_MAX_RATE"] = str(args.max_rate)
            bot = await api.launch_bot("serve", str(ROOT), env)
            try:
                started = time.monotonic()
                results = await asyncio.gather(
                    *(
                        user(
                            api,
                            10_000 + u,
                            [
                                pool[(u * args.questions + i) % len(pool)]
                                for i in range(args.questions)
                            ],
                            args.timeout,
                            args.users / args.rate if args.rate else 0.0,
                        )
                        for u in range(args.users)
                    )
                )
                wall = time.monotonic() - started
            finally:
                await api.stop_bot(bot)
    latencies = [x for lat, _ in results for x in lat]
    lost = sum(n for _, n in results)
    return {
        "flood_limit_per_s": env.get("NIANGJIA_TELEGRAM_MAX_RATE", "30 (the default)"),
        "offered_per_s": args.rate or "as fast as answered",
        "users": args.users,
        "questions_each": args.questions,
        "answered": len(latencies),
        "lost": lost,
        "questions_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "bot_exit_code": bot.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Load benchmark of the Telegram bot.")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions per user")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a loss")
    parser.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="questions a second offered by all users together (0: each asks again at once)",
    )
    parser.add_argument(
        "--max-rate",
        type=int,
        default=None,
        help="NIANGJIA_TELEGRAM_MAX_RATE for the bot (default: its setting, 30; 0: no limit)",
    )
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
