"""Structured references of an article, as the API takes and gives them (schemas.py uses them)."""

from __future__ import annotations

from datetime import date

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from services.articles.fields import Accessed, Doi, Name, ReferenceKey


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferenceIn(Strict):
    """A structured source; the body cites it as ``[^key]`` (or ``[^n]``, its position)."""

    title: Name
    publisher: Name = Field(examples=["National Health Service"])
    url: AnyHttpUrl = Field(description="http or https only.")
    accessed: Accessed = Field(description="When the source was read; not in the future.")
    doi: Doi | None = Field(default=None, examples=["10.1000/xyz123"])
    key: ReferenceKey | None = Field(
        default=None,
        description="Cite it as [^key] in the body; without a key, as [^n] (n: its position).",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Osteoporosis",
                    "publisher": "National Health Service",
                    "url": "https://www.nhs.uk/conditions/osteoporosis/",
                    "accessed": "2026-02-17",
                    "key": "nhs-osteoporosis",
                }
            ]
        },
    )


def unique_keys(references: list[ReferenceIn] | None) -> list[ReferenceIn] | None:
    keys = [r.key for r in references or [] if r.key is not None]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"reference keys must be unique; repeated: {', '.join(duplicates)}")
    return references


class ReferenceOut(BaseModel):
    title: str
    url: str
    # Defaults: a reference stored before references were structured (see migration 0005).
    publisher: str = ""
    accessed: date | None = None
    doi: str | None = None
    key: str | None = None
