"""One function that turns a beacon request into an outcome, shared by the FastAPI routes and
the pure-ASGI fast path (fastpath.py), so both count a view by exactly the same rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from services.views import readers, service
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


def header_map(raw: RawHeaders) -> dict[str, str]:
    """ASGI headers as a dict of lower-case names. A repeated header is joined with ", ", as
    HTTP defines; for X-Forwarded-For that keeps every hop (taking only the first would let a
    client hide the hop our proxy appended)."""
    out: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


async def record_view(
    ctx: BeaconContext, *, article_id: int, peer: str | None, raw_headers: RawHeaders
) -> service.Outcome:
    headers = header_map(raw_headers)
    user_agent = headers.get("user-agent", "")
    if readers.is_bot(user_agent) or readers.is_prefetch(headers):
        return service.Outcome.IGNORED
    now = ctx.clock()
    address = ctx.client_address.resolve(peer, headers.get("x-forwarded-for"))
    salt = await ctx.salt.get(ctx.recorder.r, now.date())
    reader = readers.reader_hash(salt, ctx.settings.salt_secret, address, user_agent)
    return await ctx.recorder.record(article_id=article_id, reader=reader, now=now)
