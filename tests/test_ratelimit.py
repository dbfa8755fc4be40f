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
