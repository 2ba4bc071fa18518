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
from typing import Any

import httpx
import pytest

from services.articles import tokens
from services.articles.commands import MIGRATIONS
from services.articles.editor import security, users
from services.articles.settings import ArticlesSettings
from services.supervisor import ProcessSpec, Supervisor
from shared.db import Database, migrate
from tests.e2e.browser import chromium
from tests.e2e.gateway import nginx_binary, nginx_spec, write_nginx_config
from tests.helpers import seed_categories
from tests.resources import free_port

__all__ = ["chromium"]  # the browser fixture, used by name
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
        _, secret = tokens.create_token(session, name="e2e", role="editor", now=datetime.now(UTC))
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
        ProcessSpec(
            "articles-api",
            api,
            ready_url=f"http://127.0.0.1:{api_port}/healthz",
            service="articles",
        )
    )
    supervisor.start(nginx_spec(conf, gateway_port))
    try:
        supervisor.wait_ready()
        base = f"http://127.0.0.1:{gateway_port}"
        for title in ("Kidney stones explained", "Sleep and mood"):
            created = httpx.post(
                f"{base}/api/v1/articles",
                json={"title": title, "category": "health", "body": "Text."},
                headers={"Authorization": f"Bearer {secret}"},
                timeout=10,
            )
            assert created.status_code == 201, created.text
        yield base
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


def test_in_a_browser_htmx_filters_the_list_under_the_editors_policy(
    gateway: str, chromium: Any
) -> None:
    """The CSP allows no inline script or style: htmx must work without either, and the
    browser must report no violation (Chromium logs each as a console error)."""
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto(f"{gateway}/editor/")
        assert page.url.startswith(f"{gateway}/editor/sign-in")
        page.get_by_label("Email").fill("ann@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{gateway}/editor/")
        assert page.locator("#results a").count() == 2
        page.evaluate("window.notReloaded = true")
        page.get_by_label("Search").fill("kidney")
        # htmx pushes the filtered list's address (the form's fields, empty ones too).
        page.wait_for_url(f"{gateway}/editor/?status=&q=kidney", wait_until="commit")
        page.wait_for_function("document.querySelectorAll('#results a').length === 1")
        assert page.locator("#results a").inner_text() == "Kidney stones explained"
        assert page.evaluate("window.notReloaded") is True  # swapped in, not a page load
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{gateway}/editor/sign-in")
    finally:
        context.close()
    assert errors == [], "\n".join(errors)


def test_the_gateway_limits_sign_in_posts_per_address(gateway: str) -> None:
    """Last in the module: it spends this address's allowance. Posts without the form's
    token (403 from the app, no failure counted there): every 429 is nginx's limit_req."""
    with httpx.Client(base_url=gateway, timeout=10, follow_redirects=False) as web:
        codes = [web.post("/editor/sign-in", data={"email": "x"}).status_code for _ in range(20)]
        # One at the rate and ten of burst (the sign-ins above spent one or two), then 429.
        assert set(codes) == {403, 429}
        assert codes.index(429) >= 8 and codes.count(403) <= 12
        assert web.get("/editor/sign-in").status_code == 200  # the form is not limited
