"""People on pages: the read model of person events, who shows on which live article, and
the profile pages (/people/{slug}).

Why a read model and not new article versions: a renamed reviewer changes no article. The
articles service sends one PersonEvent; this module stores it (newest version wins, like
snapshots), and marks dirty exactly the pages that show the person: their profile and the
live articles that name them (``article_people``, kept by apply_snapshot). Article pages are
rendered with the newer of the two copies of each person (the snapshot's, the read model's),
so the order the two kinds of event arrive in does not matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from services.render import repository
from services.render.models import ArticlePersonRow, PersonRow, Snapshot
from services.render.renderer import Renderer, card_from_data
from services.render.repository import DirtyMark
from services.render.store import PageStore, UnsafePath, article_page
from shared.contracts import ArticleSnapshot, PersonEvent, PersonRef
from shared.db import Database

PERSON_KEY_PREFIX = "person:"
PEOPLE_DIR = "people"
PROFILE_ARTICLES = 200


def person_key(person_id: int) -> str:
    return f"{PERSON_KEY_PREFIX}{person_id}"


def profile_page(slug: str) -> str:
    """A profile lives at /people/{slug}: the same shape (and checks) as an article page."""
    return article_page(PEOPLE_DIR, slug)


def profile_url(slug: str) -> str:
    return f"/{PEOPLE_DIR}/{slug}"


def people_of(snapshot: ArticleSnapshot) -> set[tuple[int, str]]:
    """(person id, role) of everyone the article's page shows."""
    shown = {(p.id, "author") for p in snapshot.author_people}
    if snapshot.reviewer is not None:
        shown.add((snapshot.reviewer.id, "reviewer"))
    return shown


def set_article_people(session: Session, snapshot: ArticleSnapshot) -> None:
    """Record who a live article shows (nobody, once it is not live)."""
    session.execute(delete(ArticlePersonRow).where(ArticlePersonRow.article_id == snapshot.id))
    rows = sorted(people_of(snapshot)) if snapshot.is_live else []
    if rows:
        session.execute(
            insert(ArticlePersonRow),
            [{"article_id": snapshot.id, "person_id": pid, "role": role} for pid, role in rows],
        )


def live_articles_showing(session: Session, person_id: int) -> list[int]:
    stmt = select(ArticlePersonRow.article_id).where(ArticlePersonRow.person_id == person_id)
    return sorted(set(session.scalars(stmt)))


def latest(session: Session, ids: Iterable[int]) -> dict[int, PersonRow]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(PersonRow).where(PersonRow.person_id.in_(wanted))
    return {row.person_id: row for row in session.scalars(stmt)}


def current(session: Session, snapshot: ArticleSnapshot) -> ArticleSnapshot:
    """The snapshot with each person as the newest copy we hold shows them."""
    refs = _refs(snapshot)
    if not refs:
        return snapshot
    rows = latest(session, (p.id for p in refs))

    def newer(ref: PersonRef) -> PersonRef:
        row = rows.get(ref.id)
        if row is None or row.version <= ref.version or row.deleted:
            return ref
        return PersonRef.model_validate(row.data)

    authors = tuple(newer(p) for p in snapshot.author_people)
    reviewer = newer(snapshot.reviewer) if snapshot.reviewer else None
    changes: dict[str, object] = {"author_people": authors, "reviewer": reviewer}
    if authors:
        changes["authors"] = tuple(p.name for p in authors)
    if reviewer is not None:
        changes["reviewed_by"] = reviewer.name
    return snapshot.model_copy(update=changes)


def _refs(snapshot: ArticleSnapshot) -> list[PersonRef]:
    return [*snapshot.author_people, *([snapshot.reviewer] if snapshot.reviewer else [])]


@dataclass
class PersonResult:
    applied: bool
    dirty: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)


