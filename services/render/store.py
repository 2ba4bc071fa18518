"""The page store: the static files of the public site, written atomically.

Every file is written to a temp file in the same directory and renamed over the target, so
a reader (the page server, or nginx in production) sees the old page or the new one, never
half of one. A gzip copy is written beside each page for servers that serve precompressed
files. Paths come only from validated slugs; anything else is refused before touching disk.

Besides pages, the store holds markers that the page server reads on a miss:
``_redirects/<category>/<slug>`` (the new path, for a 301), ``_gone/<category>/<slug>``
(an unpublished article, for a 410) and ``_category_redirects/<old slug>`` (the category's
new slug: its page and archive pages answer 301 to the same page under the new slug).
"""

from __future__ import annotations

import gzip
import os
import time
import uuid
from pathlib import Path

from shared.contracts import SLUG_RE

TEMP_PREFIX = ".tmp-"
REDIRECTS_DIR = "_redirects"
GONE_DIR = "_gone"
CATEGORY_REDIRECTS_DIR = "_category_redirects"


class UnsafePath(ValueError):
    """A path that is not made of validated slugs (or would leave the store)."""


def _check_slug(part: str) -> str:
    if not SLUG_RE.fullmatch(part) or len(part) > 120:
        raise UnsafePath(f"not a valid slug: {part!r}")
    return part


def article_page(category: str, slug: str) -> str:
    return f"{_check_slug(category)}/{_check_slug(slug)}/index.html"


def category_page(category: str, page: int = 1) -> str:
    base = _check_slug(category)
    return f"{base}/index.html" if page == 1 else f"{base}/page/{int(page)}/index.html"


def url_of(rel: str) -> str:
    """The public URL path of a page file: ``a/b/index.html`` → ``/a/b``."""
    if rel == "index.html":
        return "/"
    return "/" + rel.removesuffix("/index.html").removesuffix("index.html")


class PageStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _resolve(self, rel: str) -> Path:
        path = (self.root / rel).resolve()
        if self.root not in path.parents:
            raise UnsafePath(f"outside the store: {rel!r}")
        return path

    def _write_atomic(self, path: Path, content: bytes) -> None:
        tmp = path.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            # The directory is made only when the open finds it missing: an mkdir that finds
            # it there costs as much as writing a small file, and remembering every directory
            # instead would grow with the site (tens of MB per process at 100,000 pages).
            try:
                fh = open(tmp, "wb")  # noqa: SIM115 (closed below)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                fh = open(tmp, "wb")  # noqa: SIM115
            with fh:
                fh.write(content)
            # Rename last: a crash before this line leaves only a temp file, swept at start-up.
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def write(self, rel: str, content: bytes) -> None:
        """Write a page and its gzip copy; the gzip copy goes first so it is never older."""
        path = self._resolve(rel)
        self._write_atomic(path.with_name(path.name + ".gz"), gzip.compress(content, 6, mtime=0))
        self._write_atomic(path, content)

    def read(self, rel: str) -> bytes | None:
        try:
            return self._resolve(rel).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, rel: str) -> bool:
        return self._resolve(rel).is_file()

    def remove(self, rel: str) -> None:
        path = self._resolve(rel)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".gz").unlink(missing_ok=True)

    def _marker(self, kind: str, category: str, slug: str) -> Path:
        return self._resolve(f"{kind}/{_check_slug(category)}/{_check_slug(slug)}")

    def set_redirect(self, category: str, slug: str, target: str) -> None:
        self._write_atomic(self._marker(REDIRECTS_DIR, category, slug), target.encode())

    def clear_redirect(self, category: str, slug: str) -> None:
        self._marker(REDIRECTS_DIR, category, slug).unlink(missing_ok=True)

    def set_category_redirect(self, old_slug: str, new_slug: str) -> None:
        """Written by every article event of the category: only when it says something new."""
        path = self._resolve(f"{CATEGORY_REDIRECTS_DIR}/{_check_slug(old_slug)}")
        target = _check_slug(new_slug).encode()
        try:
            if path.read_bytes() == target:
                return
        except FileNotFoundError:
            pass
        self._write_atomic(path, target)

    def clear_category_redirect(self, slug: str) -> None:
        self._resolve(f"{CATEGORY_REDIRECTS_DIR}/{_check_slug(slug)}").unlink(missing_ok=True)

    def mark_gone(self, category: str, slug: str) -> None:
        self._write_atomic(self._marker(GONE_DIR, category, slug), b"")

    def clear_gone(self, category: str, slug: str) -> None:
        self._marker(GONE_DIR, category, slug).unlink(missing_ok=True)

    def sweep_temp_files(self, older_than_seconds: float = 60.0) -> int:
        """Remove temp files left by a writer that died mid-write; returns how many.

        Only old ones: another worker may be writing a fresh temp file right now."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for path in self.root.rglob(f"{TEMP_PREFIX}*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
