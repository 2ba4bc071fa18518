"""Sample content: a small health site, loaded through each service's own functions.

Articles are created and published by the articles service (so their events flow through
the outbox like any publish); their historic view counts are imported by the views service
once it has learned the articles from those events.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services import sample_images
from services.articles import outbox, people, repository, service, workflow
from services.articles import people_repository as people_repo
from services.articles.categories import create_category
from services.articles.media import service as media_service
from services.articles.media.files import MediaFiles
from services.articles.people_schemas import PersonCreate
from services.articles.schemas import ArticleCreate
from services.articles.settings import get_settings as articles_settings
from services.articles.worker import create_celery as articles_celery
from services.views import repository as views_repository
from services.views.commands import import_totals
from services.views.settings import get_settings as views_settings
from shared.db import Database

SAMPLE_DIR = Path(__file__).parent / "articles" / "sample"


@dataclass(frozen=True)
class SampleArticle:
    front: dict[str, Any]
    body: str

    @property
    def slug(self) -> str:
        return str(self.front["slug"])


def read_people(directory: Path = SAMPLE_DIR) -> list[dict[str, Any]]:
    people_file = directory / "people.toml"
    if not people_file.exists():
        return []
    found: list[dict[str, Any]] = tomllib.loads(people_file.read_text())["person"]
    return found


def read_sample(directory: Path = SAMPLE_DIR) -> tuple[list[dict[str, Any]], list[SampleArticle]]:
    categories = tomllib.loads((directory / "categories.toml").read_text())["category"]
    articles = []
    for path in sorted((directory / "articles").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("+++", 2)
        articles.append(SampleArticle(front=tomllib.loads(front), body=body.strip() + "\n"))
    return categories, articles


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, 9, tzinfo=UTC)


@dataclass(frozen=True)
class SampleMedia:
    """Which drawn image each article shows (sample/media.toml): ids are known only once the
    images are uploaded, so the plan names them."""

    alts: dict[str, str]
    heroes: dict[str, str]  # article slug -> image name
    inline: dict[str, list[tuple[str, str]]]  # article slug -> [(image name, after heading)]


def read_sample_media(directory: Path = SAMPLE_DIR) -> SampleMedia:
    path = directory / "media.toml"
    if not path.exists():
        return SampleMedia({}, {}, {})
    plan = tomllib.loads(path.read_text())
    inline: dict[str, list[tuple[str, str]]] = {}
    for item in plan.get("inline", []):
        inline.setdefault(item["article"], []).append((item["image"], item["after_heading"]))
    return SampleMedia(
        alts={i["name"]: i["alt"] for i in plan.get("image", [])},
        heroes={h["article"]: h["image"] for h in plan.get("hero", [])},
        inline=inline,
    )


def _upload_sample_images(
    session: Session, plan: SampleMedia, files: MediaFiles, now: datetime, max_pixels: int
) -> dict[str, int]:
    ids = {}
    for name, alt in plan.alts.items():
        media, _ = media_service.upload(
            session,
            files=files,
            data=sample_images.draw(name),
            alt=alt,
            actor="sample",
            now=now,
            max_pixels=max_pixels,
        )
        ids[name] = media.id
    return ids


def _with_images(body: str, placements: list[tuple[str, str]], ids: dict[str, int]) -> str:
    """The body with each image after the first paragraph under its heading."""
    for name, heading in placements:
        head, found, rest = body.partition(heading + "\n")
        if not found:
            continue
        paragraph, gap, tail = rest.lstrip("\n").partition("\n\n")
        body = f"{head}{heading}\n\n{paragraph}\n\n![](media:{ids[name]}){gap}{tail}"
    return body


def load_articles(db: Database, directory: Path = SAMPLE_DIR) -> list[SampleArticle]:
    """Create and publish the sample articles that do not exist yet; returns those created."""
    categories, articles = read_sample(directory)
    created: list[SampleArticle] = []
    pending: list[int] = []
    settings = articles_settings()
    plan = read_sample_media(directory)
    with db.transaction() as session:
        images = _upload_sample_images(
            session,
            plan,
            MediaFiles(settings.media_root),
            datetime.now(UTC),
            settings.media_max_pixels,
        )
        # Parents first, so a child can name its parent.
        for cat in sorted(categories, key=lambda c: c.get("parent") is not None):
            if repository.get_category_by_slug(session, cat["slug"]) is None:
                create_category(
                    session,
                    slug=cat["slug"],
                    name=cat["name"],
                    description=cat.get("description", ""),
                    parent=cat.get("parent"),
                    now=datetime.now(UTC),
                    requires_review=bool(cat.get("requires_review", False)),
                    review_interval_months=int(cat.get("review_interval_months", 12)),
                )
        for person in read_people(directory):
            if people_repo.get_person_by_slug(session, person["slug"]) is None:
                people.create(session, data=PersonCreate(**person), now=datetime.now(UTC))
        for sample in articles:
            if repository.slug_in_use(session, sample.slug):
                continue
            _load_article(
                session,
                sample,
                settings.max_body_bytes,
                body=_with_images(sample.body, plan.inline.get(sample.slug, []), images),
                hero_media_id=images.get(plan.heroes.get(sample.slug, "")),
            )
            created.append(sample)
        pending = outbox.take_pending(session)
    outbox.dispatch(db, articles_celery(settings), pending, now=datetime.now(UTC))
    return created


def _load_article(
    session: Session,
    sample: SampleArticle,
    max_body_bytes: int,
    *,
    body: str,
    hero_media_id: int | None,
) -> None:
    """Create a sample article as the workflow would have: written, submitted, approved by
    its reviewer on its ``last_reviewed`` date, then published."""
    fm = sample.front
    published = _as_utc(fm["published_at"])
    reviewed = _as_utc(fm["last_reviewed"]) if fm.get("reviewer") else None
    written = reviewed - timedelta(days=3) if reviewed else published
    data = ArticleCreate(
        title=fm["title"],
        slug=fm["slug"],
        category=fm["category"],
        summary=fm.get("summary", ""),
        body=body,
        hero_media_id=hero_media_id,
        tags=list(fm.get("tags", [])),
        author_slugs=list(fm.get("authors", [])),
        references=fm.get("references", []),
    )
    article = service.create(
        session, data=data, actor="sample", now=written, max_body_bytes=max_body_bytes
    )
    if reviewed is not None:
        workflow.submit(
            session, article_id=article.id, expected_version=None, actor="sample", now=written
        )
        workflow.record_review(
            session,
            article_id=article.id,
            expected_version=None,
            outcome="approved",
            note="",
            person=people.get_by_slug(session, fm["reviewer"]),
            actor="sample",
            now=reviewed,
        )
    service.publish(
        session, article_id=article.id, expected_version=None, actor="sample", now=published
    )


def wait_until_views_know(slugs: list[str], timeout: float = 60.0) -> bool:
    """Wait until the views service has learned these articles from their events."""
    db = Database(views_settings().views_database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.transaction() as session:
                if all(views_repository.known_by_slug(session, s) for s in slugs):
                    return True
            time.sleep(0.2)
        return False
    finally:
        db.dispose()


def seed(timeout: float = 60.0) -> tuple[int, int]:
    """Load the sample site; returns (articles created, view totals imported)."""
    db = Database(articles_settings().articles_database_url)
    try:
        created = load_articles(db)
    finally:
        db.dispose()
    counts = [(a.slug, int(a.front["views"])) for a in created if a.front.get("views")]
    if not counts:
        return len(created), 0
    if not wait_until_views_know([slug for slug, _ in counts], timeout):
        raise TimeoutError(
            "The views service did not learn the sample articles in time; are the workers "
            "running (`healthhub up`)? Import the counts later with `healthhub views import`."
        )
    return len(created), len(import_totals(counts))
