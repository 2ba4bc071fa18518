"""Counts that cannot be farmed: one address rotating its User-Agent (or its IPv6 address
within a /64) adds at most the per-address cap; the per-address rate limit; beacons and
pixels from other sites are answered, not counted; a reader whose page sends both the beacon
and the <noscript> pixel is counted once (real Redis, both HTTP paths)."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from services.views.pixel import PIXEL
from services.views.settings import ViewsSettings
from tests.helpers import assert_problem
from tests.views.builders import BROWSER, Clock, accepted, learn, snapshot, views_client

SITE = "http://127.0.0.1:8000"  # the views settings' default site URL


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-route"])
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def settings(views_settings: ViewsSettings) -> ViewsSettings:
    learn(views_settings, snapshot(1), snapshot(2))
    return views_settings


def test_rotating_user_agents_from_one_address_add_at_most_the_cap(
    settings: ViewsSettings, fast_path: bool
) -> None:
    cap = settings.readers_per_address
    clock = Clock()
    with views_client(settings, clock, fast_path=fast_path) as client:
        statuses = [
            client.post("/api/v1/views/1", headers={"User-Agent": f"{BROWSER} r{i}"}).json()
            for i in range(50)
        ]
        assert statuses.count({"status": "counted"}) == cap
        assert statuses.count({"status": "capped"}) == 50 - cap
        # The cap is per article: another article counts its own readers.
        other = client.post("/api/v1/views/2", headers={"User-Agent": BROWSER})
        assert other.json() == {"status": "counted"}
        # Another address is another household.
    with views_client(settings, clock, fast_path=fast_path, peer="198.51.100.7") as client:
        assert client.post("/api/v1/views/1", headers={"User-Agent": BROWSER}).json() == {
            "status": "counted"
        }
    assert accepted(settings) == cap + 2


def test_the_cap_resets_when_the_window_has_passed(views_settings: ViewsSettings) -> None:
    settings = views_settings.model_copy(
        update={"readers_per_address": 2, "dedupe_window_seconds": 1}
    )
    learn(settings, snapshot(1))
    with views_client(settings) as client:
        codes = [client.post("/api/v1/views/1", headers={"User-Agent": f"ua{i}"}) for i in range(3)]
        assert [c.json()["status"] for c in codes] == ["counted", "counted", "capped"]
        time.sleep(2.1)  # Redis expires the window's keys (a precondition, not a timing check)
        again = client.post("/api/v1/views/1", headers={"User-Agent": "ua9"})
        assert again.json() == {"status": "counted"}
    assert accepted(settings) == 3


def test_ipv6_addresses_within_one_64_are_one_address(views_settings: ViewsSettings) -> None:
    settings = views_settings.model_copy(update={"readers_per_address": 3})
    learn(settings, snapshot(1))
    with views_client(settings, peer="127.0.0.1") as client:
        for i in range(20):  # new privacy address and new agent every time
            client.post(
                "/api/v1/views/1",
                headers={"User-Agent": f"{BROWSER} {i}", "X-Forwarded-For": f"2001:db8:5:6::{i:x}"},
            )
        # The same agent from another address of the same /64: the same reader.
        same = client.post(
            "/api/v1/views/1",
            headers={"User-Agent": f"{BROWSER} 0", "X-Forwarded-For": "2001:db8:5:6:ffff::1"},
        )
        assert same.json() == {"status": "duplicate"}
        # The next /64 is someone else.
        other = client.post(
            "/api/v1/views/1",
            headers={"User-Agent": BROWSER, "X-Forwarded-For": "2001:db8:5:7::1"},
        )
        assert other.json() == {"status": "counted"}
    assert accepted(settings) == 3 + 1


def test_one_address_is_rate_limited_whatever_agents_it_sends(
    views_settings: ViewsSettings, fast_path: bool
) -> None:
    settings = views_settings.model_copy(update={"address_rate_limit_per_minute": 5})
    learn(settings, snapshot(1), snapshot(2))
    clock = Clock()
    with views_client(settings, clock, fast_path=fast_path) as client:
        codes = [
            client.post(f"/api/v1/views/{1 + i % 2}", headers={"User-Agent": f"ua{i}"})
            for i in range(8)
        ]
        assert [c.status_code for c in codes] == [202] * 5 + [429] * 3
        assert_problem(codes[-1], 429)
        clock.advance(minutes=1)
        assert client.post("/api/v1/views/1", headers={"User-Agent": "ua-next"}).status_code == 202


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "https://farm.example"},
        {"Origin": "http://127.0.0.1:8001"},  # another port is another origin
        {"Referer": "https://farm.example/embed.html"},
        {"Sec-Fetch-Site": "same-site", "Referer": "https://farm.example/page"},
        # A sibling sub-domain's page with referrerpolicy=no-referrer: same-site, and no
        # Origin or Referer to show it is ours.
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "null"},
        {"Sec-Fetch-Site": "something-new"},  # not "same-origin": evidence needed too
        # Spelled to start like our origin (the referer check's shortcut must not take them).
        {"Referer": SITE + "0/page"},  # port 80000: no origin at all
        {"Referer": SITE + "@farm.example/page"},  # a user name; the host is farm.example
        {"Referer": SITE + ".farm.example/page"},
        {"Origin": SITE + "1"},
    ],
)
def test_beacons_and_pixels_from_other_sites_are_answered_not_counted(
    settings: ViewsSettings, fast_path: bool, headers: dict[str, str]
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        beacon = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER, **headers})
        assert beacon.status_code == 204
        pixel = client.get("/api/v1/views/1/pixel.gif", headers={"User-Agent": BROWSER, **headers})
        assert pixel.status_code == 200
        assert pixel.content == PIXEL
    assert accepted(settings) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": SITE, "Referer": SITE + "/health/a"},
        {"Sec-Fetch-Site": "same-site", "Origin": SITE},  # views on another port, same site
        {"Sec-Fetch-Site": "same-site", "Referer": SITE + "/health/a"},  # the pixel, likewise
        {"Sec-Fetch-Site": "same-origin"},  # the browser itself vouches for the origin
        {"Referer": SITE + "/health/a?utm_source=x"},  # an image request: no Origin
        {"Origin": "null"},  # a privacy setting, no evidence either way
        {},  # an older browser sends none of them
    ],
)
def test_beacons_from_our_site_count(
    settings: ViewsSettings, fast_path: bool, headers: dict[str, str]
) -> None:
    with views_client(settings, fast_path=fast_path) as client:
        response = client.post("/api/v1/views/1", headers={"User-Agent": BROWSER, **headers})
        assert response.json() == {"status": "counted"}


@pytest.mark.parametrize("order", ["beacon-then-pixel", "pixel-then-beacon"])
def test_a_reader_whose_page_sends_beacon_and_pixel_is_counted_once(
    settings: ViewsSettings, fast_path: bool, order: str
) -> None:
    """The <noscript> pixel is not loaded when JavaScript runs; should a browser send both
    anyway, they share the dedupe key (reader + article), so the reader counts once."""
    page = {"User-Agent": BROWSER, "Referer": SITE + "/health/article-1"}
    with views_client(settings, fast_path=fast_path) as client:
        kinds = ["beacon", "pixel"] if order == "beacon-then-pixel" else ["pixel", "beacon"]
        for kind in kinds:
            if kind == "beacon":
                client.post("/api/v1/views/1", headers={**page, "Origin": SITE})
            else:
                client.get("/api/v1/views/1/pixel.gif", headers=page)
        # A reader without JavaScript loads the page twice: still once in the window.
        client.get("/api/v1/views/1/pixel.gif", headers=page)
    assert accepted(settings) == 1


@pytest.mark.parametrize(
    "url",
    ["health.example.org", "ftp://health.example.org", "https://", "https:///health",
     "javascript:alert(1)", "https://health.example.org:99999", "//health.example.org", ""],
)  # fmt: skip
def test_a_site_url_that_is_not_http_with_a_host_fails_at_startup(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Beacons are judged against the site's origin: a malformed HEALTHHUB_SITE_URL would
    silently count no one, so the service refuses to start with it."""
    monkeypatch.setenv("HEALTHHUB_SITE_URL", url)
    with pytest.raises(ValidationError, match="HEALTHHUB_SITE_URL"):
        ViewsSettings()


@pytest.mark.parametrize(
    ("url", "kept"),
    [("https://health.example.org/", "https://health.example.org"),
     ("HTTP://127.0.0.1:8080", "HTTP://127.0.0.1:8080"),
     ("https://[2001:db8::1]/", "https://[2001:db8::1]")],
)  # fmt: skip
def test_a_good_site_url_is_kept_without_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch, url: str, kept: str
) -> None:
    monkeypatch.setenv("HEALTHHUB_SITE_URL", url)
    assert ViewsSettings().site_url == kept
