"""Latency, cold start, index build time and memory of the Q&A core, on this machine.

    .venv/bin/python scripts/bench_latency.py [--rounds 3]

Warm latency: one process answers every question of the development set (or a built-in
list when it is absent), several rounds, each question once a round; the embedding cache is
not involved (there is none). Cold start: a fresh ``niangjia ask`` process, wall clock.
Index build: embedding and indexing both documents from scratch, in the warm process (the
first build also loads sentence-transformers for the passages). Memory: peak resident set of
the serving process, and again after the build.

The dialogue step: in the same warm process, each question answered by ``QA.ask`` and by
``Dialogue.respond`` with no context, in pairs (the order alternating round by round); the
medians of both and the median of the paired differences, which is what the dialogue step
adds to a fresh question. Then follow-ups (那谁负责, 详细说说, 还有吗, 湖北是怎么落实的)
answered in the context each question left.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core.answer import QA  # noqa: E402
from bot.core.dialogue import Dialogue  # noqa: E402
from bot.core.encoders import load_encoder  # noqa: E402
from bot.ingest.changes import apply_change, open_live  # noqa: E402

FALLBACK = [
    "单位有没有哺乳室",
    "工会能帮忙介绍对象吗",
    "外卖骑手的权益",
    "宣传部负责什么",
    "湖北方案第4项",
]
FOLLOW_UPS = ["那谁负责", "详细说说", "还有吗", "湖北是怎么落实的"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def dialogue_step(qa: QA, questions: list[str], rounds: int) -> dict:
    """What ``Dialogue.respond`` adds to ``QA.ask``, paired question by question, and what a
    follow-up in context costs."""
    dialogue = Dialogue(qa)
    asks, responds, added = [], [], []
    follow_ups: dict[str, list[float]] = {f: [] for f in FOLLOW_UPS}
    for round_ in range(rounds):
        for q in questions:
            pair = {}
            for which in ("ask", "respond") if round_ % 2 == 0 else ("respond", "ask"):
                started = time.perf_counter()
                if which == "ask":
                    qa.ask(q)
                else:
                    turn = dialogue.respond(q, None)
                pair[which] = ms(started)
            asks.append(pair["ask"])
            responds.append(pair["respond"])
            added.append(pair["respond"] - pair["ask"])
            if turn.context is None:
                continue  # a decline: nothing to follow up
            for follow_up, times in follow_ups.items():
                context = copy.deepcopy(turn.context)
                started = time.perf_counter()
                dialogue.respond(follow_up, context)
                times.append(ms(started))
    every_follow_up = [t for times in follow_ups.values() for t in times]
    return {
        "dialogue_pairs": len(added),
        "dialogue_ask_median_ms": round(statistics.median(asks), 2),
        "dialogue_respond_median_ms": round(statistics.median(responds), 2),
        "dialogue_added_median_ms": round(statistics.median(added), 2),
        "follow_ups_timed": len(every_follow_up),
        "follow_up_median_ms": round(statistics.median(every_follow_up), 2),
        "follow_up_p95_ms": round(percentile(every_follow_up, 95), 2),
        "follow_up_median_ms_by_message": {
            f: round(statistics.median(times), 2) for f, times in follow_ups.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the Q&A core.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/eval/dev.jsonl")
    args = parser.parse_args()

    settings = Settings.from_env()
    questions = (
        [json.loads(line)["q"] for line in args.questions.read_text(encoding="utf-8").splitlines()]
        if args.questions.exists()
        else FALLBACK
    )

    encoder = load_encoder(settings)
    qa = QA(open_live(settings, encoder=encoder))
    for q in questions[:5]:
        qa.ask(q)  # warm-up
    times = []
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            qa.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    serving_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dialogue = dialogue_step(qa, questions, args.rounds)

    # Building embeds the passages through sentence-transformers (loaded on first use).
    builds = []
    for _ in range(2):  # the first includes loading sentence-transformers
        with tempfile.TemporaryDirectory() as tmp:
            build_settings = Settings(
                knowledge_dir=settings.knowledge_dir, index_dir=Path(tmp) / "i"
            )
            started = time.perf_counter()
            apply_change(build_settings, encoder)
            builds.append(time.perf_counter() - started)
    build_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "两癌筛查"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        cold.append(time.perf_counter() - t)

    result = {
        "questions": len(questions),
        "answers_timed": len(times),
        "warm_median_ms": round(statistics.median(times), 1),
        "warm_p95_ms": round(percentile(times, 95), 1),
        "warm_max_ms": round(max(times), 1),
        **dialogue,
        "cold_ask_s_median": round(statistics.median(cold), 2),
        "index_build_s_first": round(builds[0], 1),
        "index_build_s_again": round(builds[1], 1),
        "encoder": type(encoder).__name__,
        "serving_peak_rss_mb": round(serving_rss_mb),
        "peak_rss_mb_after_build": round(build_rss_mb),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
