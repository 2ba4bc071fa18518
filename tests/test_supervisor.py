"""The local process supervisor behind `healthhub up` and the end-to-end tests."""

from __future__ import annotations

import sys
import time

import pytest

from services.supervisor import ProcessSpec, StartFailed, Supervisor
from tests.resources import free_port


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


SQUATTER = """
import http.server, json, sys
class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "service": "views"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Healthz).serve_forever()
"""


SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_ready_alone(spec: ProcessSpec, timeout: float) -> None:
    """Start one process under a supervisor of its own, wait for it to be ready, stop it."""
    supervisor = Supervisor(log_sink=lambda name, line: None)
    supervisor.start(spec)
    try:
        supervisor.wait_ready(timeout=timeout)
    finally:
        supervisor.stop(timeout=5)


def test_a_port_that_answers_as_another_service_is_not_taken_for_ready() -> None:
    """The e2e platforms' ports raced: an API that lost its port to another test's views API
    was 'ready' because the port answered /healthz, and its test got a 404 from the wrong
    service. A spec that names its service is ready only when /healthz gives that name."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    squatter = Supervisor(log_sink=lambda name, line: None)
    squatter.start(
        ProcessSpec("views-api", [sys.executable, "-c", SQUATTER, str(port)], ready_url=url,
                    service="views")
    )  # fmt: skip
    try:
        squatter.wait_ready(timeout=10)
        # One that cannot bind the port and exits: reported with what the port answers as.
        bind = (
            "import socket, time; s = socket.socket(); time.sleep(0.5); "
            f"s.bind(('127.0.0.1', {port}))"
        )
        with pytest.raises(StartFailed, match="exited with code 1") as failed:
            wait_ready_alone(
                ProcessSpec("articles-api", [sys.executable, "-c", bind], ready_url=url,
                            service="articles", restart=False),
                timeout=10,
            )  # fmt: skip
        assert "answers as views, not articles" in str(failed.value)
        # One that stays up without binding: not ready, and the timeout says why.
        with pytest.raises(StartFailed, match="answers as views, not articles"):
            wait_ready_alone(
                ProcessSpec("articles-api", SLEEPER, ready_url=url, service="articles"), 1.5
            )
        # The same port is ready for a spec that expects the service that answers there.
        wait_ready_alone(ProcessSpec("views-api", SLEEPER, ready_url=url, service="views"), 5)
    finally:
        squatter.stop(timeout=5)
