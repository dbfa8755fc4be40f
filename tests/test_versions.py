"""Versions, the current pointer and the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.live import current_version as current
from bot.errors import IndexStateError
from bot.ingest.changes import open_live
from bot.ingest.versions import EmbeddingCache, previous, versions
from tests.conftest import FakeEncoder


def test_current_is_a_symlink_to_a_version(settings):
    with pytest.raises(IndexStateError):
        current(settings.index_dir)
    open_live(settings, encoder=FakeEncoder())
    link = settings.index_dir / "current"
    assert link.is_symlink() and current(settings.index_dir) == versions(settings.index_dir)[-1]
    with pytest.raises(IndexStateError, match="没有更早"):
        previous(settings.index_dir)


def test_cache_reuses_vectors_and_forgets_unused_ones(tmp_path):
    path = tmp_path / "cache.npz"
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32) * len(calls)

    cache = EmbeddingCache(path, "m")
    first = cache.encode(["甲", "乙"], encode)
    cache.save()
    again = EmbeddingCache(path, "m")
    second = again.encode(["乙", "丙"], encode)
    assert calls == [["甲", "乙"], ["丙"]] and np.allclose(second[0], first[1])
    again.save()
    assert len(EmbeddingCache(path, "m").vectors) == 2  # 甲 was not used by the last build
    assert EmbeddingCache(path, "other-model").key("乙") != again.key("乙")


def test_a_damaged_cache_is_only_slower(tmp_path):
    path = tmp_path / "cache.npz"
    path.write_bytes(b"garbage")
    assert EmbeddingCache(path, "m").vectors == {}


def test_the_cache_keeps_variants_of_a_model_apart(tmp_path):
    plain = EmbeddingCache(tmp_path / "c.npz", "m")
    assert EmbeddingCache(tmp_path / "c.npz", "m", "onnx-int8").key("乙") != plain.key("乙")
    assert EmbeddingCache(tmp_path / "c.npz", "m", "onnx-fp32").key("乙") != EmbeddingCache(
        tmp_path / "c.npz", "m", "onnx-int8"
    ).key("乙")