def apply_person(session: Session, store: PageStore, event: PersonEvent) -> PersonResult:
    """Store a person event if it is newer than what we hold; mark the pages showing them."""
    person = event.person
    row = session.get(PersonRow, person.id)
    if row is not None and row.version >= person.version:
        return PersonResult(applied=False)
    old_slug = row.slug if row is not None else None
    if row is None:
        row = PersonRow(person_id=person.id)
        session.add(row)
    row.version = person.version
    row.slug = person.slug
    row.data = person.model_dump(mode="json")
    row.deleted = event.deleted
    result = PersonResult(applied=True)
    try:
        if old_slug is not None and old_slug != person.slug:
            store.remove(profile_page(old_slug))
            store.set_redirect(PEOPLE_DIR, old_slug, profile_url(person.slug))
            result.removed.append(profile_page(old_slug))
        store.clear_redirect(PEOPLE_DIR, person.slug)
        if event.deleted:
            store.remove(profile_page(person.slug))
            result.removed.append(profile_page(person.slug))
            return result
    except UnsafePath:
        return result
    result.dirty.add(person_key(person.id))
    result.dirty |= {f"article:{aid}" for aid in live_articles_showing(session, person.id)}
    return result


@dataclass(frozen=True)
class Profile:
    person: PersonRef
    articles: Sequence[tuple[Snapshot, frozenset[str]]]


def profile(session: Session, person_id: int) -> Profile | None:
    """A person and their live articles (newest first), with the roles they had on each."""
    row = session.get(PersonRow, person_id)
    if row is not None and row.deleted:
        return None
    roles: dict[int, set[str]] = {}
    stmt = select(ArticlePersonRow.article_id, ArticlePersonRow.role).where(
        ArticlePersonRow.person_id == person_id
    )
    for article_id, role in session.execute(stmt):
        roles.setdefault(article_id, set()).add(role)
    snaps: list[Snapshot] = []
    if roles:
        stmt2 = (
            select(Snapshot)
            .where(Snapshot.article_id.in_(sorted(roles)), Snapshot.status == "published")
            .order_by(Snapshot.published_at.desc(), Snapshot.article_id.desc())
            .limit(PROFILE_ARTICLES)
        )
        snaps = list(session.scalars(stmt2))
    if row is not None:
        person = PersonRef.model_validate(row.data)
    else:
        # No event for them yet (or people made by the articles migration, which sent none):
        # the newest copy in the articles that show them.
        refs = [p for s in snaps for p in _refs(ArticleSnapshot.model_validate(s.data))]
        mine = [p for p in refs if p.id == person_id]
        if not mine:
            return None
        person = max(mine, key=lambda p: p.version)
    return Profile(
        person=person,
        articles=[(s, frozenset(roles[s.article_id])) for s in snaps],
    )


def render_profile(
    session: Session, store: PageStore, renderer: Renderer, person_id: int
) -> str | None:
    """Write one profile page; the file written, or None (unknown or deleted person)."""
    found = profile(session, person_id)
    if found is None:
        return None
    cards = [(card_from_data(s.data), _role_label(roles)) for s, roles in found.articles]
    rel = profile_page(found.person.slug)
    store.write(rel, renderer.person(found.person, cards))
    return rel


def render_profiles(
    db: Database,
    store: PageStore,
    make_renderer: Callable[[Session], Renderer],
    marks: dict[str, DirtyMark],
) -> tuple[list[str], list[str]]:
    """Render the dirty profile pages; (keys done, files written). Read from a snapshot,
    written, then each mark cleared only if nobody marked it again meanwhile."""
    keys = sorted(k for k in marks if k.startswith(PERSON_KEY_PREFIX))
    written: list[str] = []
    for key in keys:
        raw = key.removeprefix(PERSON_KEY_PREFIX)
        if raw.isdigit():
            with db.reading() as session:
                rel = render_profile(session, store, make_renderer(session), int(raw))
            written += [rel] if rel else []
        with db.transaction() as session:
            repository.clear_dirty(session, key, marks[key])
    return keys, written


def profile_keys(session: Session) -> set[str]:
    """A key for every person a live article shows (a full re-render renders them all)."""
    return {person_key(pid) for pid in session.scalars(select(ArticlePersonRow.person_id))}


def _role_label(roles: frozenset[str]) -> str:
    if roles >= {"author", "reviewer"}:
        return "Author and medical reviewer"
    return "Medical reviewer" if "reviewer" in roles else "Author"
