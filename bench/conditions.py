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


# The code that turns an archive into a table: a table rendered by a later version of these
# files names it (the figures are the run's; the rows and verdicts are that code's).
REPORT_CODE = ("bench/report.py", "bench/table.py", "bench/rows.py", "bench/scale_rows.py",
               "bench/editor_rows.py", "bench/loadgen.py")  # fmt: skip


def report_code() -> dict[str, Any]:
    """The last commit that changed the report code, and whether it has uncommitted edits."""
    last = _git("log", "-1", "--format=%H", "--", *REPORT_CODE)
    return {"commit": last[:12] or "unknown",
            "dirty": bool(_git("status", "--porcelain", "--", *REPORT_CODE))}  # fmt: skip


def contains(descendant: str, ancestor: str) -> bool:
    """Whether commit ``descendant`` includes commit ``ancestor`` (False for unknown ones)."""
    done = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=ROOT,
                          capture_output=True, check=False)  # fmt: skip
    return done.returncode == 0


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
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return []
    return parse_cpu_line(lines[0] if lines else "")


def parse_cpu_line(line: str) -> list[int]:
    """The counters of /proc/stat's aggregate "cpu" line; empty for anything else (a missing
    or malformed line must not stop a benchmark run: the conditions then say "not measured")."""
    fields = line.split()
    if not fields or fields[0] != "cpu":
        return []
    try:
        return [int(x) for x in fields[1:9]]
    except ValueError:
        return []


def steal_percent(before: list[int], after: list[int]) -> float | None:
    """The share of CPU time the hypervisor gave to others during the run (None when the
    counters are missing, of different kernels' lengths, or did not move)."""
    if len(before) < 8 or len(before) != len(after):
        return None
    spent = sum(after) - sum(before)
    stolen = after[7] - before[7]
    return round(100 * stolen / spent, 1) if spent > 0 and stolen >= 0 else None


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
