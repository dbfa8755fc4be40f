"""Shared fixtures: the seed documents, a small deterministic fake encoder, a built index."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.config import ROOT, Settings
from bot.core.answer import QA
from bot.core.decline import DeclineModel
from bot.core.knowledge import load_knowledge
from bot.core.retriever import Retriever
from bot.core.tokens import bigrams

KNOWLEDGE = ROOT / "knowledge"
NATIONAL = "总工发〔2022〕5号"
HUBEI = "鄂工办发〔2023〕7号"
# How the plan's title, which names the opinion in 《》, is shown: 书名号 nested once.
HUBEI_TITLE = "《湖北省总工会贯彻落实〈中华全国总工会关于加强新时代工会女职工工作的意见〉实施方案》"


class FakeEncoder:
    """Hashes character bigrams into a normalised 256-dimensional vector: fast and repeatable."""

    name = "fake-bigram-hash"
    dim = 256
    variant = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in bigrams(text):
                h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
            norm = np.linalg.norm(out[row]) or 1.0
            out[row] /= norm
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)


@pytest.fixture(scope="session")
def docs():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def by_code(docs):
    return {d.code: d for d in docs}


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, knowledge_copy: Path) -> Settings:
    return Settings(
        knowledge_dir=knowledge_copy,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        model="fake-bigram-hash",
    )


@pytest.fixture(scope="session")
def fake_retriever(docs) -> Retriever:
    return Retriever(docs, FakeEncoder()).build()


def quantity_only(threshold: float = 0.5) -> DeclineModel:
    """A decline model that reads only whether a quantity asked for is stated: the fake
    encoder's cosines are not e5's, so the shipped model's weights do not apply to them."""
    return DeclineModel(weights={"quantity_unstated": -1.0}, intercept=0.5, threshold=threshold)


@pytest.fixture(scope="session")
def qa(fake_retriever) -> QA:
    return QA(fake_retriever, quantity_only())


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("real")
    return Settings(knowledge_dir=KNOWLEDGE, index_dir=tmp / "index", data_dir=tmp / "data")


@pytest.fixture(scope="session")
def real_qa(real_settings) -> QA:
    """The real multilingual-e5-small with the shipped decline model; its index is built once
    per session and shared by the tests that start processes (they only read it)."""
    from bot.ingest.changes import open_live_qa

    return open_live_qa(real_settings)


# ---------------------------------------------------------------------- the Telegram bot


@pytest.fixture
async def api():
    """A fake Bot API server on 127.0.0.1."""
    from tests.fake_bot_api import FakeBotAPI

    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api, tmp_path, qa):
    """The bot as ``niangjia serve`` builds it, running against the fake server."""
    from bot.telegram_bot.app import build_application
    from tests.bot_harness import bot_settings, running

    app = build_application(bot_settings(api, tmp_path), lambda: qa, retry_backoff=0.05)
    async with running(app):
        yield app
