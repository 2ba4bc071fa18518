"""The Markdown grammar of article bodies, shared by the services that read them: render
turns a body into HTML with it (services/render/markdown.py), articles counts the library
images a body shows with it (shared.media.media_ids_in). One grammar, so "the images a body
shows" means the same thing to both: alt text with "]", reference-style images and the
like count exactly when they render.

markdown-it-pyrs has no nesting limit (a body of tens of thousands of nested quotes crashes
it), so a body nested deeper than any article needs goes to markdown-it-py, which stops
nesting at MAX_NESTING (``too_deep`` decides; both callers ask it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt as LimitedMarkdownIt
from markdown_it_pyrs import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

# Every CommonMark rule but raw HTML (html_block, html_inline), plus tables, strikethrough
# and footnotes (citations).
RULES: list[Any] = [
    "blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph",
    "reference", "autolink", "backticks", "emphasis", "entity", "escape", "image", "link",
    "newline", "strikethrough", "table", "footnote",
]  # fmt: skip
MAX_NESTING = 16
_BLOCK_MARKERS = re.compile(r"(?:[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)))+")
_MARKER = re.compile(r">|[-*+]|\d{1,9}[.)]")


def parser() -> MarkdownIt:
    """The fast parser with the body grammar."""
    return MarkdownIt("zero").enable_many(RULES)


_PARSER = parser()


def too_deep(source: str) -> bool:
    """Nested deeper than MAX_NESTING: parse with markdown-it-py (limited), not the fast one."""
    for line in source.splitlines():
        found = _BLOCK_MARKERS.match(line)
        indent = len(line) - len(line.lstrip(" \t"))
        depth = len(_MARKER.findall(found.group(0))) if found else 0
        if depth + indent // 2 > MAX_NESTING:
            return True
    return False


def limited_parser() -> LimitedMarkdownIt:
    """markdown-it-py with the same grammar and a nesting limit (the slow path)."""
    md = LimitedMarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    return md.enable(["table", "strikethrough"]).use(footnote_plugin)


def image_urls(source: str) -> Iterator[str]:
    """The URL of every image the body shows, in order (not those in another image's alt
    text: that renders as text)."""
    if too_deep(source):
        yield from _token_images(limited_parser().parse(source))
        return
    stack: list[Any] = [_PARSER.tree(source)]
    while stack:
        node = stack.pop()
        if node.name == "image":
            yield str(node.meta.get("url", ""))
            continue  # its children are alt text: an image there renders as text
        stack.extend(reversed(node.children))


def _token_images(tokens: list[Any]) -> Iterator[str]:
    for token in tokens:
        if token.type == "image":
            yield str(token.attrs.get("src", ""))
        elif token.children:
            yield from _token_images(token.children)
