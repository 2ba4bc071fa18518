"""Peak memory (RSS) per platform process, sampled from /proc while benchmarks run."""

from __future__ import annotations

import threading
from pathlib import Path

ROLES = (
    ("services.render.pageserver", "pages"),
    ("services.articles.app", "articles-api"),
    ("services.views.app", "views-api"),
    ("worker articles", "articles-worker"),
    ("worker render-pages", "render-pages-worker"),
    ("worker render-listings", "render-listings-worker"),
    ("worker render", "render-worker"),
    ("worker views", "views-worker"),
    ("services.cli scheduler", "scheduler"),
)


def role_of(cmdline: str) -> str | None:
    for marker, role in ROLES:
        if marker in cmdline:
            return role
    return None


def rss_mb(pid: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakMemory:
    """Samples every platform process twice a second; keeps the peak RSS of each role
    (a Celery worker's pool processes count as the worker: they are the same role)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                role = role_of(cmdline)
                if role is None:
                    continue
                mb = rss_mb(entry.name)
            except OSError:
                continue
            self.peaks[role] = max(self.peaks.get(role, 0.0), mb)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)
