"""Security headers of the public site, and a Content-Security-Policy built from the page itself.

The templates carry one inline script (the view beacon) and one inline style (the site
CSS). Rather than copy their hashes by hand (and break the beacon the day a template
changes), the page server hashes the inline blocks of each file it serves, once per cache
fill: the policy allows exactly the scripts the render service wrote and nothing a reader or
an editor could add. Data blocks (``application/ld+json``) are not executed and need no hash.

The gateway serves most pages straight from disk and cannot hash them; its policy carries the
hashes of the templates as rendered for the compose deployment (views on the same origin).
``tests/render/test_csp.py`` renders real pages and fails, printing the line to paste into
deploy/nginx/default.conf.template, when a template change makes the two differ.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

_SCRIPT = re.compile(rb"<script(\s[^>]*)?>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(rb"<style(\s[^>]*)?>(.*?)</style\s*>", re.S | re.I)
_TYPE = re.compile(rb"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SRC = re.compile(rb"\bsrc\s*=", re.I)
_JS_TYPES = {b"", b"text/javascript", b"application/javascript", b"module"}

# Headers every answer of the public site carries (pages, feeds, errors, redirects).
COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)
# Anything that is not an HTML page may load nothing and be framed by nobody.
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _digest(content: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode() + "'"


def inline_hashes(html: bytes) -> tuple[list[str], list[str]]:
    """CSP hash sources of the executable inline scripts and the inline styles of a page."""
    scripts = []
    for match in _SCRIPT.finditer(html):
        attrs = match.group(1) or b""
        kind = _TYPE.search(attrs)
        if _SRC.search(attrs) or (kind and kind.group(1).lower() not in _JS_TYPES):
            continue
        scripts.append(_digest(match.group(2)))
    styles = [_digest(m.group(2)) for m in _STYLE.finditer(html)]
    return sorted(set(scripts)), sorted(set(styles))


def origin_of(url: str) -> str:
    """``https://views.example`` from a URL; empty for a same-origin (empty) URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(scripts: list[str], styles: list[str], connect_origin: str = "") -> str:
    """The policy of an HTML page. Images may come from any https host (hero images are
    editors' URLs); scripts and styles only from this site or the hashes given. The views
    API's origin (``connect_origin``, when it is not this site's) is allowed to be fetched
    (the beacon, the live count) and as an image: the no-JavaScript view pixel, which a
    plain-http views origin (the embedded default) would otherwise be refused."""
    connect = " ".join(filter(None, ["'self'", connect_origin]))
    images = " ".join(filter(None, ["'self' data: https:", connect_origin]))
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *scripts]),
            " ".join(["style-src 'self'", *styles]),
            f"img-src {images}",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def policy_for(html: bytes, connect_origin: str = "") -> str:
    scripts, styles = inline_hashes(html)
    return page_policy(scripts, styles, connect_origin)
