"""API tokens over HTTP (admin): the same operations as `healthhub token`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.articles import presenters, repository, tokens
from services.articles.deps import Admin, ClockDep, SessionDep
from services.articles.errors import TokenNotFound
from services.articles.openapi import EDITOR, problems
from services.articles.token_schemas import TokenCreate, TokenCreated, TokenOut

token_router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@token_router.get(
    "", response_model=list[TokenOut], summary="List tokens", responses=problems(*EDITOR)
)
def list_tokens(session: SessionDep, _: Admin) -> list[TokenOut]:
    """Never the secrets: only their first characters."""
    return [presenters.token_out(t, session) for t in repository.list_tokens(session)]


@token_router.post(
    "",
    status_code=201,
    response_model=TokenCreated,
    summary="Create a token",
    responses=problems(*EDITOR),
)
def create_token(data: TokenCreate, session: SessionDep, _: Admin, clock: ClockDep) -> TokenCreated:
    """The secret is in this answer and nowhere else: only its SHA-256 is stored."""
    row, secret = tokens.create_from(session, data=data, now=clock())
    return TokenCreated(**presenters.token_out(row, session).model_dump(), token=secret)


@token_router.delete(
    "/{token_id}", status_code=204, summary="Revoke a token", responses=problems(*EDITOR, 404)
)
def revoke_token(token_id: TokenId, session: SessionDep, _: Admin, clock: ClockDep) -> Response:
    """Requests with it get 401 from now on."""
    if not tokens.revoke(session, token_id=token_id, now=clock()):
        raise TokenNotFound(token_id)
    return Response(status_code=204)
