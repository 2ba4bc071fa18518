"""The page server: serves the page store to readers (port 8000 in the embedded mode).

A small ASGI app rather than FastAPI routes: it is the hottest path of the platform and does
one thing. Each request costs one ``stat``; file bodies (and their gzip copies) are cached in
memory keyed by inode, size and mtime, so a page rewritten by a render worker is picked up
on the next request. Misses consult the store's markers: 301 for a former slug, 410 for an
unpublished article, otherwise 404.

A URL path is checked before it reaches the file system: a path that can never name a page
(an empty, over-long or dot-led segment, a backslash or a control character) is a 404 without
a lookup, a path over ``MAX_PATH_BYTES`` a 414. Redirects are only ever to a path of this site
built from checked segments: ``//evil.example/`` is not turned into ``Location: //evil.example``.
Every answer carries the site's security headers (services/render/csp.py).

``/media/<name>`` serves the media library's files (written by the articles service into the
media directory, shared.media) with a year-long, immutable cache: a name is the hash of its
content, so it never changes. Only names of that exact shape are looked up.
"""

from __future__ import annotations

import os
import time
import urllib.parse
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

from services.render import csp
from services.render.page_paths import MAX_PATH_BYTES, page_segments, store_path
from services.render.settings import get_settings
from services.render.store import CATEGORY_REDIRECTS_DIR, GONE_DIR, REDIRECTS_DIR
from shared.contracts import SLUG_RE
from shared.logs import configure_logging
from shared.media import MEDIA_FILE_RE, MEDIA_URL_PREFIX

CONTENT_TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".xml": b"application/xml; charset=utf-8",
    ".txt": b"text/plain; charset=utf-8",
}
FEED_TYPE = b"application/atom+xml; charset=utf-8"
CACHE_CONTROL = b"public, max-age=60, stale-while-revalidate=300"
CACHE_ENTRIES = 4096
TEXT = b"text/plain; charset=utf-8"
MEDIA_TYPES = {".webp": b"image/webp", ".jpg": b"image/jpeg", ".png": b"image/png"}
MEDIA_CACHE_CONTROL = b"public, max-age=31536000, immutable"


@dataclass(frozen=True)
class CachedFile:
    key: tuple[int, int, int]
    body: bytes
    gz: bytes | None
    etag: bytes
    last_modified: bytes
    mtime: float
    content_type: bytes
    csp: bytes


