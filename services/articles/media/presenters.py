"""Media records as the API shows them (separate from the tables and the routes)."""

from __future__ import annotations

from services.articles.media import service
from services.articles.media.models import Media
from services.articles.media.schemas import MediaOut, RenditionOut
from shared.media import original_name


def media_out(media: Media) -> MediaOut:
    image = service.image_of(media)
    return MediaOut(
        id=media.id,
        sha256=media.sha256,
        width=media.width,
        height=media.height,
        alt=media.alt,
        size_bytes=media.size_bytes,
        original_url=f"/media/{original_name(media.sha256, media.original_ext)}",
        renditions=[
            RenditionOut(
                width=w,
                height=image.height_at(w),
                webp=image.url(w, "webp"),
                jpeg=image.url(w, "jpg"),
            )
            for w in image.widths
        ],
        markdown=f"![{media.alt}](media:{media.id})",
        created_by=media.created_by,
        created_at=media.created_at,
    )
