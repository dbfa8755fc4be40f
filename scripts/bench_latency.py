"""Latency, cold start, index build time and memory of the Q&A core, on this machine.

    .venv/bin/python scripts/bench_latency.py [--rounds 3]

Warm latency: one process answers every question of the development set (or a built-in
list when it is absent), several rounds, each question once a round; the embedding cache is
not involved (there is none). Cold start: a fresh ``niangjia ask`` process, wall clock.
Index build: embedding and indexing both documents from scratch, in the warm process (the
first build also loads sentence-transformers for the passages). Memory: peak resident set of
the serving process, and again after the build.
"""

from __future__ import annotations

import argparse
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
from bot.core.encoders import load_encoder  # noqa: E402
from bot.ingest.changes import apply_change, open_live  # noqa: E402

FALLBACK = [
    "单位有没有哺乳室",
    "工会能帮忙介绍对象吗",
    "外卖骑手的权益",
    "宣传部负责什么",
    "湖北方案第4项",
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


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
        "cold_ask_s_median": round(statistics.median(cold), 2),
        "index_build_s_first": round(builds[0], 1),
        "index_build_s_again": round(builds[1], 1),
        "encoder": type(encoder).__name__,
        "serving_peak_rss_mb": round(serving_rss_mb),
        "peak_rss_mb_after_build": round(build_rss_mb),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
