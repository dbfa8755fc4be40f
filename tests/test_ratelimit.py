"""The per-user sliding window."""

from __future__ import annotations

from bot.telegram_bot.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_window_per_user():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=3, window=60, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    clock.now = 59.9
    assert not limiter.allow("a")
    clock.now = 60.0  # the first three leave the window
    assert limiter.allow("a")


def test_refusals_do_not_extend_the_wait():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=1, window=10, clock=clock)
    assert limiter.allow("a")
    for t in range(1, 10):
        clock.now = t
        assert not limiter.allow("a")
    clock.now = 10
    assert limiter.allow("a")


def test_idle_users_are_forgotten():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=5, window=1, clock=clock)
    for user in range(999):
        limiter.allow(user)
    clock.now = 5
    limiter.allow("last")  # the 1000th call sweeps
    assert len(limiter._seen) == 1


def test_a_flood_is_told_once_a_window_with_the_wait():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window=60, clock=clock)
    verdicts = []
    for t in range(10):
        clock.now = t
        verdicts.append(limiter.check("a"))
    assert [v.allowed for v in verdicts] == [True, True] + [False] * 8
    assert [v.notify for v in verdicts].count(True) == 1 and verdicts[2].notify
    assert verdicts[2].retry_after == 58
    clock.now = 61  # a slot is free again; flooding on is not told again within the window
    assert limiter.check("a").allowed and not limiter.check("a").notify
    clock.now = 121
    assert limiter.check("a").allowed and limiter.check("a").allowed
    assert limiter.check("a").notify  # a new window, a new notice
