"""The local process supervisor behind `healthhub up` and the end-to-end tests."""

from __future__ import annotations

import sys
import time

from services.supervisor import ProcessSpec, Supervisor


def test_a_process_that_dies_is_restarted_and_one_that_must_not_be_is_reported() -> None:
    lines: list[str] = []
    supervisor = Supervisor(log_sink=lambda name, line: lines.append(f"{name}: {line}"))
    crashing = supervisor.start(
        ProcessSpec("crashing", [sys.executable, "-c", "print('up'); raise SystemExit(3)"])
    )
    one_shot = supervisor.start(
        ProcessSpec("one-shot", [sys.executable, "-c", "raise SystemExit(0)"], restart=False)
    )
    try:
        deadline = time.monotonic() + 10
        while len(crashing.restarts) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(crashing.restarts) >= 2
        assert lines.count("crashing: up") >= 2
        assert any("exited with code 3; restarting" in line for line in lines)
        assert supervisor.first_exited() is one_shot
    finally:
        supervisor.stop()
    restarts = len(crashing.restarts)
    time.sleep(1.5)
    assert len(crashing.restarts) == restarts  # nothing is restarted once stopping


def test_stop_terminates_every_child() -> None:
    supervisor = Supervisor(log_sink=lambda name, line: None)
    sleeper = supervisor.start(
        ProcessSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    )
    supervisor.stop(timeout=5)
    assert sleeper.proc.poll() is not None
