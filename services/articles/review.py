"""The medical review workflow: draft → in_review → approved → published, and back to draft
when a reviewer asks for changes.

An approval is a review record (outcome ``approved``) that the article points at
(``approval_id``) while it is in force. It is in force until the content a reviewer vouches
for changes: an edit to any of HEALTH_FIELDS withdraws it (a ``withdrawn`` record), unless
the editor flags the edit ``typo_only`` (a ``typo_only`` record keeps the claim on file).
In a category that requires review, publishing needs an approval in force, or an admin's
override whose reason is stored as an ``override`` record. An override is in force like an
approval (the article points at it), so it covers the version it was given for and no
other: a content edit withdraws it too.

A scheduled article goes live later, so the rule is checked again when it does (see
workflow.publish_due), and whenever its standing may have changed (an edit, a move, its
category starting to require review): one in a review category with nothing in force goes
back to draft with a ``withdrawn`` record saying why, never to the page.

Plain functions; the caller owns the transaction and passes the actor's role and person.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.articles import people_repository as repo
from services.articles import repository
from services.articles.errors import (
    InvalidTransition,
    LegacyReviewField,
    NotATypo,
    NoteRequired,
    OverrideNotAllowed,
    ReviewerIsAuthor,
    ReviewRequired,
)
from services.articles.models import Article, Category, Person, Review
from services.articles.schemas import ArticleFields

# What a medical reviewer vouches for: a change to any of these withdraws an approval. The
# hero image is clinical content too (a rash, a dosage chart), and so is what its alt text
# tells those who cannot see it.
HEALTH_FIELDS = (
    "title",
    "summary",
    "body",
    "references",
    "hero_media_id",
    "hero_image_url",
    "hero_image_alt",
)
# How much a typo-only edit may change in each reviewed field: never a number (a dose, a
# year, an image), at most a few words and characters. Counted over the words that differ
# (difflib opcodes on the words of the changed lines, so whitespace is free).
TYPO_MAX_WORDS = 3
TYPO_MAX_CHARS = 40
_NUMBER = re.compile(r"\d+")
# Where a reviewer may act: an article submitted for review, or a live one (re-review).
REVIEWABLE = ("in_review", "published")


def category_of(session: Session, article: Article) -> Category:
    category = repository.get_category(session, article.category_id)
    assert category is not None, "foreign key guarantees the category"
    return category


def content_of(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in HEALTH_FIELDS}


def _record(
    session: Session,
    article: Article,
    *,
    outcome: str,
    actor: str,
    now: datetime,
    note: str = "",
    person_id: int | None = None,
    version: int | None = None,
) -> Review:
    review = Review(
        article_id=article.id,
        article_version=version if version is not None else article.version,
        outcome=outcome,
        person_id=person_id,
        actor=actor,
        note=note,
        created_at=now,
    )
    session.add(review)
    session.flush()
    return review


def given(fields: ArticleFields) -> set[str]:
    """The fields a request set to a value (null is not a value here)."""
    return {k for k, v in fields.model_dump(exclude_unset=True).items() if v is not None}


def check_legacy_fields(category: Category, fields: set[str]) -> None:
    """Where review is required the review line comes from records, never typed by hand."""
    if category.requires_review and fields & {"reviewed_by", "last_reviewed"}:
        raise LegacyReviewField(category.slug)


# What an editor may hand to the reviewers: a draft, or an article taken off the site
# (unpublished, archived) whose approval an edit withdrew. Submitting them, rather than
# having the edit turn them into drafts, keeps "unpublished" and "archived" true of them
# until someone acts: an edit alone never changes where an article stands.
SUBMITTABLE = ("draft", "unpublished", "archived")


def submit(article: Article) -> None:
    """draft, unpublished or archived → in_review (the caller bumps the version and stores a
    revision)."""
    if article.status not in SUBMITTABLE:
        raise InvalidTransition(
            article.status, "submitted for review (only a draft, unpublished or archived one can)"
        )
    article.status = "in_review"


def review(
    session: Session,
    article: Article,
    *,
    outcome: str,
    note: str,
    person: Person,
    actor: str,
    now: datetime,
) -> Review:
    """Record a reviewer's verdict on the article's current version and move it along."""
    if article.status not in REVIEWABLE:
        raise InvalidTransition(article.status, "reviewed (submit it for review first)")
    if any(author.id == person.id for author in repo.article_authors(session, article.id)):
        raise ReviewerIsAuthor(person.name)
    if outcome == "changes_requested" and not note:
        raise NoteRequired()
    record = _record(
        session, article, outcome=outcome, actor=actor, now=now, note=note, person_id=person.id
    )
    if outcome == "approved":
        article.approval_id = record.id
        if article.status == "in_review":
            article.status = "approved"
    else:
        article.approval_id = None
        if article.status == "in_review":
            article.status = "draft"
    return record


def after_edit(
    session: Session,
    article: Article,
    before: dict[str, Any],
    *,
    typo_only: bool,
    actor: str,
    now: datetime,
) -> None:
    """Withdraw an approval in force if the edit changed what the reviewer vouched for, and
    take a scheduled article off the schedule if it may no longer go live unreviewed (the
    approval was withdrawn, or the edit moved it into a category that requires review).

    Runs after the fields were applied and before the version is bumped: the records name
    the version the edit replaced."""
    if article.approval_id is not None and content_of(article) != before:
        _withdraw(session, article, before, typo_only=typo_only, actor=actor, now=now)
    unschedule_unreviewed(
        session, article, reason="it has no medical approval in force.", actor=actor, now=now
    )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def check_typo_only(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Refuse a typo-only claim for an edit that changes a number or more than a little."""
    for name in HEALTH_FIELDS:
        old, new = _as_text(before[name]), _as_text(after[name])
        if old == new:
            continue
        if _NUMBER.findall(old) != _NUMBER.findall(new):
            raise NotATypo(name, "changes a number")
        words, chars = _changed(old, new)
        if words > TYPO_MAX_WORDS:
            raise NotATypo(name, f"changes more than {TYPO_MAX_WORDS} words")
        if chars > TYPO_MAX_CHARS:
            raise NotATypo(name, f"changes more than {TYPO_MAX_CHARS} characters")


