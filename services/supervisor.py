"""Running the platform as local processes: start, prefix their logs, stop them cleanly.

Used by `healthhub up` and by the end-to-end tests, so the tests run the same topology.
Children die with their parent (PR_SET_PDEATHSIG), so a killed supervisor leaves nothing
behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

import httpx
from rich.console import Console
from rich.text import Text

COLOURS = [
    "cyan",
    "magenta",
    "green",
    "yellow",
    "blue",
    "bright_red",
    "bright_cyan",
    "bright_magenta",
    "bright_green",
]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    # The name ready_url's /healthz must give as "service": a port that answers as anything
    # else is held by another process, and this one is not ready (it could not bind).
    service: str | None = None
    # Like compose's `restart: unless-stopped`: a process that dies is started again.
    restart: bool = True


class StartFailed(RuntimeError):
    """A process exited, or did not become ready, while the platform was starting."""


MAX_RESTARTS = 10  # within RESTART_WINDOW seconds; beyond that the supervisor gives up
RESTART_WINDOW = 120.0


@dataclass
class Running:
    spec: ProcessSpec
    proc: subprocess.Popen[bytes]
    pump: threading.Thread
    restarts: list[float] = field(default_factory=list)
    given_up: bool = False


class Supervisor:
    def __init__(
        self,
        console: Console | None = None,
        log_sink: Callable[[str, str], None] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.env = dict(env) if env is not None else dict(os.environ)
        self.running: list[Running] = []
        self.log_sink = log_sink
        self._stopping = False
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()

    def _pump(self, name: str, colour: str, stream: IO[bytes]) -> None:
        width = max([len(r.spec.name) for r in self.running] + [len(name), 10])
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if self.log_sink is not None:
                self.log_sink(name, line)
            else:
                self.console.print(Text(f"{name:<{width}} | ", style=colour) + Text(line))
        stream.close()

    def start(self, spec: ProcessSpec) -> Running:
        proc, pump = self._spawn(spec)
        running = Running(spec, proc, pump)
        self.running.append(running)
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, daemon=True)
            self._watchdog.start()
        return running

    def _watch(self) -> None:
        """Restart processes that died (a worker can die on a broker outage: a kombu bug)."""
        while not self._stopping:
            time.sleep(0.5)
            for r in list(self.running):
                if self._stopping or r.given_up or not r.spec.restart or r.proc.poll() is None:
                    continue
                now = time.monotonic()
                r.restarts = [t for t in r.restarts if now - t < RESTART_WINDOW]
                if len(r.restarts) >= MAX_RESTARTS:
                    r.given_up = True
                    self._say(r.spec.name, f"exited {len(r.restarts)} times lately; not restarting")
                    continue
                delay = min(30.0, 0.5 * 2 ** len(r.restarts))
                self._say(
                    r.spec.name, f"exited with code {r.proc.returncode}; restarting in {delay:.1f}s"
                )
                time.sleep(delay)
                # Under the lock: stop() must never miss a process started at the same moment.
                with self._lock:
                    if self._stopping:
                        return
                    r.restarts.append(time.monotonic())
                    r.proc.wait()
                    r.pump.join(timeout=2)
                    r.proc, r.pump = self._spawn(r.spec)

    def _say(self, name: str, line: str) -> None:
        if self.log_sink is not None:
            self.log_sink(name, f"[supervisor] {line}")
        else:
            self.console.print(Text(f"{name} | [supervisor] {line}", style="bold red"))

    def _spawn(self, spec: ProcessSpec) -> tuple[subprocess.Popen[bytes], threading.Thread]:
        env = {**self.env, **spec.env, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            list(spec.argv),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        names = [r.spec.name for r in self.running]
        index = names.index(spec.name) if spec.name in names else len(names)
        colour = COLOURS[index % len(COLOURS)]
        assert proc.stdout is not None
        pump = threading.Thread(
            target=self._pump, args=(spec.name, colour, proc.stdout), daemon=True
        )
        pump.start()
        return proc, pump

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for r in self.running:
            if r.spec.ready_url is None:
                continue
            answer = "no answer"
            while True:
                if r.proc.poll() is not None:
                    raise StartFailed(
                        f"{r.spec.name} exited with code {r.proc.returncode} while starting"
                        + (f" ({answer} at {r.spec.ready_url})" if answer != "no answer" else "")
                    )
                answer = _ready_answer(r.spec)
                if answer == "ready":
                    break
                if time.monotonic() > deadline:
                    raise StartFailed(
                        f"{r.spec.name} did not become ready at {r.spec.ready_url} "
                        f"within {timeout:.0f} s ({answer})"
                    )
                time.sleep(0.1)

    def halt(self, running: Running, timeout: float = 15.0) -> None:
        """Stop one process on purpose: it is not restarted until resume()."""
        with self._lock:
            running.given_up = True
            if running.proc.poll() is None:
                running.proc.terminate()
                running.proc.wait(timeout)

    def resume(self, running: Running) -> None:
        """Start a halted process again, under the supervisor's care."""
        with self._lock:
            running.pump.join(timeout=2)
            running.proc, running.pump = self._spawn(running.spec)
            running.restarts.clear()
            running.given_up = False

    def first_exited(self) -> Running | None:
        """A process that is gone for good (not restartable, or restarted too often)."""
        for r in self.running:
            if r.proc.poll() is not None and (r.given_up or not r.spec.restart):
                return r
        return None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM everything (newest first, so workers drain before Redis goes), then SIGKILL."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        for r in reversed(self.running):
            if r.proc.poll() is None:
                r.proc.send_signal(signal.SIGTERM)
                try:
                    r.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    r.proc.kill()
                    r.proc.wait()
        for r in self.running:
            r.pump.join(timeout=2)


def _ready_answer(spec: ProcessSpec) -> str:
    """Return "ready", or what the ready URL answered instead."""
    assert spec.ready_url is not None
    try:
        response = httpx.get(spec.ready_url, timeout=1.0)
    except httpx.HTTPError as exc:
        return f"no answer: {type(exc).__name__}"
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    if spec.service is None:
        return "ready"
    try:
        body = response.json()
    except ValueError:
        body = None
    given = body.get("service") if isinstance(body, dict) else None
    if given == spec.service:
        return "ready"
    return f"the port answers as {given or 'another program'!s}, not {spec.service}"


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
