"""A bar chart as plain numbers for an inline SVG (templates/_chart.html): no script, no
library, nothing but attributes the template escapes. Pure, so it is tested alone.

The chart is one picture of a table that the page also holds (for screen readers and for
anyone who wants the figures): it adds nothing the table does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 600
HEIGHT = 160
GAP = 2


@dataclass(frozen=True)
class Bar:
    day: date
    views: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    most: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def summary(self) -> str:
        """What the picture shows, in a sentence (the SVG's accessible name)."""
        if not self.bars:
            return "No days to show."
        first, last = self.bars[0].day, self.bars[-1].day
        peak = max(self.bars, key=lambda b: (b.views, b.day))
        return (
            f"Views per day from {first.isoformat()} to {last.isoformat()}: "
            f"{self.total:,} in all, most on {peak.day.isoformat()} ({peak.views:,})."
        )


def bar_chart(days: list[tuple[date, int]]) -> Chart:
    """One bar per day, oldest on the left; the highest day fills the height (a day of no
    views has no bar; a chart of zeros stays flat rather than dividing by zero)."""
    most = max((views for _, views in days), default=0)
    step = WIDTH / max(len(days), 1)
    bars = []
    for i, (day, views) in enumerate(days):
        height = HEIGHT * views / most if most else 0.0
        bars.append(
            Bar(
                day=day,
                views=views,
                x=round(i * step + GAP / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(max(step - GAP, 1), 2),
                height=round(height, 2),
            )
        )
    return Chart(bars=bars, most=most, total=sum(views for _, views in days))
