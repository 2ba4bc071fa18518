"""The schema.org JSON-LD of article and profile pages (what search engines read of them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.render.citations import ReferenceItem, citation_ld
from services.render.markdown import safe_url
from shared.contracts import ArticleSnapshot, CategoryCrumb, PersonRef


def person_ld(site_url: str, person: PersonRef) -> dict[str, Any]:
    """schema.org Person: how the article's JSON-LD and the profile page describe them."""
    ld: dict[str, Any] = {
        "@type": "Person",
        "name": person.name,
        "url": f"{site_url}/people/{person.slug}",
    }
    if person.credentials:
        ld["honorificSuffix"] = person.credentials
    if person.bio:
        ld["description"] = person.bio
    if person.photo is not None:
        ld["image"] = site_url + person.photo.url(person.photo.widths[-1], "jpg")
    elif photo := safe_url(person.photo_url):
        ld["image"] = photo  # a retired external photo, until an admin replaces it
    return ld


def article_ld(
    site_name: str,
    site_url: str,
    snapshot: ArticleSnapshot,
    url: str,
    crumbs: Sequence[CategoryCrumb],
    hero_url: str | None,
    references: Sequence[ReferenceItem] = (),
) -> list[dict[str, Any]]:
    """A MedicalWebPage and its BreadcrumbList."""
    page: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "headline": snapshot.title,
        "description": snapshot.summary,
        "url": site_url + url,
        "dateModified": snapshot.updated_at.isoformat(),
        "publisher": {"@type": "Organization", "name": site_name},
        "inLanguage": "en",
    }
    if snapshot.published_at:
        page["datePublished"] = snapshot.published_at.isoformat()
    if snapshot.author_people:
        page["author"] = [person_ld(site_url, p) for p in snapshot.author_people]
    elif snapshot.authors:
        page["author"] = [{"@type": "Person", "name": n} for n in snapshot.authors]
    if snapshot.reviewer is not None:
        page["reviewedBy"] = person_ld(site_url, snapshot.reviewer)
    elif snapshot.reviewed_by:
        page["reviewedBy"] = {"@type": "Person", "name": snapshot.reviewed_by}
    if snapshot.last_reviewed:
        page["lastReviewed"] = snapshot.last_reviewed.isoformat()
    if hero_url:
        page["image"] = hero_url
    if references:
        page["citation"] = citation_ld(references)
    items = [{"@type": "ListItem", "position": 1, "name": "Home", "item": site_url + "/"}]
    for i, c in enumerate(crumbs, start=2):
        items.append(
            {
                "@type": "ListItem",
                "position": i,
                "name": c.name,
                "item": f"{site_url}/{c.slug}",
            }
        )
    items.append(
        {
            "@type": "ListItem",
            "position": len(items) + 1,
            "name": snapshot.title,
            "item": site_url + url,
        }
    )
    breadcrumb = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items,
    }
    return [page, breadcrumb]
