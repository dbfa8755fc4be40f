"""Fusion of channel scores: by reciprocal rank and by scaled score."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.fusion import min_max_fusion, ranks, reciprocal_rank_fusion


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


def test_scaled_scores_keep_a_lead_that_ranks_lose():
    lead = {"a": np.array([9.0, 2.0, 1.0]), "b": np.array([0.80, 0.81, 0.0])}
    ranks_only = reciprocal_rank_fusion(lead, k=1.0)
    assert ranks_only[0] == ranks_only[1]  # first once, second once: a tie by ranks
    scaled = min_max_fusion(lead)
    assert int(np.argmax(scaled)) == 0


def test_scaled_scores_skip_masked_and_flat_channels():
    fused = min_max_fusion(
        {"a": np.array([2.0, -np.inf, 1.0]), "flat": np.array([1.0, 1.0, 1.0])}, {"a": 2.0}
    )
    assert fused.tolist() == [2.0, 0.0, 0.0]
