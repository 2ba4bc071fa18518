"""The compose file: valid, and every scalable service can be scaled with --scale."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SINGLETONS = {"postgres", "redis", "migrate", "scheduler", "gateway", "flower"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_config_validates() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip(
            "docker-compose is not installed (Debian package docker-compose); .ci/run installs it"
        )
    result = subprocess.run(
        [tool, "--env-file", str(ROOT / ".env.example"), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_topology_is_complete(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres", "redis", "migrate", "articles-api", "articles-worker", "scheduler",
        "views-api", "views-worker", "render-pages-worker", "render-listings-worker", "pages",
        "gateway", "flower",
    }  # fmt: skip
    assert compose["services"]["flower"]["profiles"] == ["flower"]


def test_scalable_services_have_no_fixed_names_or_host_ports(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "container_name" not in service, name
        if name != "gateway":
            assert "ports" not in service, f"{name} publishes a host port: it could not be scaled"
    assert compose["services"]["gateway"]["ports"] == ["${GATEWAY_PORT:-8080}:8080"]
    assert compose["services"]["scheduler"]["deploy"]["replicas"] == 1


def test_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ("postgres", "redis", "flower"):
            continue
        depends = service.get("depends_on", {})
        assert depends, f"{name} starts without waiting for anything"
        for dep, rule in depends.items():
            expected = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            assert rule["condition"] == expected, (name, dep)
        if name != "migrate":
            assert "healthcheck" in service or name in ("articles-api", "views-api", "pages"), name


def test_redis_is_durable_and_never_evicts(compose: dict[str, Any]) -> None:
    command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    assert "--maxmemory-policy noeviction" in command


def test_required_secrets_fail_fast_when_missing() -> None:
    text = COMPOSE.read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert "${HEALTHHUB_SALT_SECRET:?" in text
