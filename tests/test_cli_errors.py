"""The `healthhub` command, run as a real process: every expected failure is one line on
stderr and a non-zero exit, never a traceback; choices are listed by --help."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli import app
from services.stack import WORKERS, WorkerName
from tests.conftest import RedisDbs
from tests.resources import free_port


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHHUB_")}
    env.update(HEALTHHUB_ENVIRONMENT="test", HEALTHHUB_VAR_DIR=str(tmp_path), **extra)
    return env


def healthhub(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def assert_one_line(out: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert out.returncode == code, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("healthhub: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    return lines[0]


@pytest.fixture
def redis_down(tmp_path: Path) -> dict[str, str]:
    """Settings whose Redis is a port nobody listens on."""
    return clean_env(tmp_path, HEALTHHUB_REDIS_URL=f"redis://127.0.0.1:{free_port()}")


def test_render_all_with_redis_down_is_one_line_and_exit_code_1(redis_down: dict[str, str]) -> None:
    assert healthhub(redis_down, "migrate").returncode == 0
    assert_one_line(healthhub(redis_down, "render", "--all"), 1, "cannot reach", "Redis")


def test_seed_with_redis_down_says_so_at_once(redis_down: dict[str, str]) -> None:
    assert healthhub(redis_down, "migrate").returncode == 0
    # At once: not after the minute the seed would wait for the workers.
    out = healthhub(redis_down, "seed", timeout=30)
    assert_one_line(out, 1, "cannot reach Redis", "Connection refused")


def test_a_seed_that_times_out_is_one_line(tmp_path: Path, redis_dbs: RedisDbs) -> None:
    # Redis answers but no worker runs: the views service never learns the articles.
    env = clean_env(
        tmp_path,
        HEALTHHUB_REDIS_URL=redis_dbs.url,
        HEALTHHUB_BROKER_DB=str(redis_dbs.broker_db),
        HEALTHHUB_VIEWS_REDIS_DB=str(redis_dbs.views_db),
    )
    assert healthhub(env, "migrate").returncode == 0
    out = healthhub(env, "seed", "--timeout", "1")
    assert_one_line(out, 1, "timed out", "views service did not learn")


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    env = clean_env(tmp_path, HEALTHHUB_ARTICLES_DATABASE_URL=nowhere)
    assert_one_line(healthhub(env, "migrate"), 1, "cannot reach the database")


def test_a_database_never_migrated_says_what_to_run(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert_one_line(healthhub(env, "token", "list"), 1, "healthhub migrate")


def test_a_token_for_an_unknown_person_or_without_a_name_is_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert healthhub(env, "migrate").returncode == 0
    out = healthhub(
        env, "token", "create", "--name", "x", "--role", "reviewer", "--person", "nobody"
    )
    assert_one_line(out, 1, "No person with slug 'nobody'")
    assert_one_line(healthhub(env, "token", "create", "--name", " "), 1, "needs a name")
    assert healthhub(env, "token", "list").stdout.count("hh_") == 0  # neither was created


def test_bad_arguments_are_one_line_naming_the_choices(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    line = assert_one_line(healthhub(env, "worker", "nonsense"), 2, "nonsense")
    assert all(name in line for name in WORKERS)
    assert "Value error" not in line  # pydantic's prefix, noise to an operator
    assert_one_line(healthhub(env, "token", "create", "--name", "x", "--role", "root"), 2, "admin")


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        ("HEALTHHUB_LOG_LEVEL", "LOUD", "HEALTHHUB_LOG_LEVEL: Input should be 'DEBUG'"),
        ("HEALTHHUB_LOG_JSON", "maybe", "HEALTHHUB_LOG_JSON: Input should be a valid boolean"),
        ("HEALTHHUB_SITE_URL", "ftp://x", "HEALTHHUB_SITE_URL must be an http:// or https://"),
        ("HEALTHHUB_ARTICLES_DATABASE_URL", "notaurl", "HEALTHHUB_*_DATABASE_URL"),
        # The Redis client refuses these only when it connects, with a traceback.
        ("HEALTHHUB_REDIS_URL", "notaurl", "HEALTHHUB_REDIS_URL must be a redis://"),
        ("HEALTHHUB_REDIS_URL", "redis://127.0.0.1:99999", "HEALTHHUB_REDIS_URL has a port"),
        ("HEALTHHUB_VIEWS_REDIS", "localhost:6379", "HEALTHHUB_VIEWS_REDIS must be a redis://"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, setting: str, value: str, needle: str
) -> None:
    env = clean_env(tmp_path, **{setting: value})
    assert_one_line(healthhub(env, "migrate"), 1, "healthhub: ", needle)


@pytest.mark.parametrize("command", [["seed"], ["render", "--all"], ["ping-broker"]])
def test_a_malformed_redis_url_is_one_line_for_the_commands_that_use_redis(
    tmp_path: Path, command: list[str]
) -> None:
    env = clean_env(tmp_path, HEALTHHUB_REDIS_URL="redis://:pw-in-url@127.0.0.1:notaport/0")
    out = healthhub(env, *command)
    assert_one_line(out, 1, "HEALTHHUB_REDIS_URL has a port")
    assert "pw-in-url" not in out.stdout + out.stderr


def test_a_bad_setting_never_shows_a_secret_of_another(tmp_path: Path) -> None:
    """pydantic's own message repeats the settings' input, passwords included."""
    env = clean_env(
        tmp_path,
        HEALTHHUB_REDIS_URL="redis://:Tsecret-pw@127.0.0.1:1/0",
        HEALTHHUB_ARTICLES_DATABASE_URL="postgresql://u:Psecret-pw@127.0.0.1:1/x",
        HEALTHHUB_LOG_LEVEL="LOUD",
    )
    out = healthhub(env, "worker", "views")
    line = assert_one_line(out, 1, "HEALTHHUB_LOG_LEVEL")
    assert "secret-pw" not in out.stdout + out.stderr and "Tse" not in line


@pytest.mark.parametrize("command", [["migrate"], ["token", "list"]])
def test_a_var_dir_that_cannot_be_created_is_one_line_naming_it(
    tmp_path: Path, command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a file where a directory is needed: even root cannot mkdir it
    env = {**clean_env(tmp_path), "HEALTHHUB_VAR_DIR": str(blocker / "var")}
    assert_one_line(healthhub(env, *command), 1, f"cannot use {blocker / 'var'}")


def test_a_log_level_in_any_case_is_accepted(tmp_path: Path) -> None:
    assert healthhub(clean_env(tmp_path, HEALTHHUB_LOG_LEVEL="warning"), "migrate").returncode == 0


def test_help_lists_the_choices(tmp_path: Path) -> None:
    env = clean_env(tmp_path, COLUMNS="200")  # so the help does not wrap the choices
    worker_help = healthhub(env, "worker", "--help")
    assert worker_help.returncode == 0
    assert "articles|render-pages|render-listings|render|views" in worker_help.stdout
    assert {w.value for w in WorkerName} == set(WORKERS)
    assert "editor|reviewer|admin" in healthhub(env, "token", "create", "--help").stdout


def test_render_with_no_target_says_what_it_can_do(tmp_path: Path) -> None:
    out = healthhub(clean_env(tmp_path), "render")
    assert out.returncode == 2
    assert "healthhub render --all" in out.stderr
    assert "Traceback" not in out.stderr


BOOM = """
import sys
from services import cli

