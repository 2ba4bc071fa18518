"""The editor's article actions as plain functions: reading form input, and saying in words
what readers will see before an editor confirms.

The rules themselves stay in service.py and review.py: the POST routes call the same
functions as the API, with a request built by the API's own schema (PublishRequest), and a
refusal by a rule propagates as the domain error, which the app maps to its status (the
session rolls back; error_pages.HtmlErrors turns the answer into a page). What is here only
reads input and describes; which actions the article page offers is a hint, never a rule.

Times: a schedule is typed in a ``datetime-local`` input, in the time zone the browser
reports (a hidden field, filled by static/timezone.js; UTC without JavaScript). It is read
in that zone and stored in UTC. A wall time the zone skips (clocks going forward) is
refused; one it passes twice (clocks going back) is its first occurrence, and the
confirmation page says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from services.articles.editor.ids import parse_id
from services.articles.schemas import PublishRequest

_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?", re.ASCII)
_ZONE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", re.ASCII)
MAX_ZONE_LENGTH = 64


class FormRefused(Exception):
    """Input the editor cannot act on (a 4xx page saying why)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title


def parse_version(raw: str) -> int:
    """The version the confirmation page showed; the service refuses a stale one (409)."""
    version = parse_id(raw.strip())
    if version is None:
        raise FormRefused(
            422, "Missing version", "The form did not say which version you confirmed; "
            "go back to the article, reload it and try again.",
        )  # fmt: skip
    return version


def publish_request(
    *, version: int, at: datetime | None = None, override_reason: str = ""
) -> PublishRequest:
    """The request the API would receive, validated by its own schema (the override reason's
    length and characters, the time's range)."""
    data: dict[str, object] = {"version": version}
    if at is not None:
        data["at"] = at.isoformat()
    if override_reason.strip():
        data["override_reason"] = override_reason
    try:
        return PublishRequest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))} {e['msg']}" for e in exc.errors())
        raise FormRefused(422, "Not a valid request", f"The form was refused: {problems}.") from exc


def zone_of(raw: str) -> ZoneInfo:
    """The IANA time zone a browser reported; blank means UTC (no JavaScript)."""
    name = raw.strip() or "UTC"
    # "right/..." zones count leap seconds: their clocks are 27 s off every other's.
    if len(name) > MAX_ZONE_LENGTH or _ZONE.fullmatch(name) is None or name.startswith("right/"):
        raise FormRefused(422, "Unknown time zone", "The time zone sent is not a known one.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise FormRefused(
            422, "Unknown time zone", f"{name!r} is not a time zone this server knows."
        ) from None


@dataclass(frozen=True)
class LocalTime:
    """A schedule: the wall time as typed, its zone, and the instant in UTC."""

    local: datetime
    zone: str
    utc: datetime
    repeated: bool  # the wall time happens twice in the zone (the first one is meant)

    @property
    def local_text(self) -> str:
        offset = self.local.strftime("%z")
        return f"{self.local:%Y-%m-%d %H:%M} ({self.zone}, UTC{offset[:3]}:{offset[3:]})"

    @property
    def utc_text(self) -> str:
        return f"{self.utc:%Y-%m-%d %H:%M} UTC"


def parse_local_time(raw: str, zone_name: str) -> LocalTime:
    """A ``datetime-local`` value read in ``zone_name``, with its UTC instant."""
    zone = zone_of(zone_name)
    text = raw.strip()
    refused = FormRefused(
        422, "Not a valid time", "Give the date and time to publish at, e.g. 2027-03-28 09:00."
    )
    if _LOCAL_TIME.fullmatch(text) is None:
        raise refused
    try:
        wall = datetime.fromisoformat(text)
        first = wall.replace(tzinfo=zone, fold=0)
        second = wall.replace(tzinfo=zone, fold=1)
        utc = first.astimezone(UTC)
        back = utc.astimezone(zone)
    except (ValueError, OverflowError):
        raise refused from None
    if back.replace(tzinfo=None) != wall:
        raise FormRefused(
            422, "That time does not exist", f"{wall:%Y-%m-%d %H:%M} does not exist in "
            f"{zone.key}: the clocks go forward over it. Pick another time.",
        )  # fmt: skip
    repeated = first.utcoffset() != second.utcoffset()
    return LocalTime(local=back, zone=zone.key, utc=utc, repeated=repeated)