def _changed(old: str, new: str) -> tuple[int, int]:
    """(words, characters) that differ. Lines first (cheap, whole lines compare by hash),
    then the words of the lines that changed: a 1 MB body with a typo costs milliseconds."""
    words = chars = 0
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            continue
        a = " ".join(old_lines[i1:i2]).split()
        b = " ".join(new_lines[j1:j2]).split()
        if abs(len(a) - len(b)) > TYPO_MAX_WORDS:
            return len(a) + len(b), 0
        for op, k1, k2, m1, m2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
            if op != "equal":
                words += max(k2 - k1, m2 - m1)
                chars += max(len(" ".join(a[k1:k2])), len(" ".join(b[m1:m2])))
        if words > TYPO_MAX_WORDS:
            break
    return words, chars


def _withdraw(
    session: Session,
    article: Article,
    before: dict[str, Any],
    *,
    typo_only: bool,
    actor: str,
    now: datetime,
) -> None:
    if typo_only:
        check_typo_only(before, content_of(article))
        _record(
            session, article, outcome="typo_only", actor=actor, now=now, version=article.version + 1
        )
        return
    _record(
        session,
        article,
        outcome="withdrawn",
        actor=actor,
        now=now,
        note="The content changed after the approval.",
        version=article.version + 1,
    )
    article.approval_id = None
    if article.status == "approved":
        # An unreviewed change must not go live on its own: back to the editors.
        article.status = "draft"


def needs_review(session: Session, article: Article) -> bool:
    """True when the article's category requires review and nothing is in force for it."""
    return article.approval_id is None and category_of(session, article).requires_review


def unschedule_unreviewed(
    session: Session, article: Article, *, reason: str, actor: str, now: datetime
) -> bool:
    """Send a scheduled article that may not go live unreviewed back to draft, on record.

    Returns whether it did. The record names the next version: the caller bumps it."""
    if article.status != "scheduled" or not needs_review(session, article):
        return False
    _record(
        session,
        article,
        outcome="withdrawn",
        actor=actor,
        now=now,
        note=f"Taken off the schedule: {reason}",
        version=article.version + 1,
    )
    article.status = "draft"
    article.scheduled_at = None
    return True


def check_publish(
    session: Session,
    article: Article,
    *,
    override_reason: str | None,
    role: str,
    actor: str,
    now: datetime,
) -> None:
    """Refuse to publish without the approval the category requires (admins may override,
    with a reason that is stored)."""
    if override_reason is not None and role != "admin":
        raise OverrideNotAllowed(role)
    category = category_of(session, article)
    if not category.requires_review or article.approval_id is not None:
        return
    if override_reason is None:
        raise ReviewRequired(category.slug, article.status)
    record = _record(
        session,
        article,
        outcome="override",
        actor=actor,
        now=now,
        note=override_reason,
        version=article.version + 1,
    )
    # In force like an approval: an edit of the content withdraws it (after_edit).
    article.approval_id = record.id


def approval_of(session: Session, article: Article) -> tuple[Person, date] | None:
    """The reviewer whose approval is in force and its date."""
    if article.approval_id is None:
        return None
    record = repo.get_review(session, article.approval_id)
    if record is None or record.person_id is None:
        return None
    person = repo.get_person(session, record.person_id)
    if person is None:
        return None
    return person, record.created_at.date()
