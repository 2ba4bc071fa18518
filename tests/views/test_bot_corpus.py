"""The bot list on a corpus of real User-Agents: every reader counted (Cubot, FOSSiBOT and
iRobot phones and tablets included), every crawler, HTTP library, preview fetcher and monitor
dropped; readers filed under the right device class; and the same verdicts through the app."""

from __future__ import annotations

import re

import pytest

from services.views import bots, devices
from services.views.settings import ViewsSettings
from tests.views.builders import accepted, learn, snapshot, views_client
from tests.views.ua_corpus import NOT_READERS, READERS


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(READERS) >= 40
    assert len(NOT_READERS) >= 40
    assert sum("bot" in ua.lower() for ua, _ in READERS) >= 8  # brands that contain "bot"
    assert {cls for _, cls in READERS} == {"desktop", "phone", "tablet"}


@pytest.mark.parametrize(("user_agent", "device"), READERS, ids=lambda v: str(v)[:60])
def test_a_reader_is_not_a_bot_and_has_a_device_class(user_agent: str, device: str) -> None:
    assert bots.is_bot(user_agent) is False
    assert devices.device_class(user_agent) == device


@pytest.mark.parametrize("user_agent", NOT_READERS, ids=lambda v: v[:60] or "empty")
def test_a_crawler_library_previewer_or_monitor_is_a_bot(user_agent: str) -> None:
    assert bots.is_bot(user_agent) is True


def test_the_matcher_holds_the_maintained_list_and_our_rules() -> None:
    matcher = bots.matcher()
    assert matcher.size > 1000  # the package's patterns, not a hand-written handful
    assert bots.list_version()
    # Uncached, straight through the matcher: the cache is not what gives the verdicts.
    assert matcher.matches("Scrapy/2.11.0 (+https://scrapy.org)")
    assert matcher.matches("Mozilla/5.0 (compatible; UptimeRobot/2.0)")
    assert not matcher.matches(READERS[0][0])
    assert not matcher.matches("Mozilla/5.0 (Linux; Android 10; CUBOT J9) Chrome/88 Mobile")


@pytest.mark.parametrize(
    "pattern",
    [r"Googlebot\/", r"^curl", r"AdsBot-Google([^-]|$)", r"Chirp|gotosocial", r"[wW]get"],
)
def test_every_pattern_kind_matches_as_its_regular_expression(pattern: str) -> None:
    """Anchored, grouped, alternated and bracketed patterns agree with re.search."""
    matcher = bots.BotMatcher([pattern])
    for ua in ("Googlebot/2.1", "curl/8", "x curl/8", "AdsBot-Google", "AdsBot-Google-Mobile",
               "gotosocial", "Chirp/1", "Wget/1.2", "wget/1", "Mozilla/5.0 Firefox"):  # fmt: skip
        assert matcher.matches(ua) == (re.search(pattern, ua) is not None), (pattern, ua)


def test_the_corpus_through_the_beacon_counts_exactly_the_readers(
    views_settings: ViewsSettings,
) -> None:
    learn(views_settings, snapshot(1))
    with views_client(views_settings) as client:
        codes = {
            ua: client.post("/api/v1/views/1", headers={"User-Agent": ua}).status_code
            for ua in [ua for ua, _ in READERS] + NOT_READERS
        }
    assert [ua for ua, _ in READERS if codes[ua] != 202] == []
    assert [ua for ua in NOT_READERS if codes[ua] != 204] == []
    # Distinct agents from one address: the per-address cap (8 by default) applies.
    assert accepted(views_settings) == views_settings.readers_per_address
