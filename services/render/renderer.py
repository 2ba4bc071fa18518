"""Pure rendering: snapshots and listings in, HTML/XML bytes out. No I/O, easy to test and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from slugify import slugify

from services.render.markdown import RenderedBody, render_markdown, safe_url
from shared.contracts import ArticleSnapshot, CategoryCrumb

PAGE_SIZE = 20


@dataclass(frozen=True)
class Site:
    name: str
    url: str
    views_url: str


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
    page: int
    pages: int
    prev: str | None
    next: str | None


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


def tag_slug(tag: str) -> str:
    return slugify(tag, max_length=60) or "tag"


def article_url(snapshot: ArticleSnapshot) -> str:
    return f"/{snapshot.category.slug}/{snapshot.slug}"


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


def _longdate(value: date | datetime) -> str:
    return f"{value.day} {value:%B %Y}"


class Renderer:
    def __init__(self, site: Site, nav: Sequence[NavCategory] = ()) -> None:
        self.site = site
        self.nav = list(nav)
        self.env = Environment(
            loader=PackageLoader("services.render", "templates"),
            autoescape=select_autoescape(("html", "xml")),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["longdate"] = _longdate
        self.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}

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
            body = render_markdown(snapshot.body)
        url = article_url(snapshot)
        crumbs = [
            *snapshot.category.parents,
            CategoryCrumb(slug=snapshot.category.slug, name=snapshot.category.name),
        ]
        references = [{"title": r.title, "url": safe_url(r.url)} for r in snapshot.references]
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
            tags=[{"slug": tag_slug(t), "name": t} for t in snapshot.tags],
            related=list(related),
            updated_shown=updated_shown,
            json_ld=self._json_ld(snapshot, url, crumbs, hero_url),
            preview=preview,
        )

    def _json_ld(
        self,
        snapshot: ArticleSnapshot,
        url: str,
        crumbs: Sequence[CategoryCrumb],
        hero_url: str | None,
    ) -> list[dict[str, Any]]:
        page: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "headline": snapshot.title,
            "description": snapshot.summary,
            "url": self.site.url + url,
            "dateModified": snapshot.updated_at.isoformat(),
            "publisher": {"@type": "Organization", "name": self.site.name},
            "inLanguage": "en",
        }
        if snapshot.published_at:
            page["datePublished"] = snapshot.published_at.isoformat()
        if snapshot.authors:
            page["author"] = [{"@type": "Person", "name": n} for n in snapshot.authors]
        if snapshot.reviewed_by:
            page["reviewedBy"] = {"@type": "Person", "name": snapshot.reviewed_by}
        if snapshot.last_reviewed:
            page["lastReviewed"] = snapshot.last_reviewed.isoformat()
        if hero_url:
            page["image"] = hero_url
        items = [{"@type": "ListItem", "position": 1, "name": "Home", "item": self.site.url + "/"}]
        for i, c in enumerate(crumbs, start=2):
            items.append(
                {
                    "@type": "ListItem",
                    "position": i,
                    "name": c.name,
                    "item": f"{self.site.url}/{c.slug}",
                }
            )
        items.append(
            {
                "@type": "ListItem",
                "position": len(items) + 1,
                "name": snapshot.title,
                "item": self.site.url + url,
            }
        )
        breadcrumb = {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": items,
        }
        return [page, breadcrumb]

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

    def sitemap(self, entries: Sequence[tuple[str, datetime]]) -> bytes:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for path, lastmod in entries:
            lines.append(
                f"<url><loc>{xml_escape(self.site.url + path)}</loc><lastmod>{lastmod.date().isoformat()}</lastmod></url>"
            )
        lines.append("</urlset>")
        return ("\n".join(lines) + "\n").encode()

    def feed(self, cards: Sequence[Card], updated: datetime) -> bytes:
        site = xml_escape(self.site.name)
        base = xml_escape(self.site.url)
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
            link = xml_escape(self.site.url + c.url)
            lines += [
                "<entry>",
                f"<title>{xml_escape(c.title)}</title>",
                f'<link href="{link}"/>',
                f"<id>{link}</id>",
                f"<published>{(c.published_at or c.updated_at).isoformat()}</published>",
                f"<updated>{c.updated_at.isoformat()}</updated>",
                f"<summary>{xml_escape(c.summary)}</summary>",
                f"<author><name>{site}</name></author>",
                "</entry>",
            ]
        lines.append("</feed>")
        return ("\n".join(lines) + "\n").encode()

    def robots(self) -> bytes:
        return f"User-agent: *\nAllow: /\nSitemap: {self.site.url}/sitemap.xml\n".encode()
