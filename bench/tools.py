"""What every benchmark needs: tools installed when missing, interleaved runs, medians,
servers started and stopped. (wrk runs live in bench/loadgen.py.)

Runs of the things compared are interleaved (A, B, C, A, B, C, ...) within one invocation,
because this machine is shared and noisy; each row says which statistic it reports.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import httpx

from tests.resources import free_port

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def ensure_debian_package(binary: str, package: str | None = None) -> str:
    """The path of `binary`, installing its Debian package first when it is missing."""
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if found:
        return found
    package = package or binary
    if os.geteuid() != 0:
        raise SystemExit(f"{binary} is missing: install Debian's {package} package (as root)")
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


def interleave(contenders: Mapping[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """Run each contender once per round, in turn; returns every result by name."""
    results: dict[str, list[T]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return results


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def start_uvicorn(
    app: str, env: Mapping[str, str], *, factory: bool = True, args: Sequence[str] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """One uvicorn process on a free port (no access log), ready when this returns."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", *(["--factory"] if factory else []), app,
           "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
           *args]  # fmt: skip
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
