"""Pure rendering: snapshots and listings in, HTML/XML bytes out. No I/O, easy to test and time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from slugify import slugify

from services.render.citations import reference_items
from services.render.markdown import RenderedBody, render_markdown, safe_url
from services.render.media import picture
from services.render.structured_data import article_ld, person_ld
from services.render.xmltext import xml_safe
from shared.contracts import ArticleSnapshot, CategoryCrumb, PersonRef, citation_labels


def xml_text(value: str) -> str:
    """Escaped text for the feed and sitemaps, without the characters XML 1.0 cannot carry:
    an editor's stray \x01 in a title must not make the feed unreadable for everyone."""
    return xml_escape(xml_safe(value))


# A listing page holds this many articles; a sitemap shard this many URLs (the protocol
# allows 50,000; 5,000 keeps a shard rewrite small).
PAGE_SIZE = 20
# A profile portrait is shown 10rem (160 px) wide: the browser picks the rendition for that.
PORTRAIT_SIZES = "10rem"
SHARD_SIZE = 5_000


@dataclass(frozen=True)
class Site:
    name: str
    url: str
    views_url: str
    # Articles per listing page, URLs per sitemap shard (settings; small in tests, so that
    # archive pages and several shards appear with a few dozen articles).
    page_size: int = PAGE_SIZE
    shard_size: int = SHARD_SIZE


@dataclass(frozen=True)
class Card:
    """An article as a listing shows it."""

    id: int
    title: str
    summary: str
    url: str
    category_slug: str
    category_name: str
    published_at: datetime | None
    updated_at: datetime
    views: int | None = None


@dataclass(frozen=True)
class Section:
    title: str
    cards: Sequence[Card]


@dataclass(frozen=True)
class Pager:
    """Links between a listing's landing page and its archive pages (numbered from the
    oldest, so a page's content and number never change when articles are added)."""

    label: str
    newer: str | None
    older: str | None


@dataclass(frozen=True)
class NavCategory:
    slug: str
    name: str


@dataclass
class Listing:
    url: str
    heading: str
    description: str
    sections: list[Section]
    crumbs: list[CategoryCrumb] = field(default_factory=list)
    pager: Pager | None = None


# The date in every feed entry's tag URI (RFC 4151: a day on which the site's host name was
# held). Fixed for good: changing it, like changing the host, makes every entry new again.
FEED_TAG_DATE = "2025-01-01"


def feed_entry_id(site_url: str, article_id: int) -> str:
    """An Atom entry id that outlives slug and category changes: a tag URI from the article
    id (RFC 4151), not the page URL, so a renamed article is not shown again as new."""
    host = urlsplit(site_url).hostname or "localhost"
    return f"tag:{host},{FEED_TAG_DATE}:article:{article_id}"


def tag_slug(tag: str) -> str:
    return slugify(tag, max_length=60) or "tag"


def article_url(snapshot: ArticleSnapshot) -> str:
    return f"/{snapshot.category.slug}/{snapshot.slug}"


