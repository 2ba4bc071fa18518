"""The compose file: valid, and every scalable service can be scaled with --scale."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SINGLETONS = {"postgres", "redis", "views-redis", "migrate", "scheduler", "gateway", "flower"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_config_validates() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip(
            "docker-compose is not installed (Debian package docker-compose; `make test` installs it as root)"
        )
    result = subprocess.run(
        [tool, "--env-file", str(ROOT / ".env.example"), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_topology_is_complete(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres", "redis", "views-redis", "migrate", "articles-api", "articles-worker", "scheduler",
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
    # An active scheduler and a standby, one lease between them (services/scheduler.py).
    assert compose["services"]["scheduler"]["deploy"]["replicas"] == 2


def test_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ("postgres", "redis", "views-redis", "flower"):
            continue
        depends = service.get("depends_on", {})
        assert depends, f"{name} starts without waiting for anything"
        for dep, rule in depends.items():
            expected = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            assert rule["condition"] == expected, (name, dep)
        if name != "migrate":
            assert "healthcheck" in service or name in ("articles-api", "views-api", "pages"), name


@pytest.mark.parametrize("redis", ["redis", "views-redis"])
def test_redis_is_durable_and_never_evicts(compose: dict[str, Any], redis: str) -> None:
    command = " ".join(compose["services"][redis]["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    assert "--maxmemory-policy noeviction" in command
    assert "--requirepass ${REDIS_PASSWORD:?" in command


def test_views_count_into_a_bounded_redis_of_their_own(compose: dict[str, Any]) -> None:
    """A beacon flood fills views-redis up to its maxmemory, never the broker's Redis
    (tests/reliability/test_views_redis_full.py shows it with real processes)."""
    assert "--maxmemory" in compose["services"]["views-redis"]["command"]
    assert "--maxmemory" not in compose["services"]["redis"]["command"]
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        if name in ("views-api", "views-worker"):
            assert env["HEALTHHUB_VIEWS_REDIS"].startswith("redis://:${REDIS_PASSWORD:?"), name
            assert env["HEALTHHUB_VIEWS_REDIS"].endswith("@views-redis:6379/0"), name
            assert service["depends_on"]["views-redis"]["condition"] == "service_healthy"
        elif name != "migrate":
            assert "HEALTHHUB_VIEWS_REDIS" not in env, name


SECRETS = (
    "POSTGRES_PASSWORD", "ARTICLES_DB_PASSWORD", "VIEWS_DB_PASSWORD", "RENDER_DB_PASSWORD",
    "REDIS_PASSWORD", "HEALTHHUB_SALT_SECRET",
)  # fmt: skip


def test_required_secrets_fail_fast_when_missing() -> None:
    text = COMPOSE.read_text()
    for name in SECRETS:
        assert "${" + name + ":?" in text, name
        assert f"${{{name}}}" not in text and f"${{{name}:-" not in text, name


@pytest.mark.parametrize("missing", SECRETS)
def test_compose_refuses_to_start_without_each_secret(missing: str, tmp_path: Path) -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    env_file = tmp_path / ".env"
    lines = ROOT.joinpath(".env.example").read_text().splitlines()
    env_file.write_text("\n".join(line for line in lines if not line.startswith(missing + "=")))
    result = subprocess.run(
        [tool, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert result.returncode != 0
    assert missing in result.stderr


def env_of(compose: dict[str, Any], name: str) -> dict[str, str]:
    env: dict[str, str] = compose["services"][name].get("environment", {})
    return env


DATABASES = {
    "articles-api": {"ARTICLES"}, "articles-worker": {"ARTICLES"}, "views-api": {"VIEWS"},
    "views-worker": {"VIEWS"}, "render-pages-worker": {"RENDER"},
    "render-listings-worker": {"RENDER"}, "pages": set(), "scheduler": set(),
    "migrate": {"ARTICLES", "VIEWS", "RENDER"},
}  # fmt: skip


def test_each_container_gets_only_its_own_database_and_secrets(compose: dict[str, Any]) -> None:
    for name, databases in DATABASES.items():
        env = env_of(compose, name)
        urls = {k.removeprefix("HEALTHHUB_").removesuffix("_DATABASE_URL") for k in env
                if k.endswith("_DATABASE_URL")}  # fmt: skip
        assert urls == databases, name
        for db in databases:
            # Each as its own role, never the superuser.
            assert env[f"HEALTHHUB_{db}_DATABASE_URL"].startswith(f"postgresql://{db.lower()}:")
        assert ("HEALTHHUB_SALT_SECRET" in env) == ("VIEWS" in databases), name
        assert "POSTGRES_PASSWORD" not in str(env), name
        assert env["HEALTHHUB_REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?"), name


def test_redis_and_flower_need_credentials(compose: dict[str, Any]) -> None:
    assert "--requirepass" in compose["services"]["redis"]["command"]
    flower = " ".join(compose["services"]["flower"]["command"])
    assert "--basic-auth=${FLOWER_BASIC_AUTH:?" in flower
    assert "redis://:${REDIS_PASSWORD:?" in flower


def test_no_process_logs_client_addresses_or_trusts_any_proxy(compose: dict[str, Any]) -> None:
    for name in ("articles-api", "views-api", "pages"):
        command = compose["services"][name]["command"]
        assert "--no-access-log" in command, name
        assert "--forwarded-allow-ips" not in command, name
        assert "--no-proxy-headers" in command or name == "pages", name
