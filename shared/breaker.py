"""A circuit breaker for a backing service that can freeze (Redis SIGSTOPped, a network
partition): connections are accepted and nothing answers, so every call costs a full socket
timeout.

After a failure the breaker is open for ``cooldown`` seconds: callers fail at once instead of
waiting. Then ONE caller is let through as a probe (the others still fail at once while it is
out); its success closes the breaker, its failure opens it again. So while the service is
frozen, at most one call per cooldown pays the timeout, and the rest answer immediately.
A call that ends some other way (the service answered with an error, or a bug raised) must
still end its probe: ``answered()`` (the service answered: it is not frozen) or
``released()`` (nothing learnt: the next caller probes), or the breaker would stay open.
Single-threaded use (one asyncio loop) needs no lock: every method is a few assignments.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    def __init__(self, cooldown: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self._open_until = 0.0
        self._probing = False

    def allows(self) -> bool:
        """True when a call may go ahead (closed, or this caller is the half-open probe)."""
        if self._open_until == 0.0:
            return True
        if self._probing or self.clock() < self._open_until:
            return False
        self._probing = True
        return True

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0

    def failed(self) -> None:
        self._open_until = self.clock() + self.cooldown
        self._probing = False

    def succeeded(self) -> None:
        self._open_until = 0.0
        self._probing = False

    def answered(self) -> None:
        """The service answered, even with an error (a script error, out of memory): it is
        not frozen, so the breaker closes."""
        self.succeeded()

    def released(self) -> None:
        """The call ended without telling whether the service answers (a bug raised before
        or after the round trip): the probe is over, the breaker stays as it was."""
        self._probing = False