def _as_datetime(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def card_from_data(data: dict[str, Any], views: int | None = None) -> Card:
    """A card straight from a stored snapshot's JSON: listings show thousands of cards, and
    validating whole snapshots (bodies included) only to read six fields is most of the cost."""
    category = data["category"]
    updated = _as_datetime(data["updated_at"])
    published = data.get("published_at")
    return Card(
        id=data["id"],
        title=data["title"],
        summary=data.get("summary", ""),
        url=f"/{category['slug']}/{data['slug']}",
        category_slug=category["slug"],
        category_name=category["name"],
        published_at=_as_datetime(published) if published else None,
        updated_at=updated,
        views=views,
    )


def card_of(snapshot: ArticleSnapshot, views: int | None = None) -> Card:
    return Card(
        id=snapshot.id,
        title=snapshot.title,
        summary=snapshot.summary,
        url=article_url(snapshot),
        category_slug=snapshot.category.slug,
        category_name=snapshot.category.name,
        published_at=snapshot.published_at,
        updated_at=snapshot.updated_at,
        views=views,
    )


def render_body(snapshot: ArticleSnapshot) -> RenderedBody:
    """The body with its citation markers linked to the article's references and its
    library images as pictures."""
    return render_markdown(
        snapshot.body, citation_labels(snapshot.references), media=snapshot.media
    )


def _longdate(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """One Jinja environment per process: it caches the compiled templates, and a renderer
    is made for every task (its navigation changes), which must not compile them again."""
    env = Environment(
        loader=PackageLoader("services.render", "templates"),
        autoescape=select_autoescape(("html", "xml")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["longdate"] = _longdate
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


class Renderer:
    def __init__(self, site: Site, nav: Sequence[NavCategory] = ()) -> None:
        self.site = site
        self.nav = list(nav)
        self.env = _environment()

    def _render(self, template: str, **context: Any) -> bytes:
        html = self.env.get_template(template).render(
            site=self.site, nav_categories=self.nav, **context
        )
        return html.encode()

    def article(
        self,
        snapshot: ArticleSnapshot,
        *,
        views: int,
        related: Sequence[Card] = (),
        preview: bool = False,
        body: RenderedBody | None = None,
    ) -> bytes:
        if body is None:
            body = render_body(snapshot)
        url = article_url(snapshot)
        crumbs = [
            *snapshot.category.parents,
            CategoryCrumb(slug=snapshot.category.slug, name=snapshot.category.name),
        ]
        references = reference_items(snapshot.references, body)
        hero = snapshot.hero_media
        hero_picture: Markup | None = None
        hero_size: tuple[int, int] | None = None
        if hero is not None:
            # A library image: the <picture> on the page, its largest JPEG for link previews.
            alt = snapshot.hero_image_alt or hero.alt
            hero_picture = Markup(picture(hero, alt=alt, lazy=False, css_class="hero"))  # noqa: S704 (built from escaped parts)
            hero_url: str | None = self.site.url + hero.url(hero.widths[-1], "jpg")
            hero_size = (hero.widths[-1], hero.height_at(hero.widths[-1]))
        else:
            # Retired external heroes keep rendering until an editor replaces them.
            hero_url = safe_url(snapshot.hero_image_url)
        updated_shown = (
            snapshot.published_at is not None
            and snapshot.updated_at.date() > snapshot.published_at.date()
        )
        return self._render(
            "article.html",
            a=snapshot,
            url=url,
            body=body,
            crumbs=crumbs,
            views=views,
            references=references,
            hero_url=hero_url,
            hero_picture=hero_picture,
            hero_size=hero_size,
            tags=[{"slug": tag_slug(t), "name": t} for t in snapshot.tags],
            related=list(related),
            updated_shown=updated_shown,
            json_ld=article_ld(
                self.site.name, self.site.url, snapshot, url, crumbs, hero_url, references
            ),
            preview=preview,
        )

    def person(self, person: PersonRef, cards: Sequence[tuple[Card, str]]) -> bytes:
        """A profile page: who they are and the live articles they wrote or reviewed
        (``cards``: each with "Author", "Medical reviewer" or both)."""
        url = f"/people/{person.slug}"
        json_ld = {
            "@context": "https://schema.org",
            "@type": "ProfilePage",
            "url": self.site.url + url,
            "mainEntity": person_ld(self.site.url, person),
        }
        return self._render(
            "person.html",
            p=person,
            url=url,
            photo_picture=self._portrait(person),
            photo_url=safe_url(person.photo_url),
            cards=list(cards),
            json_ld=json_ld,
        )

    @staticmethod
    def _portrait(person: PersonRef) -> Markup | None:
        if person.photo is None:
            return None
        html = picture(
            person.photo, alt=person.name, lazy=False, css_class="portrait", sizes=PORTRAIT_SIZES
        )
        return Markup(html)  # noqa: S704 (built from escaped parts)

    def listing(self, listing: Listing) -> bytes:
        return self._render(
            "listing.html",
            url=listing.url,
            heading=listing.heading,
            description=listing.description,
            sections=listing.sections,
            crumbs=listing.crumbs,
            pager=listing.pager,
        )

    def message(self, heading: str, message: str) -> bytes:
        return self._render("message.html", heading=heading, message=message)

    def not_found(self) -> bytes:
        return self.message("Page not found", "We could not find that page. It may have moved.")

    def gone(self) -> bytes:
        return self.message(
            "This article is no longer available",
            "The article that was here has been withdrawn by our editors.",
        )

    def sitemap(self, entries: Sequence[tuple[str, datetime | None]]) -> bytes:
        """One sitemap file (a shard): at most 50,000 URLs by the protocol."""
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for path, lastmod in entries:
            mod = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
            lines.append(f"<url><loc>{xml_text(self.site.url + path)}</loc>{mod}</url>")
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode()

    def sitemap_index(self, files: Sequence[str]) -> bytes:
        """The sitemap index (sitemap.xml): one entry per shard. No lastmod: it would make
        the index change with every shard."""
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for name in files:
            lines.append(f"<sitemap><loc>{xml_text(self.site.url + '/' + name)}</loc></sitemap>")
        lines.append("</sitemapindex>")
        return ("\n".join(lines) + "\n").encode()

    def feed(
        self,
        cards: Sequence[Card],
        updated: datetime,
        bodies: Mapping[int, str],
        labels: Mapping[int, Sequence[str]] | None = None,
    ) -> bytes:
        """The Atom feed. ``bodies`` holds each card's Markdown body, sent rendered and
        sanitised as the entry's content: a feed reader shows the whole article. ``labels``
        are each body's citation labels: its markers link to the page's reference list."""
        site = xml_text(self.site.name)
        base = xml_text(self.site.url)
        lines = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{site}</title>",
            f'<link href="{base}/"/>',
            f'<link rel="self" href="{base}/feed.xml"/>',
            f"<id>{base}/</id>",
            f"<updated>{updated.isoformat()}</updated>",
        ]
        for c in cards:
            link = xml_text(self.site.url + c.url)
            content = xml_text(
                render_markdown(bodies.get(c.id, ""), (labels or {}).get(c.id, ())).html
            )
            lines += [
                "<entry>",
                f"<title>{xml_text(c.title)}</title>",
                f'<link href="{link}"/>',
                f"<id>{xml_text(feed_entry_id(self.site.url, c.id))}</id>",
                f"<published>{(c.published_at or c.updated_at).isoformat()}</published>",
                f"<updated>{c.updated_at.isoformat()}</updated>",
                f"<summary>{xml_text(c.summary)}</summary>",
                f'<content type="html" xml:base="{link}">{content}</content>',
                f"<author><name>{site}</name></author>",
                "</entry>",
            ]
        lines.append("</feed>")
        return ("\n".join(lines) + "\n").encode()

    def robots(self) -> bytes:
        return f"User-agent: *\nAllow: /\nSitemap: {self.site.url}/sitemap.xml\n".encode()
