"""Rate limits of the public read API: fixed one-minute windows per client, in memory.

In memory, not in Redis: the public content API reads the database only, and a limiter must
not make it fail when Redis does. Each API process counts on its own, so with N replicas a
client gets up to N times the limit: a bound on abuse, not a quota. Addresses are held for
the current minute only, never written anywhere. The table is bounded (``max_clients``): when
a flood of distinct addresses fills it, new addresses share one overflow counter, so memory
stays bounded and the flood itself is limited.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.clients import ClientAddress
from shared.problems import PROBLEM_JSON

OVERFLOW = "\x00overflow"


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_clients = max_clients
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, client: str) -> int:
        """Count one request; 0 when allowed, else the seconds until the window ends."""
        now = self.clock()
        window = int(now // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        if client not in self._counts and len(self._counts) >= self.max_clients:
            client = OVERFLOW
        count = self._counts.get(client, 0) + 1
        self._counts[client] = count
        if count <= self.per_minute:
            return 0
        return max(1, int(60 - now % 60))


class PublicRateLimit:
    """ASGI middleware: limits the public content API, and searches (``q``) anywhere."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        client_address: ClientAddress,
        content: RateLimiter,
        search: RateLimiter,
        content_prefix: str = "/api/v1/content/",
        search_paths: tuple[str, ...] = ("/api/v1/content/articles", "/api/v1/articles"),
    ) -> None:
        self.app = app
        self.client_address = client_address
        self.content = content
        self.search = search
        self.content_prefix = content_prefix
        self.search_paths = search_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        searching = path in self.search_paths and bool(
            parse_qs(scope.get("query_string", b"").decode("latin-1")).get("q")
        )
        if searching or path.startswith(self.content_prefix):
            client = self._client(scope)
            wait = self.content.hit(client) if path.startswith(self.content_prefix) else 0
            if not wait and searching:
                wait = self.search.hit(client)
            if wait:
                await self._refuse(scope, send, wait, searching)
                return
        await self.app(scope, receive, send)

    def _client(self, scope: Scope) -> str:
        peer = scope.get("client")
        forwarded = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded = value.decode("latin-1")
        return self.client_address.resolve(peer[0] if peer else None, forwarded)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, wait: int, searching: bool) -> None:
        what = "searches" if searching else "requests"
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Too many requests",
                "status": 429,
                "detail": f"Too many {what} from this client; retry in {wait} s.",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(wait).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
