"""How long the training-needs report takes on a large query log.

    .venv/bin/python scripts/bench_report.py [--rows 100000]

Writes a synthetic log (``tests/synthetic_log.py``: 26 weeks, 70 % answered, the unanswered
questions in many wordings, a fifth of the answered ones follow-ups, some feedback) into a
temporary folder, then builds the HTML report with the real model (embedding and clustering
the distinct unanswered questions) and reports the time of each step.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.ingest.changes import open_live_qa  # noqa: E402
from bot.querylog.report import gather, to_html  # noqa: E402
from tests.synthetic_log import make_log  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the training-needs report.")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    qa = open_live_qa(Settings.from_env())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "querylog.db"
        started = time.perf_counter()
        make_log(path, qa.docs, args.rows, varied=True)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        data = gather(path, qa.place, qa.retriever.encoder)
        gathered = time.perf_counter() - started
        started = time.perf_counter()
        page = to_html(data)
        rendered = time.perf_counter() - started
    result = {
        "rows": args.rows,
        "distinct_unanswered": data.unanswered_distinct,
        "clusters": len(data.clusters),
        "followups": data.followups,
        "write_synthetic_log_s": round(generated, 1),
        "figures_and_clusters_s": round(gathered, 1),
        "html_with_charts_s": round(rendered, 1),
        "report_total_s": round(gathered + rendered, 1),
        "html_kb": round(len(page.encode()) / 1024),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
