"""Sign-in throttling: at most N failures per window per client address and per email.

In memory, like shared/ratelimit.py (whose fixed one-minute windows do not fit a 15-minute
count of failures): each API process counts on its own, so with several replicas an attacker
gets a few times the limit: a bound on guessing, not a quota. Only failures count; a
success clears the email's count but not the address's (or one good account would let an
address go on guessing others). The table is bounded: the oldest keys are dropped first.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from datetime import datetime, timedelta


class SignInThrottle:
    def __init__(self, *, limit: int, window: timedelta, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_after(self, keys: Iterable[str], now: datetime) -> int:
        """0 when a sign-in may be tried; else the seconds until the oldest failure ages out."""
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                wait = max(wait, (times[0] + self.window - now).total_seconds())
        return max(1, int(wait + 0.999)) if wait > 0 else 0

    def fail(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
