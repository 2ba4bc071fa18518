"""One function that turns a beacon request into an outcome, shared by the FastAPI routes and
the pure-ASGI fast path (fastpath.py), so both count a view by exactly the same rules.

The JavaScript beacon (POST) and the no-JavaScript pixel (GET .../pixel.gif) go through the
same rules and the same dedupe key (reader hash + article), so a reader whose page sends both
is counted once.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.views import bots, buffer, devices, readers, service, sources
from services.views.settings import ViewsSettings

RawHeaders = Iterable[tuple[bytes, bytes]]


@dataclass(frozen=True)
class BeaconContext:
    """What counting a view needs, made once per process (in the app's lifespan)."""

    settings: ViewsSettings
    clock: Callable[[], datetime]
    salt: service.DailySalt
    client_address: readers.ClientAddress
    recorder: service.ViewRecorder
    # Beacons and pixels this process has answered, by outcome (the views API's /metrics:
    # healthhub_views_beacons); a dict increment, not to slow the hot path.
    outcomes: Counter[service.Outcome] = field(default_factory=Counter)

    # Worked out once per process (cached_property writes the instance's __dict__, which a
    # frozen dataclass allows): parsing the URL on every beacon cost more than hashing.
    @functools.cached_property
    def site_origin(self) -> str:
        return sources.origin_of(self.settings.site_url) or self.settings.site_url

    @functools.cached_property
    def site_host(self) -> str:
        host = self.site_origin.split("://", 1)[-1].rsplit(":", 1)[0]
        return host.removeprefix("www.")


# The request headers record_view reads itself; sources.HEADERS and bots.PREFETCH_HEADERS
# are those the other rules read, each defined next to its rules.
USER_AGENT = "user-agent"
FORWARDED_FOR = "x-forwarded-for"
# The only headers the rules read, built from those names (a rule that reads a header not
# named there would see it absent: tests/views/test_wanted_headers.py reads the rules'
# source to check). A browser sends a dozen more (Accept, Accept-Language, Sec-CH-UA ...);
# decoding them all was the largest share of the beacon's own Python work.
WANTED_HEADERS = frozenset(
    name.encode()
    for name in (
        USER_AGENT,
        FORWARDED_FOR,
        *sources.HEADERS,
        *(name for name, _ in bots.PREFETCH_HEADERS),
    )
)


def header_map(raw: RawHeaders) -> dict[str, str]:
    """The headers the rules read (WANTED_HEADERS), as a dict of lower-case names. A
    repeated header is joined with ", ", as HTTP defines; for X-Forwarded-For that keeps
    every hop (taking only the first would let a client hide the hop our proxy appended)."""
    out: dict[str, str] = {}
    for name, value in raw:
        if name not in WANTED_HEADERS:
            continue
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


def dimensions_of(
    source: sources.Source, device: str, settings: ViewsSettings
) -> tuple[buffer.Dimension, ...]:
    """The dimension triples of one view: closed sets uncapped, open-ended values capped."""
    dims: list[buffer.Dimension] = [("referrer", source.referrer_class, 0), ("device", device, 0)]
    if source.domain is not None:
        dims.append(("domain", source.domain, settings.referrer_domains_per_day))
    dims += [(field, value, settings.utm_values_per_day) for field, value in source.utm]
    return tuple(dims)


async def record_view(
    ctx: BeaconContext,
    *,
    article_id: int,
    peer: str | None,
    raw_headers: RawHeaders,
    query: bytes = b"",
) -> service.Outcome:
    """Judge and record one beacon or pixel; its outcome, also counted in ctx.outcomes."""
    outcome = await _record_view(
        ctx, article_id=article_id, peer=peer, raw_headers=raw_headers, query=query
    )
    ctx.outcomes[outcome] += 1
    return outcome


async def _record_view(
    ctx: BeaconContext,
    *,
    article_id: int,
    peer: str | None,
    raw_headers: RawHeaders,
    query: bytes,
) -> service.Outcome:
    headers = header_map(raw_headers)
    user_agent = headers.get(USER_AGENT, "")
    if bots.is_bot(user_agent) or bots.is_prefetch(headers):
        return service.Outcome.IGNORED
    if sources.is_foreign(headers, ctx.site_origin):
        return service.Outcome.IGNORED
    now = ctx.clock()
    address = readers.address_group(ctx.client_address.resolve(peer, headers.get(FORWARDED_FOR)))
    salt = await ctx.salt.get(ctx.recorder.r, now.date(), ctx.recorder.breaker)
    secret = ctx.settings.salt_secret
    source = sources.source_of(query, headers, ctx.site_host)
    return await ctx.recorder.record(
        article_id=article_id,
        reader=readers.reader_hash(salt, secret, address, user_agent),
        address=readers.address_hash(salt, secret, address),
        now=now,
        dimensions=dimensions_of(source, devices.device_class(user_agent), ctx.settings),
    )
