"""Which URL paths may name a page of the store, and which file they name.

A path is checked before it reaches the file system: an empty, over-long or dot-led segment,
a backslash or a control character can never name a page (a 404 without a lookup), and a
path over ``MAX_PATH_BYTES`` is a 414. Only checked segments are ever joined into a file name
or a redirect, so ``//evil.example/`` never becomes ``Location: //evil.example``.
"""

from __future__ import annotations

MAX_PATH_BYTES = 1024
MAX_SEGMENT = 200
# Characters that never appear in a page path: controls (NUL, CR, LF...), DEL, backslash.
_FORBIDDEN = frozenset(chr(c) for c in (*range(32), 127)) | {"\\"}


def page_segments(path: str) -> list[str] | None:
    """The segments of a URL path that may name a page, or None if it never can."""
    if not path.startswith("/"):
        return None
    # One leading slash and at most one trailing slash: "//host" is not a path of this site.
    body = path[1:].removesuffix("/")
    parts = body.split("/") if body else []
    for part in parts:
        if (
            not part
            or part[0] in "._"
            or len(part) > MAX_SEGMENT
            or not _FORBIDDEN.isdisjoint(part)
        ):
            return None
    return parts


def store_path(parts: list[str]) -> str:
    """Map checked path segments to a store-relative file."""
    if not parts:
        return "index.html"
    rel = "/".join(parts)
    if "." in parts[-1]:
        return rel  # a file such as sitemap.xml, feed.xml, robots.txt
    return rel + "/index.html"
