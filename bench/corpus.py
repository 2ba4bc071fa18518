"""A synthetic health site with a fixed seed: the same corpus for every benchmark and for Hugo.

Articles look like the sample ones: a summary, six to nine sections of Markdown with lists,
emphasis and links, three tags out of forty, a reviewer, references, spread over the sample
categories (one of them nested).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from services.render import listing_repository, listings
from services.render.models import ListingMember, Snapshot, SnapshotTag
from services.render.renderer import tag_slug
from shared.contracts import ArticleSnapshot, CategoryCrumb, CategoryRef, Reference
from shared.db import Database

SEED = 20261125
HEALTH = CategoryCrumb(slug="health", name="Health")
CATEGORIES = (
    CategoryRef(slug="health", name="Health"),
    CategoryRef(slug="nutrition", name="Nutrition"),
    CategoryRef(slug="mental-health", name="Mental health"),
    CategoryRef(slug="bones-and-joints", name="Bones and joints", parents=(HEALTH,)),
)
TAGS = tuple(
    f"{a} {b}"
    for a in ("sleep", "diet", "heart", "stress", "bones", "skin", "lungs", "gut")
    for b in ("basics", "risks", "care", "myths", "research")
)
WORDS = [
    "bone",
    "density",
    "calcium",
    "vitamin",
    "sleep",
    "stress",
    "heart",
    "blood",
    "pressure",
    "exercise",
    "fibre",
    "water",
    "doctor",
    "symptom",
    "treatment",
    "risk",
    "study",
    "evidence",
    "habit",
    "muscle",
    "joint",
    "pain",
    "mood",
    "energy",
    "diet",
    "immune",
    "system",
    "infection",
    "recovery",
    "screening",
    "test",
    "dose",
    "advice",
    "daily",
    "weekly",
    "gentle",
]
START = datetime(2021, 1, 1, 8, 0, tzinfo=UTC)
# Articles are 137 minutes apart, closer on a bigger corpus so that the last one is still
# published before 2026 (five years): at 100,000 articles, 137 minutes apart would reach
# 2047, and an article published today would land in the middle of every listing instead
# of at its head. Up to 19,000 articles (1,000 and 10,000 included) nothing changes.
SPAN_MINUTES = 5 * 365 * 24 * 60


def spacing_minutes(n: int) -> int:
    return max(1, min(137, SPAN_MINUTES // max(n, 1) - 1))


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    if rng.random() < 0.2:
        words[2] = f"**{words[2]}**"
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> str:
    parts = []
    for s in range(rng.randint(6, 9)):
        parts.append(f"## {' '.join(rng.choices(WORDS, k=3)).capitalize()} {s + 1}")
        parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))))
        if rng.random() < 0.5:
            parts.append("\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(3, 5))))
        if rng.random() < 0.3:
            parts.append(f"### {' '.join(rng.choices(WORDS, k=2)).capitalize()}")
            parts.append(_sentence(rng) + " See [the guidance](https://example.org/guide).")
    return "\n\n".join(parts) + "\n"


def make_corpus(n: int, *, seed: int = SEED, first_id: int = 1) -> list[ArticleSnapshot]:
    rng = random.Random(seed)
    step = spacing_minutes(n)
    corpus = []
    for i in range(n):
        aid = first_id + i
        published = START + timedelta(minutes=step * i + rng.randint(0, min(100, step - 1)))
        title = f"{' '.join(rng.choices(WORDS, k=4)).capitalize()} ({aid})"
        corpus.append(
            ArticleSnapshot(
                id=aid,
                version=1,
                slug=f"article-{aid}",
                category=rng.choice(CATEGORIES),
                title=title,
                summary=_sentence(rng),
                body=_body(rng),
                tags=tuple(rng.sample(TAGS, 3)),
                authors=("Helena Marsh",),
                status="published",
                reviewed_by="Dr. Amara Lindqvist, MD",
                last_reviewed=date(2025, 1, 1) + timedelta(days=rng.randint(0, 300)),
                references=(Reference(title="NHS guidance", url="https://www.nhs.uk/"),),
                created_at=published,
                updated_at=published + timedelta(days=rng.randint(0, 30)),
                published_at=published,
            )
        )
    return corpus


def load_read_model(session: Session, corpus: Iterable[ArticleSnapshot], now: datetime) -> int:
    """Bulk-insert snapshots as the render service would hold them (no pages written): the
    snapshots, their tags and their listing membership, as applying each one would store."""
    snapshots: list[dict[str, object]] = []
    tags: list[dict[str, object]] = []
    members: list[dict[str, object]] = []
    names: dict[str, tuple[str, bool]] = {}
    for snap in corpus:
        trail = [c.slug for c in snap.category.parents] + [snap.category.slug]
        snapshots.append(
            {
                "article_id": snap.id,
                "version": snap.version,
                "status": snap.status,
                "slug": snap.slug,
                "category_slug": snap.category.slug,
                "category_trail": "/" + "".join(f"{s}/" for s in trail),
                "published_at": snap.published_at,
                "updated_at": snap.updated_at,
                "data": snap.model_dump(mode="json"),
                "applied_at": now,
            }
        )
        tags += [{"article_id": snap.id, "tag_slug": tag_slug(t), "tag_name": t} for t in snap.tags]
        position = listings.position_of(snap)
        root = listings.root_listing(snap)
        for listing, name in listings.listings_of(snap).items():
            members.append({"listing": listing, "sort_at": position.sort_at, "article_id": snap.id})
            if listing != listings.ALL:
                names[listing] = (name, listing == root or names.get(listing, ("", False))[1])
    for start in range(0, len(snapshots), 2000):
        session.execute(insert(Snapshot), snapshots[start : start + 2000])
    for start in range(0, len(tags), 5000):
        session.execute(insert(SnapshotTag), tags[start : start + 5000])
    for start in range(0, len(members), 5000):
        session.execute(insert(ListingMember), members[start : start + 5000])
    listing_repository.remember_names(
        session,
        {k: n for k, (n, _) in names.items()},
        {k for k, (_, root) in names.items() if root},
    )
    return len(snapshots)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load_site(db: Database, articles: int, *, first_id: int, analyze: bool = True) -> None:
    """Make the whole corpus in memory (freed afterwards), then load it into the read model
    in transactions of 20,000 articles. On PostgreSQL, ``analyze`` gives the planner
    statistics for it, as autovacuum would soon after a real bulk import: this machine's
    server runs with autovacuum off, and without statistics a publish's related list read
    the whole tag table (a sequential scan, found by bench.publish_sql), a cost that grows
    with the site and that no production server with autovacuum on would show."""
    corpus = make_corpus(articles, first_id=first_id)
    for start in range(0, len(corpus), 20_000):
        with db.transaction() as session:
            load_read_model(session, corpus[start : start + 20_000], datetime.now(UTC))
    del corpus
    if analyze and db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
