"""The conditions of a benchmark run, recorded beside its figures: the machine, how busy it
was before and after, the code measured and the tools used. A figure without them cannot
be compared with another."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The run writes these itself: they do not make the measured code dirty.
OUTPUTS = ("bench/results.md", "bench/results.png", "bench/results/")
TOOLS = {"wrk": ["-v"], "nginx": ["-v"], "hugo": ["version"]}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> dict[str, Any]:
    """The commit measured, and the files that differ from it (if any, the run is dirty)."""
    changed = [
        line[3:]
        for line in _git("status", "--porcelain").splitlines()
        if not line[3:].startswith(OUTPUTS)
    ]
    return {"commit": _git("rev-parse", "--short=12", "HEAD") or "unknown",
            "dirty": bool(changed), "changed_files": changed[:20]}  # fmt: skip


def tool_version(name: str) -> str:
    """The first line a tool prints about its version ("not installed" when missing)."""
    binary = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists()
                                    else None)  # fmt: skip
    if binary is None:
        return "not installed"
    done = subprocess.run([binary, *TOOLS[name]], capture_output=True, text=True, check=False)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0].strip() if lines else "unknown"


def cpu_probe_s() -> float:
    """Best of 3 timings of a fixed pure-Python loop: the same work on every run, so a slow
    or shared machine shows in the conditions even when the load average does not (a virtual
    machine's host may lend fewer cycles than it did last time)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def cpu_times() -> list[int]:
    """The machine's CPU time counters (user, nice, system, idle, iowait, irq, softirq,
    steal), in clock ticks; empty where /proc/stat is missing."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return []
    return [int(x) for x in first[1:9]]


def steal_percent(before: list[int], after: list[int]) -> float | None:
    """The share of CPU time the hypervisor gave to others during the run."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = sum(after) - sum(before)
    return round(100 * (after[7] - before[7]) / spent, 1) if spent > 0 else None


def before() -> dict[str, Any]:
    return {
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_probe_before_s": cpu_probe_s(),
        "cpu_times_before": cpu_times(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count() or 0,
        "machine": platform.machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        **commit(),
    }


def after(conditions: dict[str, Any]) -> dict[str, Any]:
    """The conditions completed at the end of the run (the tools may have been installed
    during it)."""
    return {
        **conditions,
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_probe_after_s": cpu_probe_s(),
        "cpu_steal_percent": steal_percent(conditions.get("cpu_times_before", []), cpu_times()),
        "tools": {name: tool_version(name) for name in TOOLS},
    }
