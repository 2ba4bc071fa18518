"""Everything that crosses a service boundary: queue names, task names and payload models.

Task names are constants, never derived from module paths, so moving a file never breaks
routing. Every article payload carries the article ``version``: consumers apply a snapshot
only when it is newer than what they hold, which makes redelivery and reordering harmless.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.media import MediaImage

# --- queues -------------------------------------------------------------------------------
ARTICLES_QUEUE = "articles"
# Render work comes in two kinds with their own queues and worker services, so latency work
# never waits behind throughput work: the page a reader is waiting for (an article that was
# published, updated, moved or withdrawn; a preview) and everything that lists it (home,
# categories, tags, feed, sitemap, other articles' related lists, view-count refreshes,
# full re-renders), which is coalesced and may lag by a second or two.
RENDER_PAGES_QUEUE = "render-pages"
RENDER_LISTINGS_QUEUE = "render-listings"
VIEWS_QUEUE = "views"
# The one render queue of releases before the split: render-pages workers still empty it,
# so events queued there before an upgrade are rendered (drop it a release later).
LEGACY_RENDER_QUEUE = "render"
ALL_QUEUES = (ARTICLES_QUEUE, RENDER_PAGES_QUEUE, RENDER_LISTINGS_QUEUE, VIEWS_QUEUE)

# --- task names -----------------------------------------------------------------------------
# articles consumes
OUTBOX_RELAY_TASK = "healthhub.articles.relay_outbox"
PUBLISH_SCHEDULED_TASK = "healthhub.articles.publish_scheduled"
ARTICLES_VIEW_COUNTS_TASK = "healthhub.articles.view_counts"
# render consumes
RENDER_ARTICLE_CHANGED_TASK = "healthhub.render.article_changed"
RENDER_INDEXES_TASK = "healthhub.render.render_indexes"
RENDER_VIEW_COUNTS_TASK = "healthhub.render.view_counts"
RENDER_REBUILD_TASK = "healthhub.render.rebuild"
RENDER_PREVIEW_TASK = "healthhub.render.preview"
RENDER_PERSON_CHANGED_TASK = "healthhub.render.person_changed"
# views consumes
VIEWS_ARTICLE_CHANGED_TASK = "healthhub.views.article_changed"
VIEWS_FLUSH_TASK = "healthhub.views.flush"

TASK_QUEUES: dict[str, str] = {
    OUTBOX_RELAY_TASK: ARTICLES_QUEUE,
    PUBLISH_SCHEDULED_TASK: ARTICLES_QUEUE,
    ARTICLES_VIEW_COUNTS_TASK: ARTICLES_QUEUE,
    RENDER_ARTICLE_CHANGED_TASK: RENDER_PAGES_QUEUE,
    RENDER_PREVIEW_TASK: RENDER_PAGES_QUEUE,
    RENDER_INDEXES_TASK: RENDER_LISTINGS_QUEUE,
    RENDER_VIEW_COUNTS_TASK: RENDER_LISTINGS_QUEUE,
    RENDER_PERSON_CHANGED_TASK: RENDER_LISTINGS_QUEUE,
    RENDER_REBUILD_TASK: RENDER_LISTINGS_QUEUE,
    VIEWS_ARTICLE_CHANGED_TASK: VIEWS_QUEUE,
    VIEWS_FLUSH_TASK: VIEWS_QUEUE,
}

# Every article event is delivered once to each subscriber: (queue, task name).
ARTICLE_EVENT_SUBSCRIBERS: tuple[tuple[str, str], ...] = (
    (RENDER_PAGES_QUEUE, RENDER_ARTICLE_CHANGED_TASK),
    (VIEWS_QUEUE, VIEWS_ARTICLE_CHANGED_TASK),
)
# A person event (a profile created, renamed, deleted) goes to render only: it re-renders
# the profile page and the article pages that show the person.
PERSON_EVENT_SUBSCRIBERS: tuple[tuple[str, str], ...] = (
    (RENDER_LISTINGS_QUEUE, RENDER_PERSON_CHANGED_TASK),
)
# View totals after a flush (ViewCounts): render shows them on pages; articles keeps them
# as a read model, to rank the articles due for medical review by how much they are read.
VIEW_COUNTS_SUBSCRIBERS: tuple[tuple[str, str], ...] = (
    (RENDER_LISTINGS_QUEUE, RENDER_VIEW_COUNTS_TASK),
    (ARTICLES_QUEUE, ARTICLES_VIEW_COUNTS_TASK),
)

# --- payloads -------------------------------------------------------------------------------
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=120)]

ArticleStatus = Literal[
    "draft", "in_review", "approved", "scheduled", "published", "unpublished", "archived",
    "deleted",
]  # fmt: skip
EventKind = Literal["published", "updated", "unpublished", "deleted"]


class Contract(BaseModel):
    """Base of every payload: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryCrumb(Contract):
    slug: Slug
    name: str
    # Shown on the category's page (empty in messages from older senders).
    description: str = ""


