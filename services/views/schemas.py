"""Response models of the views API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class CountsOut(BaseModel):
    article_id: int
    total: int = Field(description="Every counted view, imported history included.")
    today: int
    last_7_days: int
    last_30_days: int

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "article_id": 1,
                    "total": 4617,
                    "today": 12,
                    "last_7_days": 80,
                    "last_30_days": 310,
                }
            ]
        }
    }


class BeaconOut(BaseModel):
    status: str = Field(description="counted, duplicate or capped (answered, not counted)")


class DayCount(BaseModel):
    day: date
    views: int


class DailyOut(BaseModel):
    article_id: int
    days: list[DayCount] = Field(description="Oldest first; today is the last entry.")


class TopArticle(BaseModel):
    article_id: int
    slug: str
    category: str
    views: int = Field(description="Views in the window (all time: the total).")


class TopOut(BaseModel):
    window: str
    category: str | None
    articles: list[TopArticle]


class ValueCount(BaseModel):
    value: str
    views: int


class BreakdownOut(BaseModel):
    article_id: int
    first_day: date = Field(serialization_alias="from")
    last_day: date = Field(serialization_alias="to")
    views: int = Field(description="Views in the range (the daily counts, imported days included).")
    referrers: dict[str, int] = Field(
        description="Views by referrer class: search, social, direct, internal, other."
    )
    devices: dict[str, int] = Field(description="Views by device class: desktop, phone, tablet.")
    domains: list[ValueCount] = Field(
        description="Referring domains, most viewed first; `(other)` holds views from domains "
        "beyond the daily cap."
    )
    utm_source: list[ValueCount]
    utm_medium: list[ValueCount]
    utm_campaign: list[ValueCount]

    model_config = {"populate_by_name": True}
