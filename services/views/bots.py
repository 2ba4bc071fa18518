"""Bots, crawlers and prefetches: answered, never counted.

The list is the community-maintained `crawler-user-agents` package (about 1,500 patterns);
upgrading the package is how the list is kept current. Our own rules sit on top: an empty
User-Agent, a few fetchers the list lacks (EXTRA_AGENTS) and the prefetch/preview headers.

Matching 1,500 regular expressions one after another costs about half a millisecond per
User-Agent, and a flood of rotating User-Agents would make every call a cold one. So the
patterns are compiled once into one Aho-Corasick automaton over a literal every match of
each pattern must contain (the longest run of plain characters at the pattern's top level):
one pass over the User-Agent finds the candidates, and only a candidate whose pattern is
more than its literal is confirmed by its own regular expression. The few patterns without
such a literal are joined into one small expression that always runs. Verdicts are cached
per User-Agent besides, so the usual cost is one dict lookup (bench/bot_matcher.py prints
both figures).
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata

import crawleruseragents
from ahocorasick_rs import AhoCorasick, MatchKind

# re's own parser (private, stable since 3.11 under this name) tells which characters every
# match of a pattern must contain; it is used once, at start-up, never per request.
_sre_parser = importlib.import_module("re._parser")
_sre_constants = importlib.import_module("re._constants")

# Fetchers that are not readers and that the list does not (yet) name: headless browsers and
# audit tools, HTTP libraries, link-preview fetchers. Plain substrings, case-sensitive.
EXTRA_AGENTS: tuple[str, ...] = (
    "HeadlessChrome",
    "Lighthouse",
    "PageSpeed",
    "Google-InspectionTool",
    "Google Web Preview",
    "Google-Read-Aloud",
    "Playwright",
    "Puppeteer",
    "PhantomJS",
    "python-httpx",
    "python-requests",
    "aiohttp",
    "node-fetch",
    "undici",
    "Go-http-client",
    "okhttp",
    "libwww-perl",
    "SkypeUriPreview",
    "Iframely",
    "Embedly",
    "redditbot",
    "Slackbot",
    "Discordbot",
    "TelegramBot",
    "WhatsApp/",
    "Viber/",
    "Java/",
)

# Headers a browser sends on a speculative load (prefetch, prerender) or a preview.
PREFETCH_HEADERS: tuple[tuple[str, str], ...] = (
    ("sec-purpose", "prefetch"),
    ("purpose", "prefetch"),
    ("x-moz", "prefetch"),
    ("x-purpose", "preview"),
)
MIN_ANCHOR = 3


@dataclass(frozen=True)
class _Candidate:
    regex: re.Pattern[str] | None  # None: the literal alone is the whole pattern


def _alternatives(pattern: str) -> list[str]:
    """A pattern split at its top-level ``|`` (not inside brackets or groups)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _anchor(pattern: str) -> tuple[str, bool]:
    """The longest literal every match of ``pattern`` contains, and whether it is the whole
    pattern. ('', False) when the pattern has no usable literal (flags, a top-level |)."""
    parsed = _sre_parser.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return "", False
    literal_op = _sre_constants.LITERAL
    best, run, pure = "", "", True
    for op, arg in parsed:
        if op is literal_op:
            run += chr(arg)
            continue
        pure = False
        best, run = max(best, run, key=len), ""
    best = max(best, run, key=len)
    return best, pure


class BotMatcher:
    """One automaton over every pattern's anchor literal, plus the patterns that have none."""

    def __init__(self, patterns: Iterable[str], extra_literals: Iterable[str] = ()) -> None:
        by_anchor: dict[str, list[_Candidate]] = {}
        residual: list[str] = []
        for pattern in (alt for whole in patterns for alt in _alternatives(whole)):
            anchor, pure = _anchor(pattern)
            if len(anchor) < MIN_ANCHOR:
                residual.append(pattern)
                continue
            candidate = _Candidate(None if pure else re.compile(pattern))
            by_anchor.setdefault(anchor, []).append(candidate)
        for literal in extra_literals:
            by_anchor.setdefault(literal, []).append(_Candidate(None))
        self._anchors = list(by_anchor)
        self._candidates = [by_anchor[a] for a in self._anchors]
        self._automaton = AhoCorasick(self._anchors, matchkind=MatchKind.Standard)
        self._residual = re.compile("|".join(f"(?:{p})" for p in residual)) if residual else None
        self.size = sum(len(c) for c in self._candidates) + len(residual)

    def matches(self, user_agent: str) -> bool:
        for index in self._automaton.find_matches_as_indexes(user_agent, overlapping=True):
            for candidate in self._candidates[index[0]]:
                if candidate.regex is None or candidate.regex.search(user_agent):
                    return True
        return self._residual is not None and self._residual.search(user_agent) is not None


@functools.cache
def matcher() -> BotMatcher:
    """Compiled once per process (about 50 ms), on first use."""
    patterns = [entry["pattern"] for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA]
    return BotMatcher(patterns, EXTRA_AGENTS)


@functools.lru_cache(maxsize=8192)
def is_bot(user_agent: str) -> bool:
    """Cached: real traffic comes from a few thousand distinct User-Agents, so the matcher
    runs once per agent, not once per beacon; a rotating flood pays the matcher's own cost."""
    return not user_agent.strip() or matcher().matches(user_agent)


def is_prefetch(headers: Mapping[str, str]) -> bool:
    for name, marker in PREFETCH_HEADERS:
        value = headers.get(name)
        if value is not None and marker in value.lower():
            return True
    return False


def list_version() -> str:
    """The installed list's version, for the docs and the bench."""
    return metadata.version("crawler-user-agents")
