"""Where a view came from, as aggregate dimensions, and whether a beacon came from our site.

The article page's script sends what the browser knows and we do not: the host of
``document.referrer`` (``ref``) and the page's own ``utm_source``/``utm_medium``/
``utm_campaign``, as query parameters of the beacon. Only a host is sent, never a referring
URL's path or query (a search query, a profile link). The no-JavaScript pixel has neither;
its utm values are read from its Referer (the article page's URL) when the browser sends
the full URL, and its referrer class is "direct".

Nothing here identifies a reader: each value only ever becomes a counter per article per day.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

ReferrerClass = Literal["search", "social", "direct", "internal", "other"]
REFERRER_CLASSES: tuple[ReferrerClass, ...] = ("search", "social", "direct", "internal", "other")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
MAX_QUERY_BYTES = 1024
MAX_VALUE_CHARS = 64
MAX_HOST_CHARS = 253

# Registrable names (and their sub-domains) of search engines and social sites. The
# referrer's host is matched label by label from the right, so "google.co.uk" and
# "news.google.com" are search, and "notgoogle.com" is not.
SEARCH_NAMES = frozenset(
    {"google", "bing", "duckduckgo", "yahoo", "yandex", "baidu", "ecosia", "qwant",
     "startpage", "search.brave", "naver", "seznam", "ask", "aol", "kagi", "sogou", "so",
     "perplexity", "chatgpt", "yep"}
)  # fmt: skip
SOCIAL_HOSTS = frozenset(
    {"facebook.com", "fb.com", "fb.me", "instagram.com", "t.co", "twitter.com", "x.com",
     "linkedin.com", "lnkd.in", "reddit.com", "pinterest.com", "pin.it", "youtube.com",
     "youtu.be", "tiktok.com", "threads.net", "bsky.app", "mastodon.social", "vk.com",
     "quora.com", "tumblr.com", "telegram.org", "t.me", "whatsapp.com", "snapchat.com",
     "weibo.com", "news.ycombinator.com", "flipboard.com", "nextdoor.com"}
)  # fmt: skip
# The request headers these rules read (beacon.WANTED_HEADERS is built from them).
SEC_FETCH_SITE = "sec-fetch-site"
ORIGIN = "origin"
REFERER = "referer"
HEADERS = (SEC_FETCH_SITE, ORIGIN, REFERER)
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


@dataclass(frozen=True)
class Source:
    referrer_class: ReferrerClass
    domain: str | None  # the referring site's host, for "search", "social" and "other"
    utm: tuple[tuple[str, str], ...]  # (field, value) for each utm_* present


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL, lower-cased, default ports dropped; None if unusable."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default:
        netloc += f":{port}"
    return f"{parts.scheme.lower()}://{netloc}"


def is_foreign(headers: dict[str, str], site_origin: str) -> bool:
    """True when the request was made by a page that is not ours: Sec-Fetch-Site says
    cross-site (or "none": typed into the address bar, not sent by a page), or the
    Origin/Referer names another origin.

    ``Sec-Fetch-Site: same-site`` also covers a sibling sub-domain (anything under the same
    registrable domain), so when Sec-Fetch-Site is present and not "same-origin" the request
    counts only if its Origin (the beacon's POST) or, without one, its Referer (the pixel)
    names our origin: a sibling page that sends neither (``referrerpolicy=no-referrer``) is
    not counted. Without Sec-Fetch-Site, absent headers are no evidence either way (older
    browsers, privacy settings), so such a request is judged by the other rules."""
    fetch_site = headers.get(SEC_FETCH_SITE)
    needs_evidence = False
    if fetch_site is not None:
        site = fetch_site.strip().lower()
        if site in ("cross-site", "none"):
            return True
        needs_evidence = site != "same-origin"
    origin = headers.get(ORIGIN)
    if origin is not None and origin.strip() not in ("", "null"):
        return origin != site_origin and origin_of(origin) != site_origin
    referer = headers.get(REFERER)
    if referer:
        # A page of ours, spelled as its own origin plus a path, needs no URL parsing: what
        # follows the origin is "/", so neither a port, a user name nor another host can.
        if referer.startswith(site_origin) and referer[len(site_origin) : len(site_origin) + 1] in (
            "/",
            "",
        ):
            return False
        return origin_of(referer) != site_origin
    return needs_evidence


def _clean(value: str) -> str:
    text = "".join(ch for ch in value if ch.isprintable()).strip().lower()
    return text[:MAX_VALUE_CHARS]


def _host(raw: str) -> str | None:
    raw = raw.strip().lower()
    if "/" in raw:
        try:
            raw = urlsplit(raw if "://" in raw else f"//{raw}").hostname or ""
        except ValueError:
            return None
    raw = raw.rstrip(".").removeprefix("www.")
    if not raw or len(raw) > MAX_HOST_CHARS or not set(raw) <= _HOST_CHARS or "." not in raw:
        return None
    return raw


@functools.lru_cache(maxsize=4096)
def classify_host(host: str, site_host: str) -> ReferrerClass:
    if host == site_host or host.endswith("." + site_host):
        return "internal"
    labels = host.split(".")
    for i in range(len(labels) - 1):
        if ".".join(labels[i:]) in SOCIAL_HOSTS:
            return "social"
    # The name left of the public suffix: google in google.com, google.co.uk, google.de.
    cut = len(labels) - 2 if len(labels) >= 3 and labels[-2] in _GENERIC_SECOND_LEVEL else -1
    names = {labels[cut - 1]} if len(labels) + cut - 1 >= 0 else set()
    names.add(".".join(labels[:-1][-2:]))  # search.brave in search.brave.com
    return "search" if names & SEARCH_NAMES else "other"


def _utm(params: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    out = []
    for field in UTM_FIELDS:
        values = params.get(field)
        if values and (value := _clean(values[0])):
            out.append((field, value))
    return tuple(out)


def source_of(query: bytes, headers: dict[str, str], site_host: str) -> Source:
    """The source of one view from the beacon's query and headers."""
    source = _source_of_query(query, site_host)
    referer = headers.get(REFERER, "")
    if not source.utm and "utm_" in referer:
        try:
            utm = _utm(parse_qs(urlsplit(referer).query))
        except ValueError:
            utm = ()
        source = dataclasses.replace(source, utm=utm)
    return source


@functools.lru_cache(maxsize=4096)
def _source_of_query(query: bytes, site_host: str) -> Source:
    """Cached: the page's script sends a few hundred distinct queries a day (referring hosts
    times campaigns), so parsing them once each, not once per beacon, is most of the saving;
    a flood of made-up queries only evicts entries and pays the parse it would pay anyway."""
    params = parse_qs(query.decode("latin-1")) if 0 < len(query) <= MAX_QUERY_BYTES else {}
    utm = _utm(params)
    ref = params.get("ref", [""])[0]
    if not ref:
        return Source("direct", None, utm)
    host = _host(ref)
    if host is None:
        return Source("other", None, utm)
    kind = classify_host(host, site_host)
    return Source(kind, None if kind == "internal" else host, utm)
