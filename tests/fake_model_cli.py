"""``python -m bot`` with the tests' fake encoder (and a decline model for it) in place of the
real model, for tests that run the command line as a process of its own without loading torch:
``python -m tests.fake_model_cli docs add plan.txt --yes``. Everything else is the real entry point.

``NIANGJIA_TEST_PAUSE_BEFORE_SWITCH=<file>``: a change stops after its version folder is written
and its documents are in place, just before ``current`` switches; it writes ``<file>`` and waits
there to be killed.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

import bot.core.encoders
import bot.core.live
import bot.ingest.versions
from bot.config import ROOT, Settings
from bot.core.decline import DeclineModel
from tests.conftest import FakeEncoder, quantity_only


def command_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points the command line at ``settings``' folders."""
    env = {
        **os.environ,
        "NIANGJIA_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "NIANGJIA_INDEX_DIR": str(settings.index_dir),
        "NIANGJIA_DATA_DIR": str(settings.data_dir),
        "NIANGJIA_EMBEDDING_MODEL": FakeEncoder.name,
        **extra,
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def start(settings: Settings, *args: str, env: dict[str, str] | None = None, **kw):
    """The command line as a process of its own (``subprocess.Popen`` keywords in ``kw``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fake_model_cli", *args],
        cwd=ROOT,
        env=command_env(settings, **(env or {})),
        **kw,
    )


def run(settings: Settings, *args: str, env: dict[str, str] | None = None, stdin: str = ""):
    """Run the command line to its end; its exit code, standard output and error as text."""
    return subprocess.run(
        [sys.executable, "-m", "tests.fake_model_cli", *args],
        cwd=ROOT,
        env=command_env(settings, **(env or {})),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fake_encoder(settings, threads=None) -> FakeEncoder:
    return FakeEncoder()


def pause_before_switch(marker: str):
    def point(index_dir, version, kind="switch"):
        Path(marker).write_text(version.name, encoding="utf-8")
        time.sleep(600)

    return point


if __name__ == "__main__":
    bot.core.encoders.load_encoder = fake_encoder
    bot.core.live.load_encoder = fake_encoder
    bot.core.live.encoder_variant = lambda settings: FakeEncoder.variant
    # The shipped decline model reads e5's cosines, not the fake encoder's.
    DeclineModel.load = classmethod(lambda cls, path: quantity_only())
    if marker := os.environ.get("NIANGJIA_TEST_PAUSE_BEFORE_SWITCH"):
        bot.ingest.versions.point = pause_before_switch(marker)
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
