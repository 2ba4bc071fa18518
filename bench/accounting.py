"""The exactness check of the beacon benchmark: accepted == counted, nothing looser.

Accepted is what the client saw: the answers saying "counted" that wrk received
(bench/beacons.lua prints them). Counted is what the views database holds after the last
flush. Both come from different sides of the platform, so a view counted twice (counted >
accepted) and a view lost (counted < accepted) both fail the check.

A double count and a loss in the same run cancel out in the totals. The check therefore
also compares article by article when the client can know how many views each article
received: the script sends the n-th beacon of each wrk thread to article (n mod N) + 1, so
when every beacon sent was answered "counted", the client's count per article follows from
how many each thread sent. (A double count and a loss on the same article stay invisible to
any count; tests/views/test_flusher_exactness.py follows views one by one.)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LINE = re.compile(r"^HH-ACCOUNTING sent=([\d,]+) counted=(\d+) other=(\d+) drain=(\d+)$", re.M)


@dataclass(frozen=True)
class ClientTally:
    """What the load generator saw in one or more runs."""

    sent_per_thread: tuple[int, ...] = ()  # beacons sent, per wrk thread and run
    counted: int = 0  # answers saying "counted"
    other: int = 0  # beacon answers saying anything else (duplicate, an error ...)

    @property
    def sent(self) -> int:
        return sum(self.sent_per_thread)

    @property
    def unanswered(self) -> int:
        """Beacons sent whose answer never arrived (or was not a beacon's answer)."""
        return self.sent - self.counted - self.other

    def __add__(self, other: ClientTally) -> ClientTally:
        return ClientTally(
            self.sent_per_thread + other.sent_per_thread,
            self.counted + other.counted,
            self.other + other.other,
        )


def parse_tally(wrk_output: str) -> ClientTally:
    found = LINE.search(wrk_output)
    if found is None:
        raise ValueError("no HH-ACCOUNTING line in wrk's output (was bench/beacons.lua used?)")
    sent, counted, other, _ = found.groups()
    return ClientTally(tuple(int(s) for s in sent.split(",")), int(counted), int(other))


def views_per_article(sent_per_thread: Iterable[int], articles: int) -> Counter[int]:
    """How many beacons each article received, from how many each thread sent
    (the n-th beacon of a thread, n from 1, goes to article (n mod articles) + 1)."""
    per_article: Counter[int] = Counter()
    for sent in sent_per_thread:
        laps = sent // articles
        for article in range(1, articles + 1):
            per_article[article] += laps
        for n in range(laps * articles + 1, sent + 1):
            per_article[(n % articles) + 1] += 1
    return +per_article  # without zero entries, like the database's rows


@dataclass(frozen=True)
class Exactness:
    accepted: int
    counted: int
    per_article_checked: bool
    # article id -> (accepted, counted), for the articles where the two differ
    differing: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return self.accepted == self.counted and not self.differing

    def describe(self) -> str:
        text = (
            f"accepted {self.accepted:,} (counted answers the client saw) "
            f"{'==' if self.accepted == self.counted else '!='} counted {self.counted:,} "
            "(views database after the last flush)"
        )
        if self.per_article_checked:
            text += (
                f"; per article: {len(self.differing)} differ"
                if self.differing
                else "; equal article by article too"
            )
        else:
            text += "; per article: not checkable (not every beacon was answered counted)"
        return text


def check(tally: ClientTally, articles: int, counted_per_article: Mapping[int, int]) -> Exactness:
    """Compare the client's tally with the database's totals (article id -> total)."""
    counted = sum(counted_per_article.values())
    per_article_checked = tally.other == 0 and tally.unanswered == 0
    differing: dict[int, tuple[int, int]] = {}
    if per_article_checked:
        accepted_per_article = views_per_article(tally.sent_per_thread, articles)
        for article in sorted(set(accepted_per_article) | set(counted_per_article)):
            a, c = accepted_per_article.get(article, 0), counted_per_article.get(article, 0)
            if a != c:
                differing[article] = (a, c)
    return Exactness(tally.counted, counted, per_article_checked, differing)


def sum_tallies(tallies: Sequence[ClientTally]) -> ClientTally:
    total = ClientTally()
    for tally in tallies:
        total = total + tally
    return total
