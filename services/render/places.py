"""Where an article is read: its page at its place, 301s from the places it held before, a
410 once it is withdrawn. Markers live in the page store (services/render/store.py); the
page server answers from them when no page file is there."""

from __future__ import annotations

from services.render.store import PageStore, article_page
from shared.contracts import ArticleSnapshot


def place(store: PageStore, old: ArticleSnapshot | None, snapshot: ArticleSnapshot) -> None:
    """A live page is readable at its place; every former place redirects there."""
    store.clear_gone(snapshot.category.slug, snapshot.slug)
    store.clear_redirect(snapshot.category.slug, snapshot.slug)
    # The category's pages: its former slugs redirect here, its own slug is a page again.
    store.clear_category_redirect(snapshot.category.slug)
    for former in snapshot.category.former_slugs:
        store.set_category_redirect(former, snapshot.category.slug)
    new_path = f"/{snapshot.category.slug}/{snapshot.slug}"
    for category, slug in former_places(old, snapshot):
        store.remove(article_page(category, slug))
        store.clear_gone(category, slug)
        store.set_redirect(category, slug, new_path)


def withdraw(
    store: PageStore, old: ArticleSnapshot | None, snapshot: ArticleSnapshot, *, gone: bool
) -> None:
    """No page at the article's place, a 410 there once it has been out; its former places
    redirect to that place (a 410 now, the page again if it is republished there: moved
    while withdrawn, it is found at its old address once back)."""
    category, slug = snapshot.category.slug, snapshot.slug
    store.remove(article_page(category, slug))
    store.clear_redirect(category, slug)
    if gone:
        store.mark_gone(category, slug)
    for former_category, former_slug in former_places(old, snapshot):
        store.remove(article_page(former_category, former_slug))
        store.clear_gone(former_category, former_slug)
        if gone:
            store.set_redirect(former_category, former_slug, f"/{category}/{slug}")
        else:
            store.clear_redirect(former_category, former_slug)


def former_places(old: ArticleSnapshot | None, new: ArticleSnapshot) -> set[tuple[str, str]]:
    """Every (category, slug) the article was readable at before, other than its new place."""
    places = {(new.category.slug, s) for s in new.former_slugs}
    if old is not None:
        places.add((old.category.slug, old.slug))
        places |= {(old.category.slug, s) for s in old.former_slugs}
    places.discard((new.category.slug, new.slug))
    return places
