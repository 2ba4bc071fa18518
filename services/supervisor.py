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


@dataclass
class Running:
    spec: ProcessSpec
    proc: subprocess.Popen[bytes]
    pump: threading.Thread


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
        env = {**self.env, **spec.env, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            list(spec.argv),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        colour = COLOURS[len(self.running) % len(COLOURS)]
        assert proc.stdout is not None
        pump = threading.Thread(
            target=self._pump, args=(spec.name, colour, proc.stdout), daemon=True
        )
        running = Running(spec, proc, pump)
        self.running.append(running)
        pump.start()
        return running

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for r in self.running:
            if r.spec.ready_url is None:
                continue
            while True:
                if r.proc.poll() is not None:
                    raise RuntimeError(
                        f"{r.spec.name} exited with code {r.proc.returncode} while starting"
                    )
                try:
                    if httpx.get(r.spec.ready_url, timeout=1.0).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{r.spec.name} did not become ready at {r.spec.ready_url}")
                time.sleep(0.1)

    def first_exited(self) -> Running | None:
        for r in self.running:
            if r.proc.poll() is not None:
                return r
        return None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM everything (newest first, so workers drain before Redis goes), then SIGKILL."""
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


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
