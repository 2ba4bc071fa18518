"""The rules of the media library, as plain functions: no FastAPI, no commit().

Files before rows: an upload writes its files, then adds its row; a transaction that rolls
back leaves files no row names, which are harmless (nobody links to them) and are written
again, byte for byte, if the picture is uploaded again. Deleting goes the other way: the row
goes in the transaction, the files after the commit (``remove_files_if_unused``), and only if
no row names that content by then.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from services.articles.media import images, repository
from services.articles.media.errors import (
    FileTooLarge,
    MediaInUse,
    MediaNotFound,
    UnknownMedia,
)
from services.articles.media.files import MediaFiles
from services.articles.media.models import Media
from services.articles.models import Article
from shared.db import Database
from shared.media import MediaImage, media_ids_in, original_name, rendition_name

CHUNK_BYTES = 64 * 1024


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """The whole upload, read in bounded chunks: FileTooLarge as soon as it passes ``limit``
    (the request body limit in front of the app already stops a far larger one)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def upload(
    session: Session,
    *,
    files: MediaFiles,
    data: bytes,
    alt: str,
    actor: str,
    now: datetime,
    max_pixels: int,
) -> tuple[Media, bool]:
    """Store an image; returns it and whether it is new. The same picture again (the same
    cleaned bytes) is the image already stored, alt text unchanged."""
    cleaned, sizes = images.process(data, max_pixels=max_pixels)
    existing = repository.get_by_sha(session, cleaned.sha256)
    # Write the files even for a known image: a delete racing with this upload may have
    # removed them after its commit.
    for rendition in sizes:
        files.write(rendition_name(cleaned.sha256, rendition.width, rendition.ext), rendition.data)
    files.write(original_name(cleaned.sha256, cleaned.ext), cleaned.data)
    if existing is not None:
        return existing, False
    media = Media(
        sha256=cleaned.sha256,
        original_ext=cleaned.ext,
        width=cleaned.width,
        height=cleaned.height,
        size_bytes=len(cleaned.data),
        widths=sorted({r.width for r in sizes}),
        alt=alt,
        created_by=actor,
        created_at=now,
    )
    session.add(media)
    session.flush()
    return media, True


def get(session: Session, *, media_id: int) -> Media:
    media = repository.get(session, media_id)
    if media is None:
        raise MediaNotFound(media_id)
    return media


def list_page(session: Session, *, page: int, per_page: int) -> tuple[list[Media], int]:
    return repository.page(session, offset=(page - 1) * per_page, limit=per_page)


def delete(session: Session, *, media_id: int) -> str:
    """Delete an image no article and no person shows; returns its sha256, whose files go
    after commit."""
    media = get(session, media_id=media_id)
    users = repository.users_of(session, media_id)
    people = repository.people_using(session, media_id)
    if users or people:
        raise MediaInUse(media_id, users, people)
    repository.detach(session, media_id)
    session.delete(media)
    session.flush()
    return media.sha256


def remove_files_if_unused(db: Database, files: MediaFiles, sha256: str) -> int:
    """After a delete's commit: remove the files unless the picture was uploaded again."""
    with db.transaction() as session:
        if repository.get_by_sha(session, sha256) is not None:
            return 0
    return files.remove_all(sha256)


# --- articles and their images ------------------------------------------------------------


def check_article_media(session: Session, *, hero_media_id: int | None, body: str) -> None:
    """Every image an article names must be in the library (UnknownMedia otherwise)."""
    wanted = media_ids_in(body)
    if hero_media_id is not None:
        wanted.append(hero_media_id)
    found = repository.by_ids(session, wanted)
    missing = sorted({m for m in wanted if m not in found})
    if missing:
        raise UnknownMedia(missing)


def sync_article_media(session: Session, article: Article) -> None:
    """Record which images the article shows (hero and body), for the in-use check."""
    ids = media_ids_in(article.body)
    if article.hero_media_id is not None:
        ids.append(article.hero_media_id)
    repository.set_article_media(session, article.id, ids)


def image_of(media: Media, alt: str | None = None) -> MediaImage:
    return MediaImage(
        id=media.id,
        sha256=media.sha256,
        width=media.width,
        height=media.height,
        alt=alt or media.alt,
        original_ext=media.original_ext,
        widths=tuple(media.widths),
    )


def article_images(
    session: Session, article: Article
) -> tuple[MediaImage | None, tuple[MediaImage, ...]]:
    """What a snapshot carries: the hero (with the article's alt text, if it has one) and
    the body's images, in order. An image deleted since is left out (render drops it)."""
    body_ids = media_ids_in(article.body)
    ids = [*body_ids, *([article.hero_media_id] if article.hero_media_id else [])]
    found = repository.by_ids(session, ids)
    hero_row = found.get(article.hero_media_id) if article.hero_media_id else None
    hero = image_of(hero_row, article.hero_image_alt) if hero_row is not None else None
    return hero, tuple(image_of(found[i]) for i in body_ids if i in found)
