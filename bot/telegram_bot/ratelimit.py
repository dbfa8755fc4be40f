"""A per-user sliding-window limit on questions (e.g. 20 a minute)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable


class SlidingWindowLimiter:
    """``allow(key)`` is True for at most ``limit`` calls per key in any ``window`` seconds."""

    def __init__(
        self, limit: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._calls = 0

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        self._calls += 1
        if self._calls % 1000 == 0:
            self._forget_idle(now)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        """Drop users with nothing in the window, so memory stays bounded."""
        for key in [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[key]
