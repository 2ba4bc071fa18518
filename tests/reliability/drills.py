"""What the fault drills share: a beacon load that remembers every reader and answer, and
the record each drill leaves of what it measured (docs/reliability.md is made from those).

Exactness without guessing: every beacon comes from a reader of its own. A beacon whose
answer was lost (a 503, a connection cut mid-request) may or may not have been counted; the
drill resends it after recovery, as a reader's browser would on its next visit. The resend
answers "duplicate" when the first one was counted, "counted" when it was not, so the final
total must be exactly: imported + acknowledged + resent, whatever the fault did.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

# One reader space for every drill of a test process: drills share a platform, and a reader
# seen by an earlier drill would be a duplicate in the next (dedupe window: 30 min).
_READERS = itertools.count(1)
RESULTS = Path(__file__).resolve().parent / "results"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


@dataclass(frozen=True)
class Answer:
    reader: str
    status: int  # 0: no HTTP answer (refused, or cut off mid-request)
    outcome: str  # "counted", "duplicate", ... for a 202; "" otherwise
    sent: float  # time.monotonic() when sent
    elapsed: float
    retry_after: str | None = None
    problem: bool = False  # a 4xx/5xx answered as application/problem+json


def send_beacon(client: httpx.Client, url: str, reader: str) -> Answer:
    sent = time.monotonic()
    try:
        r = client.post(url, headers={"User-Agent": BROWSER, "X-Forwarded-For": reader})
    except httpx.HTTPError:
        return Answer(reader, 0, "", sent, time.monotonic() - sent)
    outcome = r.json().get("status", "") if r.status_code == 202 else ""
    return Answer(
        reader,
        r.status_code,
        outcome,
        sent,
        time.monotonic() - sent,
        r.headers.get("retry-after"),
        r.headers.get("content-type", "").startswith("application/problem+json"),
    )


@dataclass
class BeaconLoad:
    """``threads`` clients sending beacons for one article as fast as they are answered,
    each from a new reader (an address of 198.18.0.0/15), until stop()."""

    url: str
    threads: int = 2
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                n = next(_READERS)
                reader = f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"
                answer = send_beacon(client, self.url, reader)
                self.answers.append(answer)
                if answer.status != 202:
                    time.sleep(0.05)  # a refused client does not hammer: a browser would not

    def start(self) -> BeaconLoad:
        self._workers = [threading.Thread(target=self._run) for _ in range(self.threads)]
        for w in self._workers:
            w.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for w in self._workers:
            w.join(30)

    def counted(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 202 and a.outcome == "counted"]

    def unacknowledged(self) -> list[Answer]:
        return [a for a in self.answers if a.status != 202]


@dataclass(frozen=True)
class Resent:
    """What resending answered: ``counted`` the first beacons that had not been counted
    (for acknowledged ones: lost), ``duplicate`` those that had, ``other`` anything else."""

    counted: list[Answer]
    duplicate: list[Answer]
    other: list[Answer]

    def tally(self) -> dict[str, int]:
        return {
            "counted": len(self.counted),
            "duplicate": len(self.duplicate),
            "other": len(self.other),
        }


def resend(url: str, answers: Iterable[Answer], patience: float = 20.0) -> Resent:
    """Send each reader's beacon again; which first beacons the resend found counted or not.
    A refusal that says "try again" (503 with Retry-After, or no answer: the views service
    still reconnecting after the crash) is not an answer about the view, so it is sent again,
    as a client would, for at most ``patience`` seconds in all; whatever still is not
    "counted" or "duplicate" then is "other"."""
    found: dict[str, list[Answer]] = {"counted": [], "duplicate": [], "other": []}
    deadline = time.monotonic() + patience
    with httpx.Client(timeout=10) as client:
        for a in answers:
            again = send_beacon(client, url, a.reader)
            while again.status in (0, 503) and time.monotonic() < deadline:
                time.sleep(0.2)
                again = send_beacon(client, url, a.reader)
            key = again.outcome if again.outcome in ("counted", "duplicate") else "other"
            found[key].append(a)
    return Resent(found["counted"], found["duplicate"], found["other"])


def total_of(url: str) -> int:
    total: int = httpx.get(url, timeout=5).json()["total"]
    return total


def steady_total(url: str, interval: float = 1.2, timeout: float = 30.0) -> int:
    """The total once two reads a flush interval apart agree (nothing is still buffered)."""
    deadline = time.monotonic() + timeout
    last = total_of(url)
    while time.monotonic() < deadline:
        time.sleep(interval)
        now = total_of(url)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the total of {url} did not settle: {last}")


def wait_for_total(url: str, expected: int, timeout: float = 40.0) -> int:
    """Wait until the flushed total reaches ``expected``, then one more flush interval so
    that a total going past it is seen too; returns the total."""
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        try:
            total = total_of(url)
        except httpx.HTTPError:
            total = -1
        if total >= expected:
            break
        time.sleep(0.25)
    time.sleep(1.5)
    return total_of(url)


def record(
    drill: str, *, scenario: str, does: str, checks: str, figure: str, **measured: Any
) -> None:
    """Leave the drill's record, called after its assertions passed. Written only when
    HEALTHHUB_RECORD_DRILLS=1 (`make reliability-doc` sets it and then remakes the table):
    an ordinary `make test` prints the figure and leaves the records and the doc as they are."""
    print(f"{drill}: {figure}")
    if os.environ.get("HEALTHHUB_RECORD_DRILLS") != "1":
        return
    RESULTS.mkdir(exist_ok=True)
    data = {
        "drill": drill,
        "commit": source_commit(),
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scenario": scenario,
        "does": does,
        "checks": checks,
        "figure": figure,
        "measured": measured,
    }
    (RESULTS / f"{drill}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def source_commit() -> str:
    """The commit the drill ran (git rev-parse HEAD), "+changes" when tracked files other
    than the drill records and the doc they make differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=RESULTS.parent, capture_output=True, text=True, check=True
        ).stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD")
    changed = [
        path
        for path in git("diff", "--name-only", "HEAD").splitlines()
        if not path.startswith(("tests/reliability/results/", "docs/reliability.md"))
    ]
    return f"{commit}+changes" if changed else commit


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def children_of(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (from /proc), e.g. a Celery worker's pool."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids
