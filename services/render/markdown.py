"""Markdown → safe HTML with heading anchors and a table of contents (pure, no I/O).

markdown-it-pyrs (the Rust build of the markdown-it grammar, by the author of markdown-it-py)
parses with the raw-HTML rules left out, so an editor's ``<script>`` is shown as text, never
run; nh3 then cleans the output with an allow-list, as a second, independent wall (it also
strips ``javascript:`` links). The Rust parser renders a body about twenty times faster than
markdown-it-py did, which made a cache of rendered bodies slower than rendering again.
Headings get their anchors after rendering: raw HTML is off, so a heading's inner HTML is
only text and inline markup, and the anchors come from its text as before.

Citations: a body cites its structured references with footnote markers (``[^key]``, or
``[^2]`` for a reference without a key; see shared.contracts.citation_label). The renderer
appends one footnote definition per reference whose text is a numbered placeholder, lets the
footnote plugin find the markers, then cuts the plugin's footnote section off the body and
reads from it which reference each footnote is and where its back-links go. Markers are
then numbered by the reference's position (both parsers number footnotes their own way; the
article's order of references is the editor's choice, and the list shows it): ``[2]`` links
to ``#ref-2``. The page's reference list is built from the structured references (see
citations.py and article.html), never from Markdown an editor wrote.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import nh3
from slugify import slugify

from services.render.media import resolve_images
from shared.markdown import limited_parser, parser, too_deep
from shared.media import MediaImage

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
# <img> passes nh3 only to be replaced by services/render/media.py: a library image becomes a
# <picture>, and every other one (an external URL could track readers) is dropped.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "sup": {"id"},
    "img": {"src", "alt"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "td": {"style"}, "th": {"style"},
    "ol": {"start"},
}  # fmt: skip
# The footnote plugin's markup: the marker's <sup class="footnote-ref"><a href="#fn1"
# id="fnref1">. Only these classes survive, and an id only in the shapes the plugin and the
# heading anchors make (see _keep_attribute).
ALLOWED_CLASSES = {"sup": {"footnote-ref"}, "a": {"footnote-backref"}}
_SAFE_ID = re.compile(r"[a-z0-9][a-z0-9:-]{0,80}")
URL_SCHEMES = {"http", "https", "mailto", "media"}
WORDS_PER_MINUTE = 220


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    text: str


@dataclass
class TocNode:
    """A heading in the table of contents with the headings under it."""

    entry: TocEntry
    children: list[TocNode] = field(default_factory=list)


def toc_tree(entries: Sequence[TocEntry]) -> list[TocNode]:
    """The flat heading list as an outline: each heading goes under the nearest earlier
    heading of a higher rank (an h3 under its h2). A heading with none above it (a body that
    starts with an h3) stays at the top level rather than being dropped."""
    roots: list[TocNode] = []
    open_nodes: list[TocNode] = []  # the current path from a root down to the last heading
    for entry in entries:
        node = TocNode(entry)
        while open_nodes and open_nodes[-1].entry.level >= entry.level:
            open_nodes.pop()
        (open_nodes[-1].children if open_nodes else roots).append(node)
        open_nodes.append(node)
    return roots


@dataclass(frozen=True)
class Citation:
    """A cited reference: its index in the article's references and the ids of the markers
    citing it (for the list's back-links)."""

    index: int
    backrefs: tuple[str, ...]


@dataclass(frozen=True)
class RenderedBody:
    html: str
    toc: tuple[TocEntry, ...]
    words: int
    citations: tuple[Citation, ...] = ()

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.words / WORDS_PER_MINUTE))

    @property
    def outline(self) -> list[TocNode]:
        return toc_tree(self.toc)


_MD = parser()
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]*>")


def _anchor_headings(raw_html: str) -> tuple[str, list[TocEntry]]:
    """Give every heading an id from its text (unique within the body), demote h1 to h2 (it
    would compete with the page title) and list h2/h3 for the table of contents."""
    toc: list[TocEntry] = []
    used: dict[str, int] = {}

    def anchor(match: re.Match[str]) -> str:
        level = max(2, int(match.group(1)))
        inner = match.group(2)
        text = html_lib.unescape(_TAG.sub("", inner)).strip()
        base = slugify(text, max_length=60, word_boundary=True) or "section"
        n = used.get(base, 0)
        used[base] = n + 1
        slug = base if n == 0 else f"{base}-{n + 1}"
        if level in (2, 3):
            toc.append(TocEntry(level=level, anchor=slug, text=text))
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    return _HEADING.sub(anchor, raw_html), toc


def _render_limited(source: str) -> str:
    # the slow path, rarely taken (see shared.markdown)
    return str(limited_parser().render(source))


# What the plugin appends after the body: a rule and the footnote section (always last).
_FOOTNOTES = re.compile(r'<hr class="footnotes-sep"\s*/?>\s*<section class="footnotes">.*\Z', re.S)
_FOOTNOTE_ITEM = re.compile(r'<li id="fn(\d+)" class="footnote-item">(.*?)</li>', re.S)
_PLACEHOLDER = "HHCITEPLACEHOLDER"
_PLACEHOLDER_RE = re.compile(rf"{_PLACEHOLDER}(\d+)\b")
_BACKREF = re.compile(r'href="#(fnref[0-9:]+)"')
_FOOTNOTE_REF = re.compile(
    r'<sup class="footnote-ref"><a href="#fn(\d+)" id="(fnref[0-9:]+)">\[[0-9:]+\]</a></sup>'
)


def _with_definitions(source: str, labels: Sequence[str]) -> str:
    """The body with one footnote definition per reference, each a numbered placeholder."""
    if not labels:
        return source
    defs = "\n\n".join(f"[^{label}]: {_PLACEHOLDER}{i}" for i, label in enumerate(labels))
    return f"{source}\n\n{defs}\n"


def _cut_footnotes(rendered: str) -> tuple[str, tuple[Citation, ...]]:
    """The body without the plugin's footnote section, its markers numbered and linked by
    reference position, and which references it cites. A footnote without a placeholder (a
    definition the editor wrote, which the API refuses) keeps the plugin's marker."""
    found = _FOOTNOTES.search(rendered)
    if found is None:
        return rendered, ()
    index_of: dict[str, int] = {}
    citations = []
    for number, inner in _FOOTNOTE_ITEM.findall(found.group(0)):
        placeholder = _PLACEHOLDER_RE.search(inner)
        if placeholder is not None:
            index = int(placeholder.group(1))
            index_of[number] = index
            citations.append(Citation(index, tuple(_BACKREF.findall(inner))))

    def renumber(marker: re.Match[str]) -> str:
        index = index_of.get(marker.group(1))
        if index is None:
            return marker.group(0)
        return (
            f'<sup class="footnote-ref"><a href="#ref-{index + 1}" id="{marker.group(2)}">'
            f"[{index + 1}]</a></sup>"
        )

    body = _FOOTNOTE_REF.sub(renumber, rendered[: found.start()])
    return body, tuple(sorted(citations, key=lambda c: c.index))


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _SAFE_ID.fullmatch(value) else None
    return value


def render_markdown(
    source: str, labels: Sequence[str] = (), media: Iterable[MediaImage] = ()
) -> RenderedBody:
    """Safe HTML of a body; ``labels`` are its references' citation labels, in order.
    ``media``: the library images the body may show (the snapshot's); ``![alt](media:<id>)``
    of any other id, and every external image, shows nothing."""
    text = _with_definitions(source, labels)
    rendered = _render_limited(text) if too_deep(source) else _MD.render(text)
    rendered, citations = _cut_footnotes(rendered)
    raw_html, toc = _anchor_headings(rendered)
    clean = nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        allowed_classes=ALLOWED_CLASSES,
        attribute_filter=_keep_attribute,
    )
    if "<img" in clean or "media:" in clean:
        clean = resolve_images(clean, {m.id: m for m in media})
    return RenderedBody(html=clean, toc=tuple(toc), words=len(source.split()), citations=citations)


def safe_url(url: str | None) -> str | None:
    """An editor-supplied URL for an attribute, or None unless it is plain http(s)."""
    if not url:
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://")) and not any(c in url for c in "\"'<> \n\r\t"):
        return url.strip()
    return None
