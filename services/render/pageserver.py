"""The page server: serves the page store to readers (port 8000 in the embedded mode).

A small ASGI app rather than FastAPI routes: it is the hottest path of the platform and does
one thing. Each request costs one ``stat``; file bodies (and their gzip copies) are cached in
memory keyed by inode, size and mtime, so a page rewritten by a render worker is picked up
on the next request. Misses consult the store's markers: 301 for a former slug, 410 for an
unpublished article, otherwise 404.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import Message, Receive, Scope, Send

from services.render.settings import get_settings
from services.render.store import GONE_DIR, REDIRECTS_DIR

CONTENT_TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".xml": b"application/xml; charset=utf-8",
    ".txt": b"text/plain; charset=utf-8",
}
FEED_TYPE = b"application/atom+xml; charset=utf-8"
CACHE_CONTROL = b"public, max-age=60, stale-while-revalidate=300"
CACHE_ENTRIES = 4096


@dataclass(frozen=True)
class CachedFile:
    key: tuple[int, int, int]
    body: bytes
    gz: bytes | None
    etag: bytes
    last_modified: bytes
    mtime: float
    content_type: bytes


class PageServer:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: OrderedDict[str, CachedFile] = OrderedDict()
        self.registry = CollectorRegistry()
        self._responses = Counter(
            "healthhub_pages_responses",
            "Page server responses by status",
            ["status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "healthhub_pages_response_seconds", "Page server response time", registry=self.registry,
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
        )  # fmt: skip

    # --- path handling -------------------------------------------------------------------
    @staticmethod
    def _store_path(path: str) -> str | None:
        """Map a URL path to a store-relative file, or None if it can never be a page."""
        if path == "/":
            return "index.html"
        parts = path.strip("/").split("/")
        for part in parts:
            if not part or part[0] in "._" or "\\" in part or "\x00" in part or len(part) > 200:
                return None
        rel = "/".join(parts)
        if "." in parts[-1]:
            return rel  # a file such as sitemap.xml, feed.xml, robots.txt
        return rel + "/index.html"

    def _load(self, rel: str) -> CachedFile | None:
        full = os.path.join(self.root, rel)
        try:
            st = os.stat(full)
        except (FileNotFoundError, NotADirectoryError):
            self._cache.pop(rel, None)
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._cache.get(rel)
        if cached is not None and cached.key == key:
            self._cache.move_to_end(rel)
            return cached
        try:
            with open(full, "rb") as fh:
                body = fh.read()
        except FileNotFoundError:
            return None
        gz: bytes | None = None
        try:
            gz_path = full + ".gz"
            if os.stat(gz_path).st_mtime_ns >= st.st_mtime_ns - 1_000_000_000:
                with open(gz_path, "rb") as fh:
                    gz = fh.read()
        except FileNotFoundError:
            gz = None
        suffix = os.path.splitext(rel)[1]
        content_type = (
            FEED_TYPE
            if rel == "feed.xml"
            else CONTENT_TYPES.get(suffix, b"application/octet-stream")
        )
        entry = CachedFile(
            key=key,
            body=body,
            gz=gz,
            etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}"'.encode(),
            last_modified=formatdate(st.st_mtime, usegmt=True).encode(),
            mtime=st.st_mtime,
            content_type=content_type,
        )
        self._cache[rel] = entry
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return entry

    # --- ASGI ----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._handle(scope, receive, send)
            return
        if scope["path"] == "/metrics":
            await self._respond(
                send, 200, CONTENT_TYPE_LATEST.encode(), generate_latest(self.registry), head=False
            )
            return
        start = time.perf_counter()
        status = 0

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self._handle(scope, receive, counting_send)
        self._responses.labels(str(status)).inc()
        self._latency.observe(time.perf_counter() - start)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        method = scope["method"]
        path: str = scope["path"]
        if method not in ("GET", "HEAD"):
            await self._respond(
                send,
                405,
                b"text/plain; charset=utf-8",
                b"Method not allowed\n",
                head=False,
                extra=[(b"allow", b"GET, HEAD")],
            )
            return
        if path == "/readyz":
            ready = os.path.isdir(self.root) and os.access(self.root, os.R_OK)
            await self._respond(
                send, 200 if ready else 503, b"application/json",
                b'{"status":"ready"}' if ready else b'{"status":"page store unreadable"}',
                head=method == "HEAD",
            )  # fmt: skip
            return
        if path == "/healthz":
            await self._respond(
                send, 200, b"application/json", b'{"status":"ok"}', head=method == "HEAD"
            )
            return
        head = method == "HEAD"
        if len(path) > 1 and path.endswith("/"):
            await self._redirect(send, path.rstrip("/") or "/", head)
            return
        rel = self._store_path(path)
        entry = self._load(rel) if rel else None
        if entry is None:
            await self._miss(send, path, head)
            return
        headers = dict(scope["headers"])
        common = [
            (b"etag", entry.etag),
            (b"last-modified", entry.last_modified),
            (b"cache-control", CACHE_CONTROL),
            (b"vary", b"Accept-Encoding"),
        ]
        if self._not_modified(headers, entry):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        if entry.gz is not None and b"gzip" in headers.get(b"accept-encoding", b""):
            body = entry.gz
            common.append((b"content-encoding", b"gzip"))
        await self._respond(send, 200, entry.content_type, body, head=head, extra=common)

    @staticmethod
    def _not_modified(headers: dict[bytes, bytes], entry: CachedFile) -> bool:
        inm = headers.get(b"if-none-match")
        if inm is not None:
            return inm.strip() == b"*" or entry.etag in [
                t.strip().removeprefix(b"W/") for t in inm.split(b",")
            ]
        ims = headers.get(b"if-modified-since")
        if ims is not None:
            try:
                return int(entry.mtime) <= int(parsedate_to_datetime(ims.decode()).timestamp())
            except (ValueError, TypeError):
                return False
        return False

    async def _miss(self, send: Send, path: str, head: bool) -> None:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and all(p and p[0] not in "._" for p in parts):
            marker = os.path.join(self.root, REDIRECTS_DIR, *parts)
            try:
                with open(marker, "rb") as fh:
                    target = fh.read().strip()
                if target.startswith(b"/") and not target.startswith(b"//"):
                    await self._redirect(send, target.decode(), head)
                    return
            except (FileNotFoundError, NotADirectoryError):
                pass
            if os.path.exists(os.path.join(self.root, GONE_DIR, *parts)):
                await self._error_page(send, 410, "410.html", b"Gone\n", head)
                return
        await self._error_page(send, 404, "404.html", b"Not found\n", head)

    async def _error_page(
        self, send: Send, status: int, page: str, fallback: bytes, head: bool
    ) -> None:
        entry = self._load(page)
        if entry is None:
            await self._respond(send, status, b"text/plain; charset=utf-8", fallback, head=head)
            return
        await self._respond(
            send,
            status,
            entry.content_type,
            entry.body,
            head=head,
            extra=[(b"cache-control", b"public, max-age=60")],
        )

    async def _redirect(self, send: Send, location: str, head: bool) -> None:
        await self._respond(
            send,
            301,
            b"text/plain; charset=utf-8",
            b"Moved permanently\n",
            head=head,
            extra=[(b"location", location.encode()), (b"cache-control", b"public, max-age=3600")],
        )

    @staticmethod
    async def _respond(
        send: Send,
        status: int,
        content_type: bytes,
        body: bytes,
        *,
        head: bool,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if extra:
            headers.extend(extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})


def create_app() -> PageServer:
    """uvicorn --factory entry point."""
    return PageServer(get_settings().page_store_dir)
