"""Sign-in throttling: failures counted per (email, client address), per address, per email.

Who is refused, and why these three counts:

- (email, address): ``limit`` failures, then that address may not try that email. The
  count a success clears.
- address: ``limit`` failures, then that address may try no email at all (one address
  guessing many accounts). A success does not clear it, or one good account would let an
  address go on guessing others.
- email, across every address: ``email_limit``, much higher (100 by default). A low cap
  here would let anyone lock any editor out by failing ten times from ten addresses; a high
  one still stops a botnet trying one account from thousands of addresses for long.

An attempt is *reserved* before the password is verified, under a lock: the check and the
count are one step, so thirty parallel guesses cannot all pass a count that reads zero. The
reservation stands as the failure; a success (or an attempt that never verified) releases
it. In memory, like shared/ratelimit.py: each API process counts on its own, so with N
processes an attacker gets up to N times the limits. The table is bounded: the oldest keys
are dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt's keys. An email longer than any address is cut: the key stays
    small, the count still works."""

    address: str
    email: str

    @property
    def pair(self) -> str:
        return f"pair:{self.email[:254]}\n{self.address}"

    @property
    def address_key(self) -> str:
        return f"address:{self.address}"

    @property
    def email_key(self) -> str:
        return f"email:{self.email[:254]}"


class SignInThrottle:
    def __init__(
        self, *, limit: int, email_limit: int, window: timedelta, max_keys: int = 50_000
    ) -> None:
        self.limit = limit
        self.email_limit = email_limit
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()
        # Requests run in a thread pool: every read and write of the table holds this.
        self._lock = threading.Lock()

    def _limits(self, attempt: Attempt) -> tuple[tuple[str, int], ...]:
        return (
            (attempt.pair, self.limit),
            (attempt.address_key, self.limit),
            (attempt.email_key, self.email_limit),
        )

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def reserve(self, attempt: Attempt, now: datetime) -> int:
        """0: the attempt may verify a password and is counted as a failure until
        ``succeeded`` or ``release``; else the seconds until the oldest failure ages out."""
        with self._lock:
            wait = 0.0
            for key, limit in self._limits(attempt):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(wait, (times[0] + self.window - now).total_seconds())
            if wait > 0:
                return max(1, int(wait + 0.999))
            for key, _ in self._limits(attempt):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
            return 0

    def release(self, attempt: Attempt, now: datetime) -> None:
        """Take back a reservation made at ``now`` (the password was never verified)."""
        with self._lock:
            for key, _ in self._limits(attempt):
                self._drop(key, now)

    def succeeded(self, attempt: Attempt, now: datetime) -> None:
        """The password was right: the pair's count ends; the address and the email keep
        their earlier failures, less this attempt's reservation."""
        with self._lock:
            self._failures.pop(attempt.pair, None)
            self._drop(attempt.address_key, now)
            self._drop(attempt.email_key, now)

    def _drop(self, key: str, now: datetime) -> None:
        times = self._failures.get(key)
        if times is not None and now in times:
            times.remove(now)