class PageServer:
    def __init__(
        self, root: Path, connect_origin: str = "", media_root: Path | None = None
    ) -> None:
        self.root = root.resolve()
        self.media_root = media_root.resolve() if media_root is not None else None
        # Where the page's script may send its beacon, besides this site (views_url).
        self.connect_origin = connect_origin
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
        policy = (
            csp.policy_for(body, self.connect_origin)
            if content_type.startswith(b"text/html")
            else csp.STRICT_POLICY
        )
        entry = CachedFile(
            key=key,
            body=body,
            gz=gz,
            etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}"'.encode(),
            last_modified=formatdate(st.st_mtime, usegmt=True).encode(),
            mtime=st.st_mtime,
            content_type=content_type,
            csp=policy.encode(),
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
                send,
                200,
                b"application/json",
                b'{"status":"ok","service":"pages"}',
                head=method == "HEAD",
            )
            return
        head = method == "HEAD"
        if len(scope.get("raw_path") or path.encode()) > MAX_PATH_BYTES:
            await self._respond(send, 414, TEXT, b"URI too long\n", head=head)
            return
        if path.startswith(MEDIA_URL_PREFIX):
            await self._media(
                send, path.removeprefix(MEDIA_URL_PREFIX), dict(scope["headers"]), head
            )
            return
        parts = page_segments(path)
        if parts is None:
            await self._error_page(send, 404, "404.html", b"Not found\n", head)
            return
        if len(path) > 1 and path.endswith("/"):
            # Built from the checked segments, so the target is always a path of this site.
            await self._redirect(send, "/" + "/".join(parts), head)
            return
        entry = self._load(store_path(parts))
        if entry is None:
            await self._miss(send, parts, head)
            return
        headers = dict(scope["headers"])
        common = [
            (b"etag", entry.etag),
            (b"last-modified", entry.last_modified),
            (b"cache-control", CACHE_CONTROL),
            (b"vary", b"Accept-Encoding"),
            (b"content-security-policy", entry.csp),
        ]
        if self._not_modified(headers, entry):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [*common, *csp.COMMON_HEADERS],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        if entry.gz is not None and b"gzip" in headers.get(b"accept-encoding", b""):
            body = entry.gz
            common.append((b"content-encoding", b"gzip"))
        await self._respond(send, 200, entry.content_type, body, head=head, extra=common)

    async def _media(self, send: Send, name: str, headers: dict[bytes, bytes], head: bool) -> None:
        """One media file, read from disk each time (images are not kept in the page cache;
        the OS caches the files), with its name as a strong ETag."""
        if self.media_root is None or not MEDIA_FILE_RE.fullmatch(name):
            await self._error_page(send, 404, "404.html", b"Not found\n", head)
            return
        try:
            with open(os.path.join(self.media_root, name), "rb") as fh:
                body = fh.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
            # Whatever the reason a name cannot be read, the reader learns only "not found".
            await self._error_page(send, 404, "404.html", b"Not found\n", head)
            return
        etag = f'"{name}"'.encode()
        common = [(b"etag", etag), (b"cache-control", MEDIA_CACHE_CONTROL)]
        if etag in [t.strip() for t in headers.get(b"if-none-match", b"").split(b",")]:
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [*common, *csp.COMMON_HEADERS],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        content_type = MEDIA_TYPES[os.path.splitext(name)[1]]
        await self._respond(send, 200, content_type, body, head=head, extra=common)

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

    def _category_moved(self, parts: list[str]) -> str | None:
        """The new path of a former category slug's page (``/old``, ``/old/page/N``)."""
        if not (len(parts) == 1 or (len(parts) == 3 and parts[1] == "page" and parts[2].isdigit())):
            return None
        try:
            with open(os.path.join(self.root, CATEGORY_REDIRECTS_DIR, parts[0]), "rb") as fh:
                target = fh.read().strip().decode("ascii", "replace")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        if not SLUG_RE.fullmatch(target):
            return None
        return f"/{target}" if len(parts) == 1 else f"/{target}/page/{int(parts[2])}"

    async def _miss(self, send: Send, parts: list[str], head: bool) -> None:
        moved = self._category_moved(parts)
        if moved is not None:
            await self._redirect(send, moved, head)
            return
        if len(parts) == 2:
            marker = os.path.join(self.root, REDIRECTS_DIR, *parts)
            try:
                with open(marker, "rb") as fh:
                    target = fh.read().strip()
                location = target.decode("utf-8", "replace")
                if location.startswith("/") and page_segments(location) is not None:
                    await self._redirect(send, location, head)
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
            extra=[
                (b"cache-control", b"public, max-age=60"),
                (b"content-security-policy", entry.csp),
            ],
        )

    async def _redirect(self, send: Send, location: str, head: bool) -> None:
        await self._respond(
            send,
            301,
            b"text/plain; charset=utf-8",
            b"Moved permanently\n",
            head=head,
            extra=[
                (b"location", urllib.parse.quote(location, safe="/").encode()),
                (b"cache-control", b"public, max-age=3600"),
            ],
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
        if not any(name == b"content-security-policy" for name, _ in headers):
            headers.append((b"content-security-policy", csp.STRICT_POLICY.encode()))
        headers.extend(csp.COMMON_HEADERS)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})


def create_app() -> PageServer:
    """uvicorn --factory entry point."""
    settings = get_settings()
    configure_logging(settings.log_level, as_json=settings.log_json, service="pages")
    return PageServer(
        settings.page_store_dir, csp.origin_of(settings.views_url), settings.media_root
    )
