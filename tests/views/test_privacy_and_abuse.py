"""Recognising a reader without cookies or stored addresses (daily salt, trusted proxies), and
the per-client rate limit: real Redis, through the running app."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from services.views import buffer, readers
from services.views.settings import ViewsSettings
from tests.helpers import assert_problem
from tests.views.builders import (
    BROWSER,
    Clock,
    accepted,
    beacon,
    buffered_views,
    learn,
    snapshot,
    views_client,
)
from tests.views.builders import views_redis as redis_of


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    learn(views_settings, *(snapshot(i) for i in range(1, 8)))
    return views_settings


# --- daily salt -----------------------------------------------------------------------------


def test_the_same_reader_is_a_new_reader_after_the_salt_rotates_at_midnight(
    settings: ViewsSettings,
) -> None:
    clock = Clock()
    with views_client(settings, clock) as client:
        assert beacon(client, 1) == 202
        assert client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "duplicate"
        }
        clock.advance(days=1)  # a new day, a new salt: the reader cannot be linked
        response = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER})
        assert response.json() == {"status": "counted"}
    r = redis_of(settings)
    salts = {k.decode(): r.get(k) for k in r.scan_iter(match=buffer.SALT_PREFIX + "*")}
    ttls = [r.ttl(k) for k in salts]
    buf = buffered_views(r)
    r.close()
    assert sorted(salts) == [buffer.salt_key(date(2026, 3, 10)), buffer.salt_key(date(2026, 3, 11))]
    assert len(set(salts.values())) == 2  # a fresh random salt each day
    assert all(0 < t <= 2 * 24 * 3600 for t in ttls)  # and each is forgotten after two days
    assert buf == {"1:2026-03-10": 1, "1:2026-03-11": 1}


def test_a_rotation_just_before_midnight_and_after_counts_across_the_day_boundary(
    settings: ViewsSettings,
) -> None:
    """Within the 30-minute window but across midnight the reader counts again: the hash
    cannot link the two days. This is the documented price of a daily salt."""
    clock = Clock()
    clock.now = clock.now.replace(hour=23, minute=50)
    with views_client(settings, clock) as client:
        assert beacon(client, 1) == 202
        clock.advance(minutes=15)
        assert client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "counted"
        }


def test_every_views_process_uses_the_same_salt_for_the_day(settings: ViewsSettings) -> None:
    """Two API processes (two apps here) share the day's salt through Redis, so a reader
    whose beacons land on different processes is still counted once."""
    with views_client(settings) as one, views_client(settings) as two:
        assert beacon(one, 1) == 202
        assert two.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "duplicate"
        }


def test_the_reader_hash_depends_on_salt_secret_address_and_agent() -> None:
    base = readers.reader_hash("salt", "secret", "203.0.113.1", BROWSER)
    assert base == readers.reader_hash("salt", "secret", "203.0.113.1", BROWSER)
    others = {
        readers.reader_hash("salt2", "secret", "203.0.113.1", BROWSER),
        readers.reader_hash("salt", "secret2", "203.0.113.1", BROWSER),
        readers.reader_hash("salt", "secret", "203.0.113.2", BROWSER),
        readers.reader_hash("salt", "secret", "203.0.113.1", BROWSER + "x"),
        # the separator keeps "ab"+"c" apart from "a"+"bc"
        readers.reader_hash("salt", "secret", "203.0.113.1" + BROWSER[:3], BROWSER[3:]),
    }
    assert base not in others
    assert len(others) == 5
    assert "203.0.113.1" not in base


def test_the_hashes_are_keyed_blake2b_over_salt_address_and_agent_in_one_stream() -> None:
    """The day's keyed prefix is cached and copied per beacon: the digests must be those of
    hashing everything at once, whatever was hashed before with another salt or secret."""
    readers.reader_hash("other salt", "other secret", "198.51.100.9", "x")
    key = b"secret"
    whole = hashlib.blake2b(b"salt\x00203.0.113.1\x00" + BROWSER.encode(), digest_size=16, key=key)
    assert readers.reader_hash("salt", "secret", "203.0.113.1", BROWSER) == whole.hexdigest()
    address = hashlib.blake2b(b"salt\x00203.0.113.1", digest_size=12, key=key, person=b"hh-address")
    assert readers.address_hash("salt", "secret", "203.0.113.1") == address.hexdigest()


# --- trusted proxies ------------------------------------------------------------------------


def test_x_forwarded_for_tells_readers_apart_behind_a_trusted_proxy(
    settings: ViewsSettings,
) -> None:
    with views_client(settings, peer="127.0.0.1") as client:
        assert beacon(client, 1, X_Forwarded_For="203.0.113.1") == 202
        assert beacon(client, 1, X_Forwarded_For="203.0.113.2") == 202
        r = client.post(
            "/api/v1/views/1", headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.2"}
        )
        assert r.json() == {"status": "duplicate"}
    assert accepted(settings) == 2


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings: ViewsSettings) -> None:
    """A client cannot mint new readers by sending its own X-Forwarded-For."""
    with views_client(settings, peer="198.51.100.9") as client:
        assert beacon(client, 1, X_Forwarded_For="203.0.113.1") == 202
        for spoofed in ("203.0.113.2", "203.0.113.3", "10.0.0.1"):
            r = client.post(
                "/api/v1/views/1", headers={"User-Agent": BROWSER, "X-Forwarded-For": spoofed}
            )
            assert r.json() == {"status": "duplicate"}
    assert accepted(settings) == 1


def test_hops_a_client_prepends_before_the_proxy_are_ignored(settings: ViewsSettings) -> None:
    """The proxy appends the address it saw; whatever the client wrote before it is not
    trusted: the rightmost address that is not a trusted proxy is the client."""
    with views_client(settings, peer="127.0.0.1") as client:
        assert beacon(client, 1, X_Forwarded_For="1.1.1.1, 203.0.113.7") == 202
        r = client.post(
            "/api/v1/views/1",
            headers={"User-Agent": BROWSER, "X-Forwarded-For": "9.9.9.9, 203.0.113.7"},
        )
        assert r.json() == {"status": "duplicate"}


def test_a_configured_proxy_network_is_trusted(views_settings: ViewsSettings) -> None:
    settings = views_settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    learn(settings, snapshot(1))
    with views_client(settings, peer="10.1.2.3") as client:
        assert beacon(client, 1, X_Forwarded_For="203.0.113.1, 10.9.9.9") == 202
        assert beacon(client, 1, X_Forwarded_For="203.0.113.2, 10.9.9.9") == 202
    with views_client(settings, peer="127.0.0.1") as client:  # not in the list any more
        assert beacon(client, 1, X_Forwarded_For="203.0.113.3") == 202
        r = client.post(
            "/api/v1/views/1", headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.4"}
        )
        assert r.json() == {"status": "duplicate"}
    assert accepted(settings) == 3


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.1", "203.0.113.1"),
        ("127.0.0.1", "203.0.113.1, 127.0.0.1", "203.0.113.1"),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", " , ", "127.0.0.1"),
        ("::1", "2001:db8::1", "2001:db8::1"),
        ("198.51.100.1", "203.0.113.1", "198.51.100.1"),
        (None, "203.0.113.1", "unknown"),
        ("not-an-ip", "203.0.113.1", "not-an-ip"),
    ],
)
def test_client_address_resolution(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert readers.ClientAddress(["127.0.0.1", "::1"]).resolve(peer, forwarded) == expected


# --- rate limit -----------------------------------------------------------------------------


def test_a_client_over_the_rate_limit_gets_429_and_other_clients_do_not(
    views_settings: ViewsSettings,
) -> None:
    settings = views_settings.model_copy(update={"rate_limit_per_minute": 3})
    learn(settings, *(snapshot(i) for i in range(1, 8)))
    clock = Clock()
    with views_client(settings, clock, peer="127.0.0.1") as client:
        flood = {"X_Forwarded_For": "203.0.113.66"}
        assert [beacon(client, i, **flood) for i in (1, 2, 3)] == [202, 202, 202]
        limited = client.post(
            "/api/v1/views/4", headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.66"}
        )
        assert_problem(limited, 429)
        assert limited.headers["retry-after"] == "60"
        # Unknown ids count against the limit too: probing costs the prober, not us.
        assert beacon(client, 999, **flood) == 429
        # Another reader is not affected.
        assert beacon(client, 4, X_Forwarded_For="203.0.113.67") == 202
        # The limit is per minute: the next minute the client may count again.
        clock.advance(minutes=1)
        assert beacon(client, 4, **flood) == 202
    assert accepted(settings) == 5


def test_rate_limited_beacons_are_not_counted(views_settings: ViewsSettings) -> None:
    settings = views_settings.model_copy(update={"rate_limit_per_minute": 2})
    learn(settings, *(snapshot(i) for i in range(1, 8)))
    with views_client(settings) as client:
        codes = [beacon(client, i) for i in range(1, 8)]
    assert codes == [202, 202, 429, 429, 429, 429, 429]
    assert accepted(settings) == 2
