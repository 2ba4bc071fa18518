"""A pure-ASGI fast path for the beacon, in front of the FastAPI app and its middleware.

The beacon is the one hot endpoint: every page view of every reader calls it. Through
FastAPI it pays for routing, dependency resolution, pydantic and a response model on every
request; here it costs a regular-expression match, a hash and one EVALSHA. Everything else
(and any beacon path that does not parse, so validation errors stay FastAPI's 422s) falls
through to the FastAPI app, whose routes use the same beacon.record_view and stay in the
OpenAPI document.
"""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI
from redis.exceptions import RedisError
from starlette.types import Receive, Scope, Send

from services.views import beacon, service
from services.views.pixel import PIXEL

log = logging.getLogger("healthhub.views.fastpath")

BEACON_PATH = re.compile(r"/api/v1/views/([1-9][0-9]{0,9})(/pixel\.gif)?")
MAX_ARTICLE_ID = 2**31 - 1

_NO_STORE = (b"cache-control", b"no-store")
_JSON = (b"content-type", b"application/json")
_BODIES = {
    service.Outcome.COUNTED: b'{"status":"counted"}',
    service.Outcome.DUPLICATE: b'{"status":"duplicate"}',
    service.Outcome.CAPPED: b'{"status":"capped"}',
}
_PIXEL_HEADERS = [
    (b"content-type", b"image/gif"),
    (b"content-length", str(len(PIXEL)).encode()),
    _NO_STORE,
]


class ViewsAPI(FastAPI):
    """The views FastAPI app, which answers beacons itself before its middleware stack.

    Beacons skip the middleware on purpose: CORS headers are of no use to sendBeacon or an
    <img> (neither reads the answer), and neither path ever reads a beacon's body. A request
    that declares a body over the limit, or a chunked one, is left to the FastAPI app, whose
    BodySizeLimit middleware answers 413 to the former.
    """

    fast_path = True
    max_body_bytes = 2048

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast_path and scope["type"] == "http" and await self._beacon(scope, send):
            return
        await super().__call__(scope, receive, send)

    async def _beacon(self, scope: Scope, send: Send) -> bool:
        """Answer a beacon; False when the request is not one this fast path takes."""
        method = scope["method"]
        match = BEACON_PATH.fullmatch(scope["path"])
        if match is None or int(match[1]) > MAX_ARTICLE_ID:
            return False
        pixel = match[2] is not None
        if (method != "GET") if pixel else (method != "POST"):
            return False
        if not _small_body(scope["headers"], self.max_body_bytes):
            return False
        ctx: beacon.BeaconContext = self.state.beacon
        client = scope.get("client")
        try:
            outcome = await beacon.record_view(
                ctx,
                article_id=int(match[1]),
                peer=client[0] if client else None,
                raw_headers=scope["headers"],
                query=scope.get("query_string", b""),
            )
        except RedisError as exc:  # down, restarting (LOADING), out of memory, ...
            log.warning("beacon: Redis is not answering: %s", exc)
            if pixel:  # the image regardless: a broken-image icon would help nobody
                await _send(send, 200, _PIXEL_HEADERS, PIXEL)
            else:
                await _problem(
                    send,
                    scope,
                    503,
                    "A backing service (database or Redis) is not answering; try again shortly.",
                    retry_after=2,
                )
            return True
        except Exception:  # a bug: logged, and answered like FastAPI's handler would
            log.exception("beacon failed on %s %s", method, scope["path"])
            if pixel:  # the image regardless, as above
                await _send(send, 200, _PIXEL_HEADERS, PIXEL)
            else:
                await _problem(
                    send, scope, 500, "An unexpected error occurred; it has been logged."
                )
            return True
        if pixel:
            await _send(send, 200, _PIXEL_HEADERS, PIXEL)
        elif outcome in _BODIES:
            body = _BODIES[outcome]
            headers = [_JSON, (b"content-length", str(len(body)).encode()), _NO_STORE]
            await _send(send, 202, headers, body)
        elif outcome is service.Outcome.IGNORED:
            await _send(send, 204, [_NO_STORE], b"")
        elif outcome is service.Outcome.UNKNOWN:
            await _problem(send, scope, 404, f"No published article {match[1]}.")
        else:
            await _problem(
                send, scope, 429, "Too many views from this client; slow down.", retry_after=60
            )
        return True


def _small_body(headers: list[tuple[bytes, bytes]], limit: int) -> bool:
    """True when the request declares a body within the limit (or none at all)."""
    for name, value in headers:
        if name == b"content-length":
            return value.isdigit() and int(value) <= limit
        if name == b"transfer-encoding":
            return False
    return True


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(
    send: Send, scope: Scope, status: int, detail: str, *, retry_after: int | None = None
) -> None:
    titles = {
        404: "Not found",
        429: "Too many requests",
        500: "Internal server error",
        503: "Service unavailable",
    }
    raw = json.dumps(
        {
            "type": "about:blank",
            "title": titles[status],
            "status": status,
            "detail": detail,
            "instance": scope["path"],
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(raw)).encode()),
        _NO_STORE,
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await _send(send, status, headers, raw)
