"""Precise domain errors of the articles service; app.py maps each to problem+json once."""

from __future__ import annotations


class ArticlesError(Exception):
    """Base of every domain error here."""


class ArticleNotFound(ArticlesError):
    def __init__(self, ref: int | str) -> None:
        super().__init__(f"No article {ref!r}.")


class CategoryNotFound(ArticlesError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"No category with slug {slug!r}.")


class SlugTaken(ArticlesError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug!r} is already used by another article.")
        self.slug = slug


class StaleVersion(ArticlesError):
    def __init__(self, expected: int | None, current: int) -> None:
        super().__init__(
            f"You edited version {expected}, but the article is now at version {current}; "
            "reload it and apply your change again."
        )
        self.expected = expected
        self.current = current


class VersionRequired(ArticlesError):
    def __init__(self) -> None:
        super().__init__("Send the version you are editing, as If-Match or a `version` field.")


class BodyTooLarge(ArticlesError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"The body is {size} bytes; the limit is {limit} bytes.")


class InvalidTransition(ArticlesError):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"An article that is {status} cannot be {action}.")


class CategoryUnknown(ArticlesError):
    """A category addressed by URL does not exist (404, unlike CategoryNotFound in a body)."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"No category with slug {slug!r}.")


class CategoryInUse(ArticlesError):
    def __init__(self, slug: str) -> None:
        super().__init__(
            f"The category {slug!r} still has articles or sub-categories; move them first."
        )


class RevisionNotFound(ArticlesError):
    def __init__(self, article_id: int, version: int) -> None:
        super().__init__(f"Article {article_id} has no revision {version}.")


class TokenNotFound(ArticlesError):
    def __init__(self, token_id: int) -> None:
        super().__init__(f"No token {token_id}.")


class PageTooDeep(ArticlesError):
    """A list page past the deepest one served: a deep page costs the database an OFFSET of
    that many rows, so past the window a client narrows the query instead."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"No such page: lists go as deep as result {limit:,} (page x per_page); "
            "narrow the query (updated_since, category, tag) to go further."
        )


class UnknownCitation(ArticlesError):
    """A footnote marker in the body that cites no reference (a 422 naming the markers)."""

    def __init__(self, missing: list[str], labels: list[str]) -> None:
        shown = ", ".join(f"[^{m}]" for m in missing)
        known = ", ".join(f"[^{label}]" for label in labels) or "none (no references)"
        super().__init__(
            f"The body cites {shown}, but no reference has that key or position. "
            f"Markers this article can use: {known}."
        )
        self.missing = missing


class FootnoteDefinitionInBody(ArticlesError):
    def __init__(self) -> None:
        super().__init__(
            "The body defines a footnote ([^label]: ...). Put the source in `references` and "
            "cite it with [^key] (or [^n], its position); the page builds the reference list."
        )


class CategorySlugTaken(ArticlesError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug!r} is already used by another category.")


class CategoryCycle(ArticlesError):
    def __init__(self, slug: str, parent: str) -> None:
        super().__init__(
            f"The category {parent!r} is {slug!r} itself or one of its sub-categories: "
            "it cannot be its parent."
        )


class PersonNotFound(ArticlesError):
    """A person named in a request body does not exist (422)."""

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"No person with slug {slug!r}; an admin creates people at /api/v1/people."
        )


class PersonUnknown(ArticlesError):
    """A person addressed by URL does not exist (404)."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"No person with slug {slug!r}.")


class PersonSlugTaken(ArticlesError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug!r} is already used by another person.")


class PersonInUse(ArticlesError):
    def __init__(self, slug: str, articles: int, reviews: int) -> None:
        super().__init__(
            f"{slug!r} is named on {articles} article(s) and {reviews} review record(s); "
            "remove them from those articles first (review records are kept for good)."
        )


class ReviewRequired(ArticlesError):
    """Publishing in a category that requires medical review, without an approval."""

    def __init__(self, category: str, status: str) -> None:
        super().__init__(
            f"Articles in {category!r} need a medical reviewer's approval before they are "
            f"published, and this one (status {status}) has none in force: submit it for "
            "review, or an admin may publish with an `override_reason`."
        )


class OverrideNotAllowed(ArticlesError):
    def __init__(self, role: str) -> None:
        super().__init__(
            f"Only an admin may publish without a medical review; your token has {role}."
        )


class ReviewerUnlinked(ArticlesError):
    def __init__(self, token_name: str) -> None:
        super().__init__(
            f"The token {token_name!r} is not linked to a person, so a review cannot be "
            "recorded in anyone's name: create the reviewer's token with a `person`."
        )


class LegacyReviewField(ArticlesError):
    def __init__(self, category: str) -> None:
        super().__init__(
            f"In {category!r} the medical review comes from review records: `reviewed_by` "
            "and `last_reviewed` cannot be set by hand; ask a reviewer to review the article."
        )


class NotATypo(ArticlesError):
    def __init__(self, field: str, why: str) -> None:
        super().__init__(
            f"This edit is not typo-only: it {why} in {field!r}. A medical reviewer must see "
            "it: save it without `typo_only` (the approval is withdrawn) and submit it."
        )


class ReviewerIsAuthor(ArticlesError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} is an author of this article and cannot review it: a medical review is "
            "by someone who did not write the text. Ask another reviewer."
        )


class NoteRequired(ArticlesError):
    def __init__(self) -> None:
        super().__init__("Asking for changes needs a `note` telling the editor what to change.")


class RevisionNotRestorable(ArticlesError):
    """A stored revision the current rules refuse (they were tightened since it was saved)."""

    def __init__(self, article_id: int, version: int, fields: list[str]) -> None:
        super().__init__(
            f"Revision {version} of article {article_id} cannot be restored as it is: the "
            f"current rules refuse its {', '.join(fields)}. Edit the article instead."
        )
        self.fields = fields
