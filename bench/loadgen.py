"""wrk runs that say whether wrk itself was the bottleneck.

A req/s figure measured on one machine is the server's only when the load generator had
CPU to spare. Each run here reads the CPU time wrk used (its own rusage, from wait4) and
the CPU time of the server's processes (utime + stime from /proc/<pid>/stat, the process
and its descendants, before and after), so every row can show both. A run whose wrk threads
were busy for at least 90% of the wall time is "limited by the load generator": the server
might have answered more, and the figure is a lower bound.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.tools import ensure_debian_package, median

SATURATED = 0.9  # share of its threads' time a busy wrk spends on the CPU
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one live process so far (0 when it has gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    """Every live descendant of a process (nginx's workers, a server's children)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def tree_cpu_seconds(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(p) for pid in pids for p in (pid, *descendants(pid)))


@dataclass(frozen=True)
class LoadRun:
    """One wrk run and the CPU both sides used during it."""

    threads: int
    connections: int
    wall_s: float
    requests: int
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    errors: int
    wrk_cpu_s: float
    server_cpu_s: float
    output: str

    @property
    def wrk_busy(self) -> float:
        """Share of its threads' time wrk spent on a CPU (1.0: every thread always busy)."""
        return self.wrk_cpu_s / (self.wall_s * self.threads) if self.wall_s else float("nan")

    @property
    def limited_by_load_generator(self) -> bool:
        return self.wrk_busy >= SATURATED

    def figures(self) -> dict[str, Any]:
        """What is archived (the raw wrk output is left out: it is long and parsed here)."""
        figures = {k: v for k, v in asdict(self).items() if k != "output"}
        figures["wrk_busy"] = round(self.wrk_busy, 3)
        figures["limited_by_load_generator"] = self.limited_by_load_generator
        return figures


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, float]:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rps is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": float(rps.group(1)),
        "requests": float(total.group(1)),
        "latency_p50_ms": _ms(*p50.groups()) if p50 else float("nan"),
        "latency_p99_ms": _ms(*p99.groups()) if p99 else float("nan"),
        "errors": float(errors + (int(non2xx.group(1)) if non2xx else 0)),
    }


def wrk(
    url: str,
    *,
    seconds: int,
    servers: Sequence[int],
    threads: int = 1,
    connections: int = 32,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> LoadRun:
    """Load `url` with wrk for `seconds`; `servers` are the pids whose CPU (with their
    descendants') is the server's side of the run."""
    cmd = [ensure_debian_package("wrk"), "-t", str(threads), "-c", str(connections),
           "-d", f"{seconds}s", "--latency"]  # fmt: skip
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    server_before = tree_cpu_seconds(servers)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4 rather than Popen.wait: it also gives this child's own CPU time.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    server_cpu = tree_cpu_seconds(servers) - server_before
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited with {proc.returncode}:\n{out}")
    parsed = parse_wrk(out)
    return LoadRun(
        threads=threads,
        connections=connections,
        wall_s=round(wall, 3),
        requests=int(parsed["requests"]),
        requests_per_second=parsed["requests_per_second"],
        latency_p50_ms=parsed["latency_p50_ms"],
        latency_p99_ms=parsed["latency_p99_ms"],
        errors=int(parsed["errors"]),
        wrk_cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        server_cpu_s=round(server_cpu, 3),
        output=out,
    )


def load_check(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The load-generator check of one contender over its runs (archived figures of
    LoadRun): median CPU seconds of wrk and of the server per run, how many runs had wrk
    saturated, and how many had neither wrk nor the server using a full core (on a shared
    machine: the CPU went elsewhere, to a neighbour or to a process outside the server)."""
    limited = sum(1 for r in runs if r["limited_by_load_generator"])
    short = sum(
        1
        for r in runs
        if not r["limited_by_load_generator"] and r["server_cpu_s"] < SATURATED * r["wall_s"]
    )
    return {
        "threads": runs[0]["threads"],
        "connections": runs[0]["connections"],
        "runs": len(runs),
        "wall_s": round(median([r["wall_s"] for r in runs]), 2),
        "wrk_cpu_s": round(median([r["wrk_cpu_s"] for r in runs]), 2),
        "server_cpu_s": round(median([r["server_cpu_s"] for r in runs]), 2),
        "wrk_busy": round(median([r["wrk_busy"] for r in runs]), 2),
        "limited_runs": limited,
        "no_full_core_runs": short,
    }


def describe_load(check: Mapping[str, Any]) -> str:
    """One line: what wrk ran with, the CPU of both sides, the verdicts."""
    text = (
        f"wrk -t{check['threads']} -c{check['connections']}; per {check['wall_s']:.0f} s run "
        f"(median of {check['runs']}): wrk {check['wrk_cpu_s']:.1f} CPU-s, "
        f"server {check['server_cpu_s']:.1f} CPU-s"
    )
    return text + "".join(f"; {v}" for v in verdicts({"": check}))


def verdicts(checks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What the checks of a row's contenders (by side: "ours", "anchor") say, if anything."""
    said = []
    for kind, verdict in (
        (
            "limited_runs",
            f"**limited by the load generator** (wrk threads >= {SATURATED:.0%} busy)",
        ),
        ("no_full_core_runs", f"neither wrk nor the server used {SATURATED:.0%} of a core"),
    ):
        where = [
            f"{side + ' ' if side else ''}in {check[kind]} of {check['runs']} runs"
            for side, check in checks.items()
            if check[kind]
        ]
        if where:
            said.append(f"{verdict}: {', '.join(where)}")
    return said
