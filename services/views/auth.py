"""Editors' access to the views API: a bearer token whose SHA-256 digest is configured.

The views service keeps no token table of its own and may not read the articles database.
An operator lists the digests of the tokens that may read analytics and withdrawn articles'
counts in HEALTHHUB_EDITOR_TOKEN_HASHES; an articles editor token works here when its
digest is listed (`printf %s "$TOKEN" | sha256sum`). Removing a digest revokes it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from shared.problems import Problem


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_editor(request: Request) -> bool:
    """True when the request carries a listed editor token (absent or unknown: False)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    digest = token_digest(token.strip())
    allowed: list[str] = request.app.state.settings.editor_token_hashes
    # Every digest is compared, so the time taken does not tell which one came close.
    return sum(hmac.compare_digest(digest, h) for h in allowed) > 0


def require_editor(request: Request) -> None:
    if not is_editor(request):
        raise Problem(
            401,
            "An editor token is needed: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )


Editor = Annotated[None, Depends(require_editor)]
