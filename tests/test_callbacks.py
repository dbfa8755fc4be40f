"""Button data: versioned, small, validated; the answer cache behind it."""

from __future__ import annotations

import pytest

from bot.core.answer import Answer
from bot.telegram_bot.keyboards import (
    ACTIONS,
    MAX_BYTES,
    AnswerCache,
    Callback,
    InvalidCallback,
    decode,
)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_round_trip_within_telegrams_64_bytes(action):
    callback = Callback(action, "Abc_-123xyz0", 7)
    data = callback.encode()
    assert data.startswith("1|") and len(data.encode()) <= MAX_BYTES
    assert decode(data) == callback


@pytest.mark.parametrize(
    "data",
    [
        None,
        12,
        "",
        "1",
        "1|f|tok",
        "0|f|Abcdefgh|0",
        "1|z|Abcdefgh|0",
        "1|f|短短短短短短短短|0",
        "1|f|Abc/defgh|0",
        "1|f|Abcdefgh|x",
        "1|f|Abcdefgh|51",
        "1|f|Abcdefgh|-1",
        "1|f|Abcdefgh|١",
        "1|f|Abcdefgh|0|extra",
        "1|f|" + "A" * 70 + "|0",
    ],
)
def test_malformed_data_is_invalid(data):
    with pytest.raises(InvalidCallback):
        decode(data)


def answer(n_hits: int = 0) -> Answer:
    return Answer("q", "search", True, "m", hits=[object()] * n_hits)  # type: ignore[list-item]


def test_cache_returns_answers_and_checks_the_hit_index():
    cache = AnswerCache()
    token = cache.put(answer(2))
    stored, index = cache.lookup(Callback("full", token, 1))
    assert index == 1 and len(stored.answer.hits) == 2
    with pytest.raises(InvalidCallback):
        cache.lookup(Callback("full", token, 2))
    assert cache.lookup(Callback("up", token, 0))[0] is stored  # feedback needs no hit


def test_cache_forgets_the_least_recently_used_first():
    cache = AnswerCache(capacity=2)
    a, b = cache.put(answer()), cache.put(answer())
    cache.get(a)  # a is used again, so b is the oldest
    c = cache.put(answer())
    assert len(cache) == 2 and cache.get(a) and cache.get(c)
    with pytest.raises(InvalidCallback):
        cache.get(b)


def test_tokens_are_unguessable_and_distinct():
    cache = AnswerCache()
    tokens = {cache.put(answer()) for _ in range(500)}
    assert len(tokens) == 500 and all(len(t) == 12 for t in tokens)
