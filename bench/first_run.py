"""First run: the time from `make up` in a fresh clone to the first sample page served.

Clones a repository (this one by default) into a temporary directory, runs `make up` there
on free ports (pages, both APIs and the embedded Redis; never 8000-8002), waits until the
sample article page answers 200, prints the time with the conditions of the run, then stops
everything it started (Ctrl-C to the process group, then SIGKILL for anything left) and
removes the clone. The package cache is whatever pip's cache holds on this machine (warm on
a machine that installed the project before), and the time includes creating the virtual
environment and installing the dependencies, as a newcomer would meet them.

The end-to-end test of `make up` (tests/test_first_run.py) runs the same helper.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import conditions
from tests.resources import free_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PAGE = "/health/is-osteoporosis-an-autoimmune-disease"
BANNER = "HealthHub is running"
# Variables of the calling shell that would change what a newcomer's `make up` does: an
# outer make's flags (which make the inner one print "Entering directory"), a virtual
# environment, a chosen interpreter, and any HEALTHHUB_* setting.
INHERITED_NOT = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV", "PYTHON", "PYTHONPATH")


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in INHERITED_NOT and not k.startswith("HEALTHHUB_")
    }
    venv = os.environ.get("VIRTUAL_ENV")
    paths = [p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p + "/"]
    if venv:
        paths = [p for p in paths if not p.startswith(venv)]
    env["PATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env


@dataclass
class FirstRun:
    """`make up` running in a fresh clone; its output is collected as it comes."""

    clone: Path
    proc: subprocess.Popen[bytes]
    pages_url: str
    started: float
    lines: list[str] = field(default_factory=list)
    _pump: threading.Thread | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
        self.proc.stdout.close()

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_page(self, timeout: float) -> float:
        """Seconds from the start of `make up` to the sample page answering 200."""
        deadline = self.started + timeout
        url = self.pages_url + SAMPLE_PAGE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"`make up` exited with code {self.proc.returncode} before serving "
                    f"the sample page; its output:\n{self.output()}"
                )
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"no sample page at {url} within {timeout:.0f} s:\n{self.output()}")

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} not printed; output:\n{self.output()}")
            time.sleep(0.1)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, timeout: float = 60.0) -> bool:
        """Ctrl-C as a user would (to the whole process group), wait for every process of
        the group to end, then SIGKILL whatever is left. True when nothing was left."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        while self.group_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        clean = not self.group_alive()
        if not clean:
            # Children of make share its process group: nothing it started may outlive it.
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self._pump is not None:
            self._pump.join(timeout=5)
        return clean


def clone(source: Path, into: Path, ref: str | None) -> str:
    """A fresh clone of `source` (at `ref` when given); returns the commit cloned."""
    subprocess.run(["git", "clone", "--quiet", str(source), str(into)], check=True)
    if ref:
        subprocess.run(["git", "-C", str(into), "checkout", "--quiet", ref], check=True)
    done = subprocess.run(
        ["git", "-C", str(into), "rev-parse", "--short=12", "HEAD"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def overlay_changes(source: Path, target: Path) -> None:
    """Copy the uncommitted changes of `source` (changed, new and deleted files that git
    tracks or would track) onto the clone: the test of `make up` runs the code being
    written, not only the last commit."""
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files", "--modified", "--others", "--exclude-standard"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    for rel in listed:
        src, dst = source / rel, target / rel
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.exists() and not src.exists():
            dst.unlink()


@contextmanager
def make_up(
    workdir: Path, *, source: Path = ROOT, ref: str | None = None, with_changes: bool = False
) -> Iterator[FirstRun]:
    """Clone into `workdir`/clone (plus the uncommitted changes of `source` when asked) and
    run `make up` there; stops everything on exit and removes the clone."""
    target = workdir / "clone"
    clone(source, target, ref)
    if with_changes:
        overlay_changes(source, target)
    ports = {name: free_port() for name in ("PAGES", "ARTICLES", "VIEWS", "EMBEDDED_REDIS")}
    env = clean_env({f"HEALTHHUB_{name}_PORT": str(port) for name, port in ports.items()})
    started = time.monotonic()
    proc = subprocess.Popen(
        ["make", "up"],
        cwd=target,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    run = FirstRun(target, proc, f"http://127.0.0.1:{ports['PAGES']}", started)
    run._pump = threading.Thread(target=run._read, daemon=True)
    run._pump.start()
    try:
        yield run
    finally:
        run.stop()
        shutil.rmtree(target, ignore_errors=True)


def measure(source: Path, ref: str | None, timeout: float) -> dict[str, Any]:
    before = conditions.before()
    with (
        tempfile.TemporaryDirectory(prefix="hh-first-run-") as tmp,
        make_up(Path(tmp), source=source, ref=ref) as run,
    ):
        seconds = run.wait_for_page(timeout)
        commit = subprocess.run(
            ["git", "-C", str(run.clone), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        run.wait_for_line(BANNER, timeout=30)
        lines_before_banner = next(i for i, line in enumerate(run.lines) if BANNER in line)
    result = conditions.after(before)
    # The code measured is the clone's, not this checkout's.
    result.update(commit=commit, dirty=False, changed_files=[])
    result.update(
        seconds_to_first_page=round(seconds, 1),
        output_lines_before_banner=lines_before_banner,
        output_to_banner=run.lines[: lines_before_banner + 1],
        pip_cache=str(Path.home() / ".cache" / "pip"),
    )
    return result


def describe(result: dict[str, Any]) -> str:
    return (
        f"  commit {result['commit']}: {result['seconds_to_first_page']} s to the first page, "
        f"{result['output_lines_before_banner']} output line(s) before the banner; "
        f"load {result['load_average_before']} before, {result['load_average_after']} after; "
        f"{result['started_utc']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="repository to clone")
    parser.add_argument("--ref", default=None, help="commit or branch to check out")
    parser.add_argument(
        "--compare", default=None, help="another commit, run in turn with --ref (interleaved)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", action="store_true", help="print every record as JSON")
    args = parser.parse_args()
    # This machine is shared and its load changes by the minute: compared commits run in
    # turn (A, B, A, B ...), never all of one and then all of the other.
    refs = [args.compare, args.ref] if args.compare else [args.ref]
    results: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        for ref in refs:
            results.append(measure(args.source, ref, args.timeout))
            if not args.json:
                print(describe(results[-1]), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    first = results[0]
    print(
        f"Fresh clone to first page (`make up`, warm pip cache), median of {args.rounds} "
        f"run(s) per commit; {first['cpu_model']}, {first['cores']} cores, "
        f"Python {first['python']}:"
    )
    for commit in dict.fromkeys(r["commit"] for r in results):
        times = [r["seconds_to_first_page"] for r in results if r["commit"] == commit]
        print(f"  {commit}: {statistics.median(times):.1f} s (runs: {', '.join(map(str, times))})")


if __name__ == "__main__":
    main()
