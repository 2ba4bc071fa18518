"""The in-memory rate limiter: windows, retry hints, bounded memory."""

from __future__ import annotations

from shared.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 6000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_limit_per_minute_then_waits_for_the_next() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0, 0, 0]
    clock.now += 20
    assert limiter.hit("a") == 40
    assert limiter.hit("b") == 0  # another client has its own budget
    clock.now += 40
    assert limiter.hit("a") == 0


def test_a_flood_of_addresses_shares_one_counter_and_memory_stays_bounded() -> None:
    limiter = RateLimiter(5, clock=Clock(), max_clients=100)
    outcomes = [limiter.hit(f"198.51.100.{i}") for i in range(1000)]
    assert len(limiter._counts) == 101
    assert outcomes.count(0) == 100 + 5
