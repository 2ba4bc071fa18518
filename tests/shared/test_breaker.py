"""The breaker: open after a failure, one probe at a time after the cool-down, closed by a
success (time comes in as a parameter)."""

from __future__ import annotations

from shared.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_until_a_failure_then_open_for_the_cooldown() -> None:
    clock = Clock()
    breaker = Breaker(cooldown=1.0, clock=clock)
    assert breaker.allows() and breaker.allows()
    breaker.failed()
    assert breaker.is_open
    clock.now += 0.9
    assert not breaker.allows()


def test_after_the_cooldown_one_probe_goes_and_the_rest_wait_for_its_outcome() -> None:
    clock = Clock()
    breaker = Breaker(cooldown=1.0, clock=clock)
    breaker.failed()
    clock.now += 1.0
    assert breaker.allows()  # the probe
    assert not breaker.allows()  # everyone else while it is out
    breaker.failed()  # the probe failed: open again for a full cool-down
    clock.now += 0.5
    assert not breaker.allows()
    clock.now += 0.5
    assert breaker.allows()
    breaker.succeeded()
    assert not breaker.is_open
    assert breaker.allows() and breaker.allows()


def test_a_probe_that_ends_without_news_lets_the_next_caller_probe() -> None:
    clock = Clock()
    breaker = Breaker(cooldown=1.0, clock=clock)
    breaker.failed()
    clock.now += 1.0
    assert breaker.allows()  # the probe
    breaker.released()  # it raised something that says nothing of the service
    assert breaker.is_open
    assert breaker.allows()  # the next caller is the probe; the breaker is not stuck


def test_a_probe_answered_with_an_error_closes_the_breaker() -> None:
    clock = Clock()
    breaker = Breaker(cooldown=1.0, clock=clock)
    breaker.failed()
    clock.now += 1.0
    assert breaker.allows()
    breaker.answered()
    assert not breaker.is_open
    assert breaker.allows() and breaker.allows()
