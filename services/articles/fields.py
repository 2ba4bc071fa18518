"""Field types of the articles API's models: text that XML and PostgreSQL can carry, the
date and date-time shapes the OpenAPI document promises, slugs. Used by schemas.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

from shared.contracts import DOI_PATTERN, REFERENCE_KEY_PATTERN, SLUG_PATTERN

# The largest id of any table: id columns are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1

# Characters XML 1.0 cannot carry (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE/U+FFFF). One of them in a title would make the Atom feed invalid XML
# for every reader; NUL also cannot be stored in PostgreSQL text. Refused everywhere, so
# both backends agree and the answer is a 422, not a 500 or a broken feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _no_nul(value: str) -> str:
    found = _NOT_XML.search(value)
    if found is not None:
        name = "NUL" if found.group() == "\x00" else f"U+{ord(found.group()):04X}"
        raise ValueError(f"must not contain control characters ({name})")
    return value


# RFC 3339 date-time, what `format: date-time` promises. pydantic alone also takes numbers
# (0.5 is read as a Unix time) and other ISO 8601 shapes; the schema says date-time, so
# anything else is refused before pydantic parses it.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-02-01T00:00:00Z")
    return value


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD for a date, as `format: date` says (pydantic would read 0 as 1970-01-01)."""
    if isinstance(value, date) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII)
    ):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of dates that can be stored") from None


# The same rules as the OpenAPI document states them (ECMA-262 patterns), so a client, or
# schemathesis, knows before sending that a control character or a blank title is refused.
_CONTROL = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff"
_PRINTABLE = f"^[^{_CONTROL}]*$"
_NOT_BLANK = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
NoNul = AfterValidator(_no_nul)
Printable = Field(json_schema_extra={"pattern": _PRINTABLE})
NotBlank = Field(json_schema_extra={"pattern": _NOT_BLANK})
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NotBlank
]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul, Printable]
SlugIn = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=120)]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), NoNul, NotBlank
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NotBlank
]
Markdown = Annotated[str, NoNul, Printable]


def _json_integer(value: object) -> object:
    """A JSON number only: pydantic alone reads true as 1 and "5" as 5, which the schema
    (type: integer) does not allow, so a client sending them is told, not guessed at (2.0
    is an integer to JSON Schema, and stays accepted)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON integer")
    return value


# Request-body integers and flags, as the JSON types the OpenAPI document states. The bounds
# sit inside the type, before the validator: given to Field() beside a validator, pydantic
# would write them into the schema as its own "ge"/"le" (not "minimum"/"maximum"), which
# clients and schemathesis do not read.
_JsonNumber = BeforeValidator(_json_integer)
Version = Annotated[int, Field(ge=1), _JsonNumber]
MediaId = Annotated[int, Field(ge=1, le=MAX_ID), _JsonNumber]
ReviewMonths = Annotated[int, Field(ge=1, le=120), _JsonNumber]
JsonBool = Annotated[bool, Field(strict=True)]
UtcTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]
Day = Annotated[date, BeforeValidator(_iso_day)]


# Editors in time zones ahead of UTC may already be on the next day.
ACCESSED_LEEWAY = timedelta(days=1)


def _not_future(value: date) -> date:
    if value > datetime.now(UTC).date() + ACCESSED_LEEWAY:
        raise ValueError("the date accessed must not be in the future")
    return value


_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)


def _bare_doi(value: object) -> object:
    """A DOI as its bare name (10.x/y): editors paste doi:10.x/y or https://doi.org/10.x/y."""
    return _DOI_PREFIXES.sub("", value.strip()) if isinstance(value, str) else value


Accessed = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_not_future)]
# The pattern is stated again for the schema: pydantic leaves it out after a BeforeValidator.
Doi = Annotated[
    str,
    BeforeValidator(_bare_doi),
    StringConstraints(pattern=DOI_PATTERN, max_length=200),
    Field(json_schema_extra={"pattern": DOI_PATTERN}),
]
ReferenceKey = Annotated[str, StringConstraints(pattern=REFERENCE_KEY_PATTERN)]