class CategoryRef(Contract):
    slug: Slug
    name: str
    # Ancestors first (root → parent): gives the breadcrumb without another lookup.
    parents: tuple[CategoryCrumb, ...] = ()
    # Shown on the category's page. Empty in messages from older senders.
    description: str = ""
    # Slugs the category had before (a category slug change): their pages redirect here.
    former_slugs: tuple[Slug, ...] = ()


# A reference's optional key: starts with a letter, so it never reads as a position.
REFERENCE_KEY_PATTERN = r"^[a-z][a-z0-9-]{0,59}$"
# A DOI: "10.", the registrant, "/", then printable ASCII without space, quote or angle
# brackets. Spelled as explicit ASCII ranges, not [^\s...]: what \s means differs between
# Python and the ECMAScript regexes of JSON Schema (\x1c-\x1f and \x85 are spaces to one
# only), and the schema must accept exactly what the API does.
DOI_PATTERN = r"^10\.[0-9]{4,9}/[!#-;=?-~]+$"


class Reference(Contract):
    """A structured source. Older senders send only title and url (the rest defaults)."""

    title: str
    url: str
    publisher: str = ""
    accessed: date | None = None
    doi: str | None = None
    key: str | None = None


def citation_label(position: int, key: str | None) -> str:
    """The footnote label a body cites a reference by: ``[^key]``, or ``[^3]`` for the third
    reference when it has no key. One rule for the API (which refuses a marker with no
    reference) and the renderer (which links the marker to the reference list)."""
    return key or str(position)


def citation_labels(references: tuple[Reference, ...] | list[Reference]) -> list[str]:
    return [citation_label(i, r.key) for i, r in enumerate(references, start=1)]


class PersonRef(Contract):
    """An author or reviewer as pages show them. ``version`` grows with every change to the
    person, so a consumer holding two copies (one in an article snapshot, one from a person
    event) shows the newer one."""

    id: int
    version: int = Field(ge=1)
    slug: Slug
    name: str
    credentials: str = ""
    bio: str = ""
    # Retired: an old external photo, rendered until an admin replaces it (like heroes).
    photo_url: str | None = None
    # The photo, from the media library (default None: messages from before it validate).
    photo: MediaImage | None = None


class PersonEvent(Contract):
    """A person was created, changed or deleted (``deleted``: the profile page goes)."""

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime
    person: PersonRef
    former_slugs: tuple[Slug, ...] = ()
    deleted: bool = False


class ArticleSnapshot(Contract):
    """The full state of an article at one version: all a consumer needs, no call-backs."""

    id: int
    version: int = Field(ge=1)
    slug: Slug
    former_slugs: tuple[Slug, ...] = ()
    category: CategoryRef
    title: str
    summary: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    status: ArticleStatus
    hero_image_url: str | None = None
    hero_image_alt: str | None = None
    # Library images (shared/media.py): the hero, and those the body shows (`media:<id>`),
    # with the sizes render needs for srcset, width and height.
    hero_media: MediaImage | None = None
    media: tuple[MediaImage, ...] = ()
    reviewed_by: str | None = None
    last_reviewed: date | None = None
    # The people behind ``authors`` (same order) when they are records, and the reviewer
    # whose approval is in force (then ``reviewed_by``/``last_reviewed`` come from it).
    # Empty/None in messages from older senders.
    author_people: tuple[PersonRef, ...] = ()
    reviewer: PersonRef | None = None
    references: tuple[Reference, ...] = ()
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None

    @property
    def is_live(self) -> bool:
        return self.status == "published"


class ArticleEvent(Contract):
    """One change a reader can see, as written to the outbox and sent to every subscriber."""

    event_id: UUID = Field(default_factory=uuid4)
    kind: EventKind
    occurred_at: datetime
    snapshot: ArticleSnapshot


class ViewCounts(Contract):
    """Totals after a flush, sent by views to render so pages show a recent count."""

    totals: dict[int, int]
    as_of: datetime
    # Views in the last 7 days (today, UTC, and the six days before) by article id, for
    # "most viewed" lists. Sent for the articles in ``totals``, and once a day for every
    # article viewed in the last 9 days (its 7-day figure changes as days drop out).
    # Empty in messages from older senders.
    recent: dict[int, int] = {}


class RebuildBatch(Contract):
    """One slice of a full re-render (`healthhub render --all`), for any render worker."""

    job_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    batch: int = Field(ge=0)
    article_ids: tuple[int, ...] = ()
    index_keys: tuple[str, ...] = ()


# The render worker answers a preview by pushing a PreviewReply onto this list in the broker's
# Redis database, where the articles API waits for it (BLPOP); the key expires unread.
PREVIEW_REPLY_KEY = "hh:preview-reply:{request_id}"


class PreviewRequest(Contract):
    """Render this (unpublished) snapshot with the site's templates; write nothing."""

    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    snapshot: ArticleSnapshot


class PreviewReply(Contract):
    html: str
