"""The editor behind the real nginx gateway (the compose template): one articles API process
and nginx, nothing else. What only the gateway can break: the Host a POST's Origin is
compared with (nginx's $host drops the port), and security headers sent twice."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from services.articles.commands import MIGRATIONS
from services.articles.editor import security, users
from services.articles.settings import ArticlesSettings
from services.supervisor import ProcessSpec, Supervisor
from shared.db import Database, migrate
from tests.e2e.gateway import nginx_binary, nginx_spec, write_nginx_config
from tests.helpers import seed_categories
from tests.resources import free_port

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (Debian package nginx)")
    root = Path(tempfile.mkdtemp(prefix="hh-editor-gateway-"))
    root.chmod(0o755)
    (root / "pages").mkdir()
    url = f"sqlite:///{root / 'articles.db'}"
    migrate(url, MIGRATIONS)
    settings = ArticlesSettings(articles_database_url=url, var_dir=root, environment="test")
    seed_categories(settings)
    db = Database(url)
    with db.transaction() as session:
        users.create_user(
            session, email="ann@example.org", name="Ann", role="editor", password=PASSWORD,
            now=datetime.now(UTC),
        )  # fmt: skip
    db.dispose()
    api_port, gateway_port = free_port(), free_port()
    conf = write_nginx_config(
        root / "nginx",
        port=gateway_port,
        page_store=root / "pages",
        pages=f"127.0.0.1:{free_port()}",
        articles=f"127.0.0.1:{api_port}",
        views=[f"127.0.0.1:{free_port()}"],
    )
    logs: list[str] = []
    env = {
        **os.environ,
        "HEALTHHUB_ARTICLES_DATABASE_URL": url,
        "HEALTHHUB_VAR_DIR": str(root),
        "HEALTHHUB_ENVIRONMENT": "test",
    }
    supervisor = Supervisor(log_sink=lambda name, line: logs.append(f"{name}: {line}"), env=env)
    api = [
        sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1",
        "--port", str(api_port), "--no-proxy-headers", "--no-access-log",
        "services.articles.app:create_app",
    ]  # fmt: skip
    supervisor.start(
        ProcessSpec("articles-api", api, ready_url=f"http://127.0.0.1:{api_port}/healthz")
    )
    supervisor.start(nginx_spec(conf, gateway_port))
    try:
        supervisor.wait_ready()
        yield f"http://127.0.0.1:{gateway_port}"
    except BaseException:
        print("\n".join(logs))
        raise
    finally:
        supervisor.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_signing_in_and_out_works_through_the_gateway(gateway: str) -> None:
    # A browser's Origin carries the port; the app must see the same host and port.
    origin = {"Origin": gateway}
    with httpx.Client(base_url=gateway, timeout=10, follow_redirects=False) as web:
        assert web.get("/editor").headers["location"] == "/editor/"
        form = web.get("/editor/sign-in")
        assert form.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        signed = web.post(
            "/editor/sign-in",
            data={"email": "ann@example.org", "password": PASSWORD, "csrf_token": token[1]},
            headers=origin,
        )
        assert signed.status_code == 303, signed.text
        home = web.get("/editor/")
        assert home.status_code == 200
        page_token = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        assert page_token
        out = web.post("/editor/sign-out", data={"csrf_token": page_token[1]}, headers=origin)
        assert out.status_code == 303, out.text
        assert web.get("/editor/").status_code == 303


def test_each_security_header_comes_once_and_the_policy_is_the_editors(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as web:
        page = web.get("/editor/sign-in")
        for name in ("content-security-policy", "x-frame-options", "x-content-type-options"):
            assert len(page.headers.get_list(name)) == 1, name
        assert page.headers["content-security-policy"] == security.CSP
        script = re.search(r'<script src="(/editor/static/[^"]+)"', page.text)
        assert script
        js = web.get(script[1])
        assert js.status_code == 200
        assert js.headers["cache-control"] == "public, max-age=31536000, immutable"
