"""What keeps the editor's pages safe in a browser: headers, CSRF checks, safe redirects.

CSRF, signed in: a synchronizer token, the session's own random ``csrf_secret``, sent back
in the form field ``csrf_token`` or the ``X-CSRF-Token`` header (htmx) on every request
that is not a GET, compared in constant time; an ``Origin`` header, when the browser sends
one, must be this site's.

CSRF of the sign-in form itself (an attacker signing a victim in to the attacker's account):
double submit. GET /editor/sign-in sets a random token in a short-lived cookie (HttpOnly,
SameSite=Strict, Path=/editor/sign-in) and puts the same value in the form; the POST must
carry both, equal. A cross-site page can neither read the cookie nor set it (SameSite keeps
it off cross-site requests too), and the Origin check refuses cross-site POSTs from browsers
that send one. Chosen over a signed cookie because it needs no server secret to configure
and rotate; its known weakness, a sibling sub-domain writing the cookie, is what the Origin
check covers, and there is no session to steal before sign-in anyway.
"""

from __future__ import annotations

import hmac
import posixpath
from urllib.parse import unquote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/editor"
HOME = "/editor/"
SIGN_IN_COOKIE = "hh_sign_in"
# Scripts and styles from our own /editor/static only: nothing inline, no eval.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


def tokens_match(expected: str, supplied: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), supplied.encode())


def same_origin(origin: str | None, host: str | None) -> bool:
    """True when there is no Origin header, or it names this host. The scheme is not
    compared: behind the TLS-terminating gateway the app sees http for an https page."""
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:  # "http://[::1" and the like: not an origin, so not ours
        return False
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of the editor, never another site nor another part
    of this one. ``//evil``, ``/\\evil`` and ``https://evil`` are all other sites to a
    browser; ``/editorial`` is not the editor; ``/editor/../api`` (``..`` percent-encoded
    too: a browser decodes it) leaves it. The path is judged as the browser will resolve it:
    unquoted, then normalised; any ``..`` segment is refused outright."""
    if not target or any(c in target for c in "\\\r\n\t") or target.startswith("//"):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    path = unquote(parts.path)
    if ".." in path.split("/") or any(c in path for c in "\\\r\n\t"):
        return HOME
    normal = posixpath.normpath(path)
    if normal != PREFIX and not normal.startswith(PREFIX + "/"):
        return HOME
    return target


def under_editor(scope: Scope) -> bool:
    """An HTTP request for /editor or below (what the editor's middlewares act on)."""
    path: str = scope.get("path", "")
    return scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/"))


class EditorHeaders:
    """ASGI middleware: every answer under /editor (pages, errors, redirects) carries the
    policy; pages are never cached (static files set their own Cache-Control)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not under_editor(scope):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in names)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
