"""Reciprocal-rank fusion."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.fusion import ranks, reciprocal_rank_fusion


def test_ranks_with_floor():
    assert ranks(np.array([0.1, 3.0, 0.0, 2.0]), floor=0.0).tolist() == [3, 1, 0, 2]


def test_fusion_rewards_agreement():
    a = np.array([3.0, 2.0, 1.0])
    b = np.array([1.0, 3.0, 2.0])
    fused = reciprocal_rank_fusion({"a": a, "b": b}, k=1.0)
    assert int(np.argmax(fused)) == 1


def test_weights_and_unranked_units():
    a = np.array([1.0, 0.0])
    fused = reciprocal_rank_fusion({"a": a}, weights={"a": 2.0}, k=1.0, floors={"a": 0.0})
    assert fused.tolist() == [1.0, 0.0]


def test_no_channels():
    with pytest.raises(ValueError):
        reciprocal_rank_fusion({})
