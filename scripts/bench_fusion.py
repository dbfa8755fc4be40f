"""What the fitted fusion costs a warm answer: the shipped fusion against ranks alone without
key words for long questions (or against the fusion of another tuning file, ``--against``), in
one process, each question answered by both in alternating order, three rounds. Prints both
medians and 95th percentiles, the median of the paired differences, and that median over the
long questions alone.

    .venv/bin/python scripts/bench_fusion.py
    .venv/bin/python scripts/bench_fusion.py --against old-tuning.json
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

from bot.config import ROOT, Settings
from bot.core.evaluate import read_examples
from bot.core.retriever import Fusion
from bot.ingest.changes import open_live_qa

EVAL = ROOT.parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="a tuning.json whose fusion to compare")
    args = parser.parse_args()
    qa = open_live_qa(Settings.from_env())
    questions = [e.q for name in ("dev.jsonl", "dev2.jsonl") for e in read_examples(EVAL / name)]
    shipped = qa.retriever.fusion
    other = (
        Fusion.load(args.against)
        if args.against
        else dataclasses.replace(shipped, focus=0.0, scores=0.0)
    )
    print(f"shipped: {shipped}\nother: {other}")
    fusions = {"shipped": shipped, "other": other}
    for q in questions:
        qa.ask(q)
    times: dict[str, list[float]] = {name: [] for name in fusions}
    diffs, long_diffs = [], []
    for round_ in range(3):
        for i, q in enumerate(questions):
            order = list(fusions) if (i + round_) % 2 else list(reversed(fusions))
            took = {}
            for name in order:
                qa.retriever.fusion = fusions[name]
                start = time.perf_counter()
                qa.ask(q)
                took[name] = (time.perf_counter() - start) * 1000
                times[name].append(took[name])
            diffs.append(took["shipped"] - took["other"])
            if len(q) >= shipped.focus_length:
                long_diffs.append(diffs[-1])
    medians = {name: round(statistics.median(t), 2) for name, t in times.items()}
    p95 = {name: round(statistics.quantiles(t, n=20)[-1], 2) for name, t in times.items()}
    print(f"median ms per question: {medians}; 95th percentile: {p95}")
    print(f"paired median difference (shipped - other): {statistics.median(diffs):+.2f} ms")
    if long_diffs:
        print(f"long questions ({len(long_diffs) // 3}): {statistics.median(long_diffs):+.2f} ms")
        print(f"  their mean difference: {statistics.mean(long_diffs):+.2f} ms")


if __name__ == "__main__":
    main()
