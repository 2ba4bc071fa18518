"""What readers will see after an action: the words of each confirmation page.

They describe what the platform does (ARCHITECTURE.md, service.py, render/service.py):
a published article's page is rendered and it joins the listings (home, its category and
tag pages, the feed, the sitemap); an article taken off the site (unpublished, archived or
deleted after it was public) loses its page, which then answers 410 Gone, and leaves the
listings; a schedule is invisible to readers until the scheduler publishes it, and the
medical review rule is checked again at that moment (workflow.publish_due).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.articles import review
from services.articles.editor.lifecycle import LocalTime
from services.articles.models import Article, Category
from services.articles.snapshots import article_path

LISTINGS = "the home page, its category and tag pages, the feed and the sitemap"
ACTIONS = ("publish", "schedule", "unpublish", "archive", "delete")


@dataclass(frozen=True)
class Confirmation:
    action: str
    title: str
    button: str
    effects: list[str]
    warnings: list[str] = field(default_factory=list)


def _gone(path: str) -> str:
    return (
        f"The page {path} is taken off the site: it answers 410 Gone, and the article leaves "
        f"{LISTINGS}, within a second or two."
    )


def _review_warning(category: Category, *, admin: bool) -> str:
    text = (
        f"Articles in {category.name} need a medical reviewer's approval, and this one has "
        "none in force: publishing will be refused until a reviewer approves it."
    )
    if admin:
        text += " As an admin you may publish anyway by giving a reason below (it is stored)."
    return text


def publish(
    article: Article, category: Category, *, needs_review: bool, admin: bool
) -> Confirmation:
    path = article_path(category.slug, article.slug)
    if article.status == "published":
        effects = [f"This article is already live at {path}: publishing again changes nothing."]
    else:
        effects = [
            f"The page {path} will go live now.",
            f"The article joins {LISTINGS}, within a second or two.",
        ]
        if article.published_at is not None:
            effects.append("It keeps the date it was first published on.")
    warnings = [_review_warning(category, admin=admin)] if needs_review else []
    return Confirmation("publish", f"Publish “{article.title}”?", "Publish now", effects, warnings)


def schedule(
    article: Article,
    category: Category,
    when: LocalTime,
    *,
    past: bool,
    needs_review: bool,
    admin: bool,
) -> Confirmation:
    path = article_path(category.slug, article.slug)
    if past:
        effects = [
            f"{when.local_text}, that is {when.utc_text}, has already passed: the page {path} "
            "will go live now, not later.",
            f"The article joins {LISTINGS}, within a second or two.",
        ]
    else:
        effects = [
            f"The page {path} will go live at {when.local_text}, that is {when.utc_text}.",
            "Until then readers see nothing; then the article joins "
            f"{LISTINGS}, within seconds of that time.",
            "If at that time its category requires a medical approval and none is in force, "
            "it goes back to draft instead.",
        ]
    warnings = [_review_warning(category, admin=admin)] if needs_review else []
    if when.repeated:
        warnings.append(
            f"This time happens twice in {when.zone} (the clocks go back): the first one, "
            f"{when.utc_text}, is meant."
        )
    if article.status == "published":
        warnings.append("This article is live: unpublish it first, or it cannot be scheduled.")
    return Confirmation("schedule", f"Schedule “{article.title}”?", "Schedule", effects, warnings)


def unpublish(article: Article, category: Category) -> Confirmation:
    path = article_path(category.slug, article.slug)
    if article.status == "scheduled":
        at = f"{article.scheduled_at:%Y-%m-%d %H:%M} UTC" if article.scheduled_at else "later"
        effects = [
            f"The schedule ({at}) is cancelled and the article goes back to draft.",
            "Readers see no change: it was not on the site.",
        ]
        return Confirmation(
            "unpublish", f"Cancel the schedule of “{article.title}”?", "Cancel the schedule",
            effects,
        )  # fmt: skip
    effects = [
        _gone(path),
        "The article stays in the editor as unpublished; you can publish it again.",
    ]
    warnings = [] if article.status == "published" else [
        f"This article is {article.status.replace('_', ' ')}, not published: there is "
        "nothing to unpublish, so this will be refused."
    ]  # fmt: skip
    return Confirmation(
        "unpublish", f"Unpublish “{article.title}”?", "Unpublish", effects, warnings
    )


def archive(article: Article, category: Category) -> Confirmation:
    path = article_path(category.slug, article.slug)
    if article.status == "published":
        effects = [_gone(path)]
    else:
        effects = ["Readers see no change: the article is not on the site."]
    if article.status == "scheduled":
        effects.append("Its schedule is cancelled.")
    effects.append("The article is kept as archived; it can be published again.")
    return Confirmation("archive", f"Archive “{article.title}”?", "Archive", effects)


def delete(article: Article, category: Category) -> Confirmation:
    path = article_path(category.slug, article.slug)
    effects = (
        [_gone(path)]
        if article.published_at is not None
        else ["Readers see no change: the article was never on the site."]
    )
    effects += [
        "The article disappears from the editor and from the API, with its history; "
        "this cannot be undone here.",
        f"Its address ({article.slug}) stays reserved, so an old link never shows another article.",
    ]
    return Confirmation("delete", f"Delete “{article.title}”?", "Delete for good", effects)


def restore(article: Article, category: Category, version: int, title: str) -> Confirmation:
    path = article_path(category.slug, article.slug)
    effects = [
        f"The content of revision {version} (“{title}”) comes back as a new version, "
        f"{article.version + 1}; every revision stays in the history.",
        f"The status stays {article.status.replace('_', ' ')}: publishing is a separate act.",
    ]
    if article.status == "published":
        effects.append(f"The page {path} is updated on the site at once.")
    else:
        effects.append("Readers see no change now: the article is not on the site.")
    warnings = []
    if article.approval_id is not None:
        fields = ", ".join(f.replace("_", " ") for f in review.HEALTH_FIELDS)
        warnings.append(
            f"A medical approval is in force: if this changes any of {fields}, it is "
            "withdrawn, and the article needs a new review."
        )
    return Confirmation(
        "restore", f"Restore revision {version} of “{article.title}”?", "Restore", effects, warnings
    )
