"""Fit the "no answer" cut-off on a labelled set; write bot/core/data/calibration.json.

The set (scripts/data/calibration.jsonl) holds questions written for this purpose: everyday
questions the documents answer, and neighbouring ones they do not (产假天数, 加班费, 天气).
It shares no question with the development set. The cut-off is the highest that keeps false
declines of answerable questions at or under the allowed rate; declines by rule (no Chinese,
quantity questions without a quantity) are counted as they happen in ``QA.ask``.

    .venv/bin/python scripts/calibrate.py [--max-false-declines 0.05]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.config import Settings
from bot.core.answer import CALIBRATION_FILE, HAS_CJK, Calibration
from bot.core.intents import normalise_query, parse_intent
from bot.ingest.changes import open_live_qa

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "calibration.jsonl")
    parser.add_argument("--max-false-declines", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args()

    qa = open_live_qa(Settings.from_env())
    qa.calibration = Calibration(threshold=0.0)
    rows = []
    for line in args.data.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        q = normalise_query(item["q"])
        if not HAS_CJK.search(q):
            rows.append((item["answerable"], None))  # declined by rule whatever the cut-off
            continue
        intent = parse_intent(q, qa.docs, qa.departments)
        if intent.kind not in ("search", "who"):
            continue
        ranked, conf = qa.rank(q, intent)
        by_rule = qa.declines(q, ranked, conf)
        rows.append((item["answerable"], None if by_rule else conf))

    pos = [c for a, c in rows if a]
    neg = [c for a, c in rows if not a]
    candidates = sorted({c for _, c in rows if c is not None} | {0.0})
    best = 0.0
    for t in candidates:
        false_declines = sum(1 for c in pos if c is None or c < t) / len(pos)
        if false_declines <= args.max_false_declines:
            best = t
    # Put the cut-off midway between the accepted answerable score and the next one below.
    below = [c for c in candidates if c < best]
    threshold = (best + below[-1]) / 2 if below else best
    declined = sum(1 for c in neg if c is None or c < threshold) / len(neg)
    false_declines = sum(1 for c in pos if c is None or c < threshold) / len(pos)
    out = {
        "threshold": round(threshold, 4),
        "fitted_on": f"{args.data.name}: {len(pos)} answerable, {len(neg)} out of scope",
        "out_of_scope_declined": round(declined, 3),
        "false_declines": round(false_declines, 3),
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False))
    for answerable, conf in sorted(rows, key=lambda r: (r[1] is None, r[1] or 0)):
        print(f"{'IN ' if answerable else 'OUT'} {conf if conf is None else round(conf, 3)}")


if __name__ == "__main__":
    main()
