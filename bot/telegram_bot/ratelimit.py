"""Limits: a per-user sliding window on questions (e.g. 20 a minute), and Telegram's own flood
limits with retries for passing network faults."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What the limiter says of one call: allowed or not; if not, in how many seconds the next
    is, and whether to say so (once per window, so that a flood draws one notice, not one a
    message)."""

    allowed: bool
    retry_after: float = 0.0
    notify: bool = False


class SlidingWindowLimiter:
    """``allow(key)`` is True for at most ``limit`` calls per key in any ``window`` seconds;
    ``check(key)`` says the same with the wait and whether to tell the person."""

    def __init__(
        self, limit: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}  # key → when it was last told to slow down
        self._calls = 0

    def allow(self, key: Hashable) -> bool:
        return self.check(key).allowed

    def check(self, key: Hashable) -> Verdict:
        now = self.clock()
        self._calls += 1
        if self._calls % 1000 == 0:
            self._forget_idle(now)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            return Verdict(True)
        told = self._told.get(key)
        notify = told is None or now - told >= self.window
        if notify:
            self._told[key] = now
        return Verdict(False, retry_after=self.window - (now - times[0]), notify=notify)

    def _forget_idle(self, now: float) -> None:
        """Drop users with nothing in the window, so memory stays bounded."""
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
        for key in [k for k, t in self._told.items() if now - t >= self.window]:
            del self._told[key]


class RetryingRateLimiter(AIORateLimiter):
    """Telegram's flood limits (``AIORateLimiter``, which also retries 429s), plus retries with
    exponential backoff for dropped connections, time-outs and 5xx answers, so that an answer
    is not lost to a passing network fault. ``getUpdates`` never comes here (the updater has its
    own retry loop)."""

    def __init__(
        self, attempts: int = 6, backoff: float = 0.5, max_backoff: float = 8.0, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise  # our request is wrong; sending it again will not help
            except NetworkError as exc:  # time-outs, dropped connections, 5xx
                if attempt == self.attempts:
                    raise
                log.warning(
                    "Bot API %s failed (%s); retry %d in %.2f s", endpoint, exc, attempt, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        return None  # pragma: no cover - the loop returns or raises
