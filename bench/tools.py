"""What every benchmark needs: wrk (installed when missing), interleaved runs, medians.

Every figure is the median of several runs; runs of the things compared are interleaved
(A, B, C, A, B, C, ...) within one invocation, because this machine is shared and noisy.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.resources import free_port

ROOT = Path(__file__).resolve().parents[1]


def ensure_debian_package(binary: str, package: str | None = None) -> str:
    """The path of `binary`, installing its Debian package first when it is missing."""
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if found:
        return found
    package = package or binary
    print(f"{binary} is missing: installing Debian's {package} package ...", flush=True)
    apt = [
        "apt-get",
        "-o",
        "DPkg::Lock::Timeout=300",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        package,
    ]
    if subprocess.run(apt, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(apt, capture_output=True, check=True)
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if not found:
        raise SystemExit(f"could not install {package}")
    return found


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    errors: int


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 1,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
) -> WrkResult:
    wrk = ensure_debian_package("wrk")
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        requests_per_second=rps,
        latency_p50_ms=_ms(*p50.groups()) if p50 else float("nan"),
        latency_p99_ms=_ms(*p99.groups()) if p99 else float("nan"),
        errors=errors + (int(non2xx.group(1)) if non2xx else 0),
    )


def interleave(
    contenders: Mapping[str, Callable[[], float]], rounds: int
) -> dict[str, list[float]]:
    """Run each contender once per round, in turn; returns every figure by name."""
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return results


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def start_uvicorn(
    app: str, env: Mapping[str, str], *, factory: bool = True
) -> tuple[subprocess.Popen[bytes], str]:
    """One uvicorn process on a free port (no access log), ready when this returns."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", *(["--factory"] if factory else []), app,
           "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**env}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/healthz", proc)
    return proc, base


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ratio(ours: float, anchor: float) -> float:
    return ours / anchor if anchor else float("nan")
