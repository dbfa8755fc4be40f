"""How long adding a document takes when the knowledge base already holds 50 documents.

    .venv/bin/python scripts/bench_ingest.py [--documents 50]

Builds a knowledge folder of the two seeds plus synthetic city plans (each a notice with about
ten numbered items and their 责任单位, drawn from the seeds' own sentences), indexes it once
with the real model, then times adding one more document (preview, build with the embedding
cache, switch) in the warm process, as the running bot does, and as a fresh
``niangjia docs add --yes`` process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.core.encoders import load_encoder  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.ingest.changes import add_document, apply_change  # noqa: E402
from bot.ingest.files import preview  # noqa: E402

CITIES = "武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施 仙桃 潜江 天门".split()
DISTRICTS = "东湖 西山 南岸 北湖 中山 新华 长江 汉水".split()
DEPARTMENTS = ["女职工部", "宣传部", "权益保障部", "基层工作部", "经济技术劳动保护部", "组织部"]


def city_plan(i: int, rng: random.Random, clauses: list) -> str:
    city = f"{CITIES[i % len(CITIES)]}{DISTRICTS[i // len(CITIES) % len(DISTRICTS)]}区"
    lines = [
        f"{city}总工会关于印发《{city}加强新时代工会女职工工作实施方案》的通知",
        f"{city}工发〔2024〕{i + 1}号",
        "各基层工会：",
        f"现将《{city}加强新时代工会女职工工作实施方案》印发给你们，请认真贯彻落实。",
        f"{city}加强新时代工会女职工工作实施方案",
        "为贯彻落实《中华全国总工会关于加强新时代工会女职工工作的意见》（总工发〔2022〕5号），制定本方案。",
        "一、主要任务",
    ]
    for n, clause in enumerate(rng.sample(clauses, 10), start=1):
        # Each sentence made the city's own, so that none is in the embedding cache already.
        sentences = [f"{city}{s}" for s in (clause.sentences[1:4] or clause.sentences[:1])]
        depts = "、".join(f"{city}总工会{d}" for d in rng.sample(DEPARTMENTS, 2))
        lines.append(f"{n}.{clause.title}。{''.join(sentences)}[责任单位：{depts}]")
    lines.append("二、保障措施")
    lines.append("（一）加强组织领导。各级工会要把女职工工作摆上重要议事日程。")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark adding a document.")
    parser.add_argument("--documents", type=int, default=50)
    args = parser.parse_args()
    base = Settings.from_env()
    rng = random.Random(7)
    seeds = load_knowledge(base.knowledge_dir)
    clauses = [c for d in seeds for c in d.clauses if c.number and len(c.sentences) > 1]
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        shutil.copytree(base.knowledge_dir, knowledge)
        for i in range(args.documents - len(seeds)):
            (knowledge / f"city-{i:03d}.txt").write_text(city_plan(i, rng, clauses), "utf-8")
        settings = Settings(
            knowledge_dir=knowledge,
            index_dir=Path(tmp) / "index",
            data_dir=Path(tmp) / "data",
            model=base.model,
            model_dir=base.model_dir,
        )
        encoder = load_encoder(settings)
        started = time.perf_counter()
        retriever, _ = apply_change(settings, encoder)
        first_build = time.perf_counter() - started

        new = city_plan(999, rng, clauses).encode()
        started = time.perf_counter()
        item = preview(new, knowledge, "new.txt")
        _, change = add_document(settings, item, encoder)
        warm = time.perf_counter() - started

        other = Path(tmp) / "another.txt"
        other.write_bytes(city_plan(1000, rng, clauses).encode())
        env = {
            **os.environ,
            "NIANGJIA_KNOWLEDGE_DIR": str(knowledge),
            "NIANGJIA_INDEX_DIR": str(settings.index_dir),
            "NIANGJIA_DATA_DIR": str(settings.data_dir),
        }
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "docs", "add", str(other), "--yes"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        cold = time.perf_counter() - started
    result = {
        "documents_before": len(retriever.docs),
        "clauses_before": len(retriever.clauses),
        "first_build_s": round(first_build, 1),
        "add_one_in_running_process_s": round(warm, 1),
        "passages_embedded": change.embedded,
        "passages_reused": change.reused,
        "add_one_fresh_cli_process_s": round(cold, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
