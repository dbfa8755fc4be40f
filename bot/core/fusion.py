"""Reciprocal-rank fusion of per-channel scores."""

from __future__ import annotations

import numpy as np


def ranks(scores: np.ndarray, floor: float | None = None) -> np.ndarray:
    """1-based rank of each unit by descending score; units at or below ``floor`` get rank 0."""
    order = np.argsort(-scores, kind="stable")
    out = np.empty(len(scores), dtype=np.int64)
    out[order] = np.arange(1, len(scores) + 1)
    if floor is not None:
        out[scores <= floor] = 0
    return out


def reciprocal_rank_fusion(
    channels: dict[str, np.ndarray],
    weights: dict[str, float] | None = None,
    k: float = 60.0,
    floors: dict[str, float | None] | None = None,
) -> np.ndarray:
    """Σ weight / (k + rank) over channels; a unit a channel does not rank adds nothing."""
    weights = weights or {}
    floors = floors or {}
    fused: np.ndarray | None = None
    for name, scores in channels.items():
        r = ranks(np.asarray(scores, dtype=np.float64), floors.get(name))
        part = np.where(r > 0, weights.get(name, 1.0) / (k + np.maximum(r, 1)), 0.0)
        fused = part if fused is None else fused + part
    if fused is None:
        raise ValueError("no channels to fuse")
    return fused


def min_max_fusion(
    channels: dict[str, np.ndarray], weights: dict[str, float] | None = None
) -> np.ndarray:
    """Σ weight × the channel's score scaled to [0, 1] over the units it scores (finite ones);
    unlike ranks, it keeps how far the first unit leads."""
    weights = weights or {}
    fused = np.zeros(len(next(iter(channels.values()))), dtype=np.float64)
    for name, scores in channels.items():
        s = np.asarray(scores, dtype=np.float64)
        finite = np.isfinite(s)
        if not finite.any():
            continue
        lo, hi = s[finite].min(), s[finite].max()
        if hi > lo:
            fused += weights.get(name, 1.0) * np.where(finite, (s - lo) / (hi - lo), 0.0)
    return fused
