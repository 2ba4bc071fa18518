"""Request and response models of the API-token endpoints (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.articles.fields import Name, SlugIn
from services.articles.schemas import JsonDict, Strict


class TokenCreate(Strict):
    name: Name
    role: Literal["editor", "reviewer", "admin"] = "editor"
    person: SlugIn | None = Field(
        default=None, description="The person a reviewer token reviews as (a people slug)."
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Newsroom CMS", "role": "editor"}]}
    )


TOKEN_EXAMPLE: JsonDict = {
    "id": 3,
    "name": "Newsroom CMS",
    "role": "editor",
    "prefix": "hh_Zq3x9Ab",
    "created_at": "2026-02-17T09:00:00Z",
    "revoked_at": None,
}


class TokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TOKEN_EXAMPLE]})

    id: int
    name: str
    role: str
    person: str | None = Field(default=None, description="The person it acts as, if any.")
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**TOKEN_EXAMPLE, "token": "hh_Zq3x9Ab…(43 characters)"}]}
    )

    token: str = Field(description="The secret. Shown once; only its hash is stored.")
