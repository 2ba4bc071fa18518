"""People: authors and medical reviewers as records, managed by admins.

Plain functions; the caller owns the transaction. A change to a person that readers can see
records a PersonEvent in the outbox (topic "person") in the same transaction: render keeps a
read model of people and re-renders the profile page and exactly the article pages that
show the person. An article's own version does not change when one of its people does:
the article did not change, and its revisions stay what the editors saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slugify import slugify
from sqlalchemy.orm import Session

from services.articles import outbox, repository
from services.articles import people_repository as repo
from services.articles.errors import (
    PersonInUse,
    PersonNotFound,
    PersonSlugTaken,
    PersonUnknown,
)
from services.articles.media import repository as media_repo
from services.articles.media.errors import UnknownMedia
from services.articles.media.service import image_of
from services.articles.models import Article, Person
from services.articles.people_schemas import PersonCreate, PersonUpdate
from services.articles.schemas import ArticleFields
from shared.contracts import PersonEvent, PersonRef


def person_path(slug: str) -> str:
    return f"/people/{slug}"


def person_ref(session: Session, person: Person) -> PersonRef:
    """The person as pages show them, photo included (a library image, sizes and all, so
    render writes its srcset without asking)."""
    media = media_repo.get(session, person.photo_media_id) if person.photo_media_id else None
    return PersonRef(
        id=person.id,
        version=person.version,
        slug=person.slug,
        name=person.name,
        credentials=person.credentials,
        bio=person.bio,
        photo_url=person.photo_url,
        photo=image_of(media, person.name) if media is not None else None,
    )


def _check_photo(session: Session, media_id: int | None) -> None:
    if media_id is not None and media_repo.get(session, media_id) is None:
        raise UnknownMedia([media_id])


def _emit(session: Session, person: Person, now: datetime, *, deleted: bool = False) -> None:
    outbox.record_person(
        session, PersonEvent(occurred_at=now, person=person_ref(session, person), deleted=deleted)
    )


def get_by_slug(session: Session, slug: str) -> Person:
    person = repo.get_person_by_slug(session, slug)
    if person is None:
        raise PersonUnknown(slug)
    return person


def resolve(session: Session, slugs: Sequence[str]) -> list[Person]:
    """The people these slugs name, in order (a slug named twice counts once)."""
    ordered = list(dict.fromkeys(slugs))
    found = repo.people_by_slug(session, ordered)
    for slug in ordered:
        if slug not in found:
            raise PersonNotFound(slug)
    return [found[s] for s in ordered]


def by_names(session: Session, names: Sequence[str], *, now: datetime) -> list[Person]:
    """The people of these names, in order; a name nobody has yet becomes a new person
    (the string API's path into people, the same conversion as migration 0003)."""
    found = repo.people_by_name(session, names)
    result = []
    for name in names:
        person = found.get(name)
        if person is None:
            person = create(session, data=PersonCreate(name=name), now=now)
            found[name] = person
        result.append(person)
    return result


def link_authors(
    session: Session, article: Article, fields: ArticleFields, *, now: datetime
) -> bool:
    """Link an article to its authors as people; True if the request named authors.

    ``author_slugs`` names people. The older ``authors`` (names) still works: each name is
    the person of that name, made on first use as migration 0003 made them from the strings
    already stored. Either way ``article.authors`` ends as the people's names, in order."""
    if fields.author_slugs is not None:
        found = resolve(session, fields.author_slugs)
    elif fields.authors is not None:
        found = by_names(session, list(dict.fromkeys(fields.authors)), now=now)
    else:
        return False
    article.authors = [p.name for p in found]
    repo.set_article_people(session, article.id, [p.id for p in found])
    return True


def _free_slug(session: Session, base: str) -> str:
    slug, n = base, 2
    while repo.get_person_by_slug(session, slug) is not None:
        suffix = f"-{n}"
        slug = base[: 120 - len(suffix)] + suffix
        n += 1
    return slug


def create(session: Session, *, data: PersonCreate, now: datetime) -> Person:
    _check_photo(session, data.photo_media_id)
    if data.slug is not None:
        if repo.get_person_by_slug(session, data.slug) is not None:
            raise PersonSlugTaken(data.slug)
        slug = data.slug
    else:
        slug = _free_slug(
            session, slugify(data.name, max_length=100, word_boundary=True) or "person"
        )
    person = Person(
        slug=slug,
        name=data.name,
        credentials=data.credentials,
        bio=data.bio,
        photo_media_id=data.photo_media_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    _emit(session, person, now)
    return person


def update(session: Session, *, slug: str, data: PersonUpdate, now: datetime) -> Person:
    person = get_by_slug(session, slug)
    changes = data.model_dump(exclude_unset=True, mode="json")
    _check_photo(session, changes.get("photo_media_id"))
    new_slug = changes.get("slug")
    if new_slug not in (None, person.slug) and repo.get_person_by_slug(session, new_slug):
        raise PersonSlugTaken(new_slug)
    before = person_ref(session, person)
    renamed = "name" in changes and changes["name"] != person.name
    for name, value in changes.items():
        if value is None and name in ("name", "slug", "credentials", "bio"):
            continue  # these cannot be emptied by null; send "" for credentials or bio
        setattr(person, name, value)
    if person_ref(session, person).model_copy(update={"version": before.version}) == before:
        return person  # nothing a reader sees changed: no new version, nothing re-rendered
    person.version += 1
    person.updated_at = now
    if renamed:
        for article_id in repo.articles_of_person(session, person.id):
            names = [p.name for p in repo.article_authors(session, article_id)]
            repo.set_author_names(session, article_id, names)
            repository.set_article_authors(session, article_id, names)
    session.flush()
    _emit(session, person, now)
    return person


def delete(session: Session, *, slug: str, now: datetime) -> None:
    """Delete a person no article, review record or token names (records are history)."""
    person = get_by_slug(session, slug)
    articles, reviews, tokens = repo.uses_of_person(session, person.id)
    if articles or reviews or tokens:
        raise PersonInUse(slug, articles, reviews + tokens)
    _emit(session, person, now, deleted=True)
    session.delete(person)
