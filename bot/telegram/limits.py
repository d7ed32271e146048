"""The per-reader question limit."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable


class UserRateLimiter:
    """At most ``per_minute`` questions per user in any 60-second window.

    Telegram's own flood limits are handled by ``AIORateLimiter`` on the way out; this one keeps a
    single reader from monopolising the model. A reader over the limit is told once per window,
    then further messages are dropped silently (answering each would be spam in itself).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def check(self, user_id: int) -> tuple[bool, float]:
        """Record a question; returns ``(allowed, seconds_to_wait)``."""
        now = self.clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= 60.0:
            asked.popleft()
        if len(asked) < self.per_minute:
            asked.append(now)
            return True, 0.0
        return False, 60.0 - (now - asked[0])

    def should_warn(self, user_id: int, wait: float) -> bool:
        """True the first time a user hits the limit in a window."""
        now = self.clock()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        self._warned_until[user_id] = now + wait
        return True
