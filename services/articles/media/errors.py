"""Precise errors of the media library; services/articles/app.py maps each to problem+json."""

from __future__ import annotations

from collections.abc import Sequence

from services.articles.errors import ArticlesError

ACCEPTED = "JPEG, PNG, WebP or GIF"


class MediaNotFound(ArticlesError):
    """An image addressed by URL does not exist (404)."""

    def __init__(self, media_id: int) -> None:
        super().__init__(f"No media {media_id}.")


class UnknownMedia(ArticlesError):
    """An article names images the library does not have (422: the request is wrong)."""

    def __init__(self, media_ids: list[int]) -> None:
        listed = ", ".join(str(i) for i in media_ids)
        super().__init__(
            f"No media {listed} in the library; upload the image first (POST /api/v1/media)."
        )


class NotAnImage(ArticlesError):
    def __init__(self) -> None:
        super().__init__(
            f"The file is not an image we can read ({ACCEPTED}); it was checked by decoding "
            "it, not by its name or content type."
        )


class ImageTooLarge(ArticlesError):
    """Too many pixels: what a decompression bomb looks like (a small file, a huge image)."""

    def __init__(self, limit: int, width: int | None = None, height: int | None = None) -> None:
        size = f"{width} x {height} pixels" if width and height else "too many pixels"
        super().__init__(
            f"The image is {size}; the limit is {limit:,} pixels in all and 16,383 pixels "
            "on a side. Scale it down before uploading."
        )


class FileTooLarge(ArticlesError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The file is larger than {limit} bytes, the limit for an image.")


class MediaInUse(ArticlesError):
    def __init__(self, media_id: int, article_ids: list[int], people: Sequence[str] = ()) -> None:
        uses = []
        if article_ids:
            listed = ", ".join(str(i) for i in article_ids)
            uses.append(f"article {listed} (as hero or in the body)")
        if people:
            uses.append(f"person {', '.join(people)} (as their photo)")
        super().__init__(
            f"Media {media_id} is used by {' and '.join(uses)}; remove it there first."
        )
        self.article_ids = article_ids
        self.people = list(people)
