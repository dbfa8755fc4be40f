"""One writer at a time: changes from separate processes wait for each other (or refuse past a
timeout), and afterwards the documents, the index and the answers agree."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import ChangeBusyError
from bot.ingest.changes import apply_change, open_live
from bot.ingest.lock import WAITING, one_writer
from tests import fake_model_cli
from tests.conftest import FakeEncoder
from tests.documents_fixtures import CITY_PLAN, REGULATION

WUHAN, PROVINCE = "武工发〔2024〕3号", "某政令〔2023〕12号"


@pytest.fixture
def built(settings):
    return open_live(settings, encoder=FakeEncoder())


def _files(tmp_path: Path) -> tuple[Path, Path]:
    plan, regulation = tmp_path / "plan.txt", tmp_path / "regulation.txt"
    plan.write_text(CITY_PLAN, encoding="utf-8")
    regulation.write_text(REGULATION, encoding="utf-8")
    return plan, regulation


def _wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_two_adds_at_once_both_land_and_everything_agrees(settings, built, tmp_path):
    plan, regulation = _files(tmp_path)
    errs = [tmp_path / "a.err", tmp_path / "b.err"]
    procs = []
    # Both start while a change holds the lock, so both must wait and then go one by one.
    with one_writer(settings.index_dir, timeout=5):
        for path, err in zip((plan, regulation), errs, strict=True):
            with open(err, "w", encoding="utf-8") as stream:
                procs.append(
                    fake_model_cli.start(
                        settings, "docs", "add", str(path), "--yes", stdout=stream, stderr=stream
                    )
                )
        _wait_until(
            lambda: all(WAITING in e.read_text(encoding="utf-8") for e in errs),
            "both adds should say they wait",
        )
    for proc, err in zip(procs, errs, strict=True):
        assert proc.wait(timeout=120) == 0, err.read_text(encoding="utf-8")
        assert "已上线" in err.read_text(encoding="utf-8")
    listed = fake_model_cli.run(settings, "docs", "list").stdout
    assert WUHAN in listed and PROVINCE in listed and len(listed.splitlines()) == 4
    status = json.loads(fake_model_cli.run(settings, "index", "status", "--json").stdout)
    assert status["state"] == "ok" and set(status["documents"]) >= {WUHAN, PROVINCE}
    asked = fake_model_cli.run(
        settings, "ask", "--json", stdin="武汉市新就业形态女职工权益维护由谁负责\n某省哺乳时间\n"
    )
    wuhan, province = [json.loads(line) for line in asked.stdout.splitlines()]
    assert wuhan["hits"][0]["doc_code"] == WUHAN
    assert province["hits"][0]["doc_code"] == PROVINCE


def test_a_change_that_waits_too_long_is_refused_and_changes_nothing(settings, built, tmp_path):
    plan, _ = _files(tmp_path)
    before = sorted(p.name for p in settings.knowledge_dir.iterdir())
    with one_writer(settings.index_dir, timeout=5):
        result = fake_model_cli.run(
            settings,
            "docs",
            "add",
            str(plan),
            "--yes",
            env={"NIANGJIA_CHANGE_WAIT_SECONDS": "0.3"},
        )
    assert result.returncode == 1 and WAITING in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("错误：另一项文件更新")
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == before


def test_in_one_process_a_second_change_waits_then_refuses(settings, built):
    told = []
    slow = replace(settings, change_wait_seconds=0.2)
    with one_writer(settings.index_dir, timeout=5):
        with pytest.raises(ChangeBusyError, match="这次改动没有进行"):
            apply_change(slow, FakeEncoder(), on_wait=lambda: told.append(1))
    assert told == [1]  # told once, not at every attempt
    apply_change(slow, FakeEncoder())  # free again
