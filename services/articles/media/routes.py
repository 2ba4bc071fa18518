"""The thin HTTP layer of the media library: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)

from services.articles.deps import ClockDep, Editor, SessionDep, SettingsDep
from services.articles.media import presenters, service
from services.articles.media.files import MediaFiles
from services.articles.media.schemas import AltText, MediaOut, MediaPage, MediaQuery
from services.articles.openapi import EDITOR, problems
from shared.problems import PROBLEM_JSON

media_router = APIRouter(prefix="/api/v1/media", tags=["media"])

MediaId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The image's numeric id.")]

_NOT_AN_IMAGE: dict[int | str, dict[str, Any]] = {
    415: {
        "description": "The file is not an image Pillow can decode (JPEG, PNG, WebP, GIF).",
        "content": {
            PROBLEM_JSON: {
                "example": {
                    "type": "about:blank",
                    "title": "Unsupported media type",
                    "status": 415,
                    "detail": "The file is not an image we can read (JPEG, PNG, WebP or GIF).",
                    "instance": "/api/v1/media",
                }
            }
        },
    }
}


def files_of(request: Request) -> MediaFiles:
    return MediaFiles(request.app.state.settings.media_root)


@media_router.post(
    "",
    status_code=201,
    response_model=MediaOut,
    summary="Upload an image",
    responses={
        200: {"description": "The same picture is already in the library: that image."},
        **problems(*EDITOR, 413),
        **_NOT_AN_IMAGE,
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "example": {"file": "(the image file)", "alt": "A model of a hip joint"}
                }
            }
        }
    },
)
def upload_media(
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP or GIF.")],
    alt: Annotated[
        AltText, Form(description="What the image shows, for readers who cannot see it.")
    ],
    request: Request,
    response: Response,
    session: SessionDep,
    token: Editor,
    settings: SettingsDep,
    clock: ClockDep,
) -> MediaOut:
    """Upload an image with its alt text. It is checked by decoding it (not by its name),
    cleaned of all metadata (EXIF location included), stored under the SHA-256 of the
    cleaned original, and resized to the widths pages ask for, as WebP and JPEG."""
    data = service.read_limited(file.file, settings.media_max_bytes)
    media, created = service.upload(
        session,
        files=files_of(request),
        data=data,
        alt=alt,
        actor=token.name,
        now=clock(),
        max_pixels=settings.media_max_pixels,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/media/{media.id}"
    return presenters.media_out(media)


@media_router.get(
    "",
    response_model=MediaPage,
    summary="List the library",
    responses=problems(*EDITOR),
)
def list_media(query: Annotated[MediaQuery, Query()], session: SessionDep, _: Editor) -> MediaPage:
    """Every image, newest first, paginated."""
    rows, total = service.list_page(session, page=query.page, per_page=query.per_page)
    return MediaPage(
        items=[presenters.media_out(m) for m in rows],
        total=total,
        page=query.page,
        per_page=query.per_page,
        pages=-(-total // query.per_page),
    )


@media_router.get(
    "/{media_id}",
    response_model=MediaOut,
    summary="Read an image's record",
    responses=problems(*EDITOR, 404),
)
def read_media(media_id: MediaId, session: SessionDep, _: Editor) -> MediaOut:
    """The image's record: its size, alt text, the paths of its files and its Markdown."""
    return presenters.media_out(service.get(session, media_id=media_id))


@media_router.delete(
    "/{media_id}",
    status_code=204,
    summary="Delete an image no article uses",
    responses=problems(*EDITOR, 404, 409),
)
def delete_media(
    media_id: MediaId,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    _: Editor,
) -> Response:
    """Delete an image and its files. Refused (409) while an article shows it, as hero or in
    its body: remove it there first."""
    sha256 = service.delete(session, media_id=media_id)
    # Background tasks run after the answer, so after the commit: the files go only once the
    # row is gone for good (and stay if the same picture was uploaded again meanwhile).
    background.add_task(
        service.remove_files_if_unused, request.app.state.db, files_of(request), sha256
    )
    return Response(status_code=204, background=background)
