"""The preview's stylesheet, served by the editor so that the sandboxed preview can use it.

The preview is an iframe with ``srcdoc``: it inherits the editor's CSP, which takes
stylesheets from 'self' only and refuses inline ``<style>``, while the public page carries
its CSS inline. So the editor takes the page's ``<style>`` blocks out of the preview's HTML,
keeps each in the broker's Redis under its SHA-256 for a day (any API process can then serve
it), and links it instead. The CSS is the render service's own template (a writer's text
never becomes a ``<style>`` element: the Markdown's HTML is escaped) and is public anyway,
so it is served without a session. The frame's sandbox keeps ``allow-same-origin`` for this
(an opaque origin matches no 'self'), and never ``allow-scripts``.
"""

from __future__ import annotations

import hashlib
import re

import redis

KEY = "hh:editor:preview-css:{digest}"
TTL_SECONDS = 24 * 3600
MAX_CSS_BYTES = 256 * 1024
PATH = "/editor/preview-styles/"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_NAME = re.compile(r"([0-9a-f]{64})\.css")


def link_styles(client: redis.Redis, html: str) -> str:
    """The page with each inline ``<style>`` replaced by a link to the same CSS (one too
    large is left out: the preview then shows unstyled, as the CSP would leave it)."""

    def swap(found: re.Match[str]) -> str:
        css = found.group(1).encode()
        if len(css) > MAX_CSS_BYTES:
            return ""
        digest = hashlib.sha256(css).hexdigest()
        client.set(KEY.format(digest=digest), css, ex=TTL_SECONDS)
        return f'<link rel="stylesheet" href="{PATH}{digest}.css">'

    return _STYLE.sub(swap, html)


def stylesheet(client: redis.Redis, name: str) -> bytes | None:
    """The CSS kept under ``<sha256>.css``; None for any other name or a forgotten one."""
    found = _NAME.fullmatch(name)
    if found is None:
        return None
    css = client.get(KEY.format(digest=found.group(1)))
    return css if isinstance(css, bytes) else None