@cli.app.command("boom")
def boom() -> None:
    password = "-".join(["s3cr3t", "local", "value"])  # a local, as settings are
    raise RuntimeError("an unexpected failure")

sys.argv = ["healthhub", "boom"]
cli.main()
"""


def test_tracebacks_never_show_local_variables(tmp_path: Path) -> None:
    # Settings, which hold database passwords, are locals of many functions. An unexpected
    # error keeps its traceback (it is a bug), printed the way `healthhub` prints it.
    script = tmp_path / "boom.py"
    script.write_text(BOOM)
    out = subprocess.run(
        [sys.executable, str(script)], env=clean_env(tmp_path), cwd=Path.cwd(),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "an unexpected failure" in out.stderr  # the traceback is there
    assert "s3cr3t-local-value" not in out.stdout + out.stderr  # its locals are not
    assert app.pretty_exceptions_show_locals is False


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_up_refuses_an_embedded_redis_port_in_use(tmp_path: Path, taken_port: int) -> None:
    env = clean_env(tmp_path, HEALTHHUB_EMBEDDED_REDIS_PORT=str(taken_port))
    out = healthhub(env, "up", "--no-seed")
    assert_one_line(out, 1, f"port {taken_port}", "in use")


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_failed_start_is_one_line_and_stops_everything(
    tmp_path: Path, redis_dbs: RedisDbs, taken_port: int
) -> None:
    env = clean_env(
        tmp_path,
        HEALTHHUB_REDIS_URL=redis_dbs.url,
        HEALTHHUB_BROKER_DB=str(redis_dbs.broker_db),
        HEALTHHUB_VIEWS_REDIS_DB=str(redis_dbs.views_db),
        HEALTHHUB_RENDER_REDIS_DB=str(redis_dbs.render_db),
        HEALTHHUB_PAGES_PORT=str(taken_port),  # the page server cannot listen there
        HEALTHHUB_ARTICLES_PORT=str(free_port()),
        HEALTHHUB_VIEWS_PORT=str(free_port()),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--no-seed"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=180)
        # Every process it started is gone (they share its process group).
        left_behind = process_group_alive(proc.pid)
    finally:
        if process_group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    out = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    line = assert_one_line(out, 1, "pages", "while starting", "up.log")
    assert (tmp_path / "log" / "up.log").exists(), line
    assert "address already in use" in (tmp_path / "log" / "up.log").read_text().lower()
    assert not left_behind
