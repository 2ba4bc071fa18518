"""HTTP caching of the public content API: ETags, If-None-Match and Cache-Control."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

# Readers' browsers and shared caches may keep an answer a minute, then revalidate with
# If-None-Match, which costs one small 304 when nothing changed.
PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"


def version_etag(version: int) -> str:
    return f'"{version}"'


def content_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(request: Request, etag: str) -> bool:
    """Does the request's If-None-Match name this ETag (weak comparison, as RFC 9110 says)?"""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def public_json(request: Request, model: BaseModel, etag: str | None = None) -> Response:
    """The model as JSON with validators; 304 without a body when the reader's copy is current."""
    body = model.model_dump_json().encode()
    etag = etag or content_etag(body)
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
