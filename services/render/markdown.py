"""Markdown → safe HTML with heading anchors and a table of contents (pure, no I/O).

markdown-it-py parses with raw HTML switched off, so an editor's ``<script>`` is shown as
text, never run; nh3 then cleans the output with an allow-list, as a second, independent
wall (it also strips ``javascript:`` links that Markdown link syntax could carry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from slugify import slugify

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "td": {"style"}, "th": {"style"},
    "ol": {"start"},
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto"}
WORDS_PER_MINUTE = 220
# Names this module's output: change it whenever the parser, the anchors or the sanitiser
# settings change, so the cached bodies in the render DB are rendered again.
MARKDOWN_RENDERER = "md-1"


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedBody:
    html: str
    toc: tuple[TocEntry, ...]
    words: int

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / WORDS_PER_MINUTE))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    return md


_MD = _parser()


def _inline_text(token: Token) -> str:
    return "".join(
        child.content for child in token.children or () if child.type in ("text", "code_inline")
    )


def _assign_anchors(tokens: list[Token]) -> list[TocEntry]:
    toc: list[TocEntry] = []
    used: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        text = _inline_text(tokens[i + 1]).strip()
        base = slugify(text, max_length=60, word_boundary=True) or "section"
        n = used.get(base, 0)
        used[base] = n + 1
        anchor = base if n == 0 else f"{base}-{n + 1}"
        token.attrSet("id", anchor)
        # h1 in a body would compete with the page title: demote it.
        if level == 1:
            token.tag = "h2"
            tokens_close = next(t for t in tokens[i:] if t.type == "heading_close")
            tokens_close.tag = "h2"
            level = 2
        if level in (2, 3):
            toc.append(TocEntry(level=level, anchor=anchor, text=text))
    return toc


def render_markdown(source: str) -> RenderedBody:
    env: dict[str, Any] = {}
    tokens = _MD.parse(source, env)
    toc = _assign_anchors(tokens)
    raw_html = _MD.renderer.render(tokens, _MD.options, env)
    clean = nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return RenderedBody(html=clean, toc=tuple(toc), words=len(source.split()))


def safe_url(url: str | None) -> str | None:
    """An editor-supplied URL for an attribute, or None unless it is plain http(s)."""
    if not url:
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://")) and not any(c in url for c in "\"'<> \n\r\t"):
        return url.strip()
    return None
