"""The compose topology as local processes behind the real nginx gateway: two render
workers, two views API processes, every flow through one public port."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.render import csp
from services.stack import StackSettings
from services.supervisor import ProcessSpec, python_module
from tests.e2e.gateway import access_log, nginx_binary, nginx_spec, write_nginx_config
from tests.e2e.stack import Stack, start_stack, wait_for
from tests.resources import free_port

pytestmark = pytest.mark.e2e

# The load balancer in front of the gateway, as a second loopback address the tests connect
# from (Linux routes all of 127.0.0.0/8 to this host); 127.0.0.1 is any other client.
EDGE = "127.0.0.2"


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[Stack, str]]:
    if nginx_binary() is None:
        pytest.skip(
            "nginx is not installed (Debian package nginx; `make test` installs it as root)"
        )
    # nginx workers run as an unprivileged user: like a compose volume, the store must be
    # readable by them, and pytest keeps its own temp directories private.
    root = Path(tempfile.mkdtemp(prefix="hh-gateway-"))
    root.chmod(0o755)
    gateway_port, views2_port = free_port(), free_port()

    def extra(settings: StackSettings, env: dict[str, str]) -> list[ProcessSpec]:
        conf = write_nginx_config(
            root / "nginx",
            port=gateway_port,
            page_store=root / "pages",
            pages=f"127.0.0.1:{settings.pages_port}",
            articles=f"127.0.0.1:{settings.articles_port}",
            views=[f"127.0.0.1:{settings.views_port}", f"127.0.0.1:{views2_port}"],
            edge_proxy=f"{EDGE}/32",
        )
        return [
            ProcessSpec(
                "views-api-2",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(views2_port),
                    "--no-proxy-headers",
                    "--no-access-log",
                    "services.views.app:create_app",
                ],
                ready_url=f"http://127.0.0.1:{views2_port}/healthz",
                service="views",
            ),
            ProcessSpec("render-worker-2", python_module("services.cli", "worker", "render")),
            nginx_spec(conf, gateway_port),
        ]

    base = f"http://127.0.0.1:{gateway_port}"
    # Pages and the views API share the gateway's origin, as in production.
    stack = start_stack(root, extra=extra, HEALTHHUB_VIEWS_URL="", HEALTHHUB_SITE_URL=base)
    try:
        stack.cli("seed")
        yield stack, base
    except BaseException:
        print(stack.log())
        raise
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


def pages_served(stack: Stack) -> float:
    """200 responses the page server itself has sent (from its /metrics)."""
    text = httpx.get(f"{stack.pages}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith('healthhub_pages_responses_total{status="200"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_flow_works_through_the_gateway(gateway: tuple[Stack, str]) -> None:
    stack, base = gateway
    token = stack.token()
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as web:
        # Publish through the gateway; nginx serves the page straight from the store.
        created = web.post(
            "/api/v1/articles",
            json={"title": "Through the gateway", "category": "health", "slug": "through-the-gateway",
                  "body": "## One\n\nText.\n"},
            headers=auth,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        article = created.json()
        assert (
            web.post(f"/api/v1/articles/{article['id']}/publish", headers=auth).status_code == 200
        )
        page = wait_for(
            "the page through nginx",
            lambda: (r := web.get("/health/through-the-gateway")).status_code == 200 and r,
        )
        assert "<h1>Through the gateway</h1>" in page.text
        # Served by nginx from the store, not proxied: the page server saw no request for it.
        served_before = pages_served(stack)
        for _ in range(5):
            assert web.get("/health/through-the-gateway").status_code == 200
        assert pages_served(stack) == served_before
        assert page.headers["server"] == "nginx"
        assert "etag" in page.headers
        assert "max-age" in page.headers["cache-control"]
        gz = web.get("/health/through-the-gateway", headers={"Accept-Encoding": "gzip"})
        assert gz.headers.get("content-encoding") == "gzip"

        # Beacons through the proxy reach both views processes; counts are exact.
        beacon = f"/api/v1/views/{article['id']}"
        accepted = 0
        for i in range(40):
            r = web.post(beacon, headers={"User-Agent": f"Mozilla/5.0 (reader {i}) Firefox/130.0"})
            assert r.status_code == 202, r.text
            # One address (the test's) holds at most HEALTHHUB_READERS_PER_ADDRESS readers per
            # article: the rest are answered "capped", not counted.
            accepted += r.json()["status"] == "counted"
        assert accepted == 8
        # A client cannot pose as someone else: its own X-Forwarded-For is replaced by nginx.
        for _ in range(3):
            spoofed = web.post(
                beacon,
                headers={
                    "User-Agent": "Mozilla/5.0 (reader 0) Firefox/130.0",
                    "X-Forwarded-For": "198.51.100.7",
                },
            )
            assert spoofed.json()["status"] == "duplicate"
        wait_for("exact totals", lambda: web.get(beacon).json()["total"] == accepted, timeout=30)

        # Old slug → 301 (from the page server behind nginx); unpublished → 410.
        moved = web.patch(
            f"/api/v1/articles/{article['id']}",
            json={"slug": "through-the-gateway-v2", "version": 2},
            headers=auth,
        )
        assert moved.status_code == 200, moved.text
        wait_for(
            "the moved page", lambda: web.get("/health/through-the-gateway-v2").status_code == 200
        )
        old = web.get("/health/through-the-gateway")
        assert old.status_code == 301
        assert old.headers["location"] == "/health/through-the-gateway-v2"
        assert (
            web.post(f"/api/v1/articles/{article['id']}/unpublish", headers=auth).status_code == 200
        )
        wait_for(
            "410 through the gateway",
            lambda: web.get("/health/through-the-gateway-v2").status_code == 410,
        )

        # The page store's markers and temp files are never public.
        assert web.get("/_gone/health/through-the-gateway-v2").status_code == 404
        assert web.get("/_redirects/health/through-the-gateway").status_code == 404


# --- hardening (issue 13): through the real nginx, as readers and attackers reach it ---------


def test_no_open_redirect_or_host_reflection_through_the_gateway(
    gateway: tuple[Stack, str],
) -> None:
    _, base = gateway
    with httpx.Client(timeout=10, follow_redirects=False) as web:
        for path in ("//evil.example/", "/%5Cevil.example/", "/%2F%2Fevil.example/",
                     "///evil.example/health/"):  # fmt: skip
            r = web.get(base + path)
            location = r.headers.get("location", "")
            assert "evil" not in location and not location.startswith("//"), (path, location)
            assert 400 <= r.status_code < 500, (path, r.status_code)
        for path in ("/api/v1/content/articles/", "/health/"):
            r = web.get(base + path, headers={"Host": "evil.example"})
            assert "evil" not in r.headers.get("location", ""), (path, r.headers)
        # The one redirect that remains is a path of this site.
        r = web.get(base + "/health/through-the-gateway-v2/")
        assert r.status_code == 301 and r.headers["location"] == "/health/through-the-gateway-v2"


def test_odd_paths_get_a_4xx_through_the_gateway(gateway: tuple[Stack, str]) -> None:
    _, base = gateway
    with httpx.Client(timeout=10, follow_redirects=False) as web:
        for path in ("/a%00/b", "/" + "a" * 300 + "/b", "/health/" + "b" * 300,
                     "/" + "a/" * 2100, "/metrics"):  # fmt: skip
            r = web.get(base + path)
            assert 400 <= r.status_code < 500, (path[:40], r.status_code)


def test_security_headers_on_static_proxied_and_api_answers(gateway: tuple[Stack, str]) -> None:
    _, base = gateway

    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as web:
        home = web.get("/")  # nginx, from disk
        missing = web.get("/health/no-such-article")  # proxied to the page server
        api = web.get("/api/v1/content/categories")
        assert missing.status_code == 404
        for r in (home, missing, api, web.get("/feed.xml")):
            assert len(r.headers.get_list("content-security-policy")) == 1, r.url
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert r.headers["x-frame-options"] == "DENY"
        assert "max-age" in home.headers["cache-control"]  # the location's own header stays
        # The gateway adds no Cache-Control of its own to API answers.
        assert len(api.headers.get_list("cache-control")) == 1
        assert "cache-control" not in web.get("/api/v1/articles").headers
        page = web.get("/bones-and-joints/vitamin-d-and-bone-health")
        policy = page.headers["content-security-policy"]
        scripts, styles = csp.inline_hashes(page.content)
        assert scripts and styles
        for source in scripts + styles:
            assert source in policy


def test_the_gateway_logs_no_address_referer_or_search(gateway: tuple[Stack, str]) -> None:
    stack, base = gateway
    log = access_log(stack.root / "nginx")
    with httpx.Client(base_url=base, timeout=10) as web:
        web.post(
            "/api/v1/views/1",
            headers={"Referer": f"{base}/health/private-condition", "User-Agent": "Agent/7.7"},
        )
        web.get("/api/v1/content/articles", params={"q": "secretsymptom"})
        web.get(
            "/bones-and-joints/vitamin-d-and-bone-health",
            headers={"Referer": "https://ref.example/"},
        )
    text = wait_for("access log lines", lambda: log.exists() and log.read_text(), timeout=10)
    assert "/api/v1/views/1" in text  # it does log, just nothing about the reader
    for private in ("127.0.0.1", "private-condition", "secretsymptom", "ref.example", "Agent/7.7"):
        assert private not in text, private


def test_the_content_api_is_rate_limited_through_the_gateway(gateway: tuple[Stack, str]) -> None:
    _, base = gateway
    codes = []
    with httpx.Client(base_url=base, timeout=10) as web:
        for _ in range(70):
            r = web.get("/api/v1/content/articles", params={"q": "bones"})
            codes.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert int(r.headers["retry-after"]) >= 1
                break
    assert codes[-1] == 429 and set(codes[:-1]) == {200}, codes


def test_behind_a_trusted_edge_each_reader_is_attributed_to_its_own_address(
    gateway: tuple[Stack, str],
) -> None:
    """Behind a TLS load balancer every connection comes from the balancer: the gateway must
    take the client from the balancer's X-Forwarded-For, or the per-address cap would hold
    the whole site to HEALTHHUB_READERS_PER_ADDRESS readers per article. From any other peer
    the header is not believed."""
    stack, base = gateway
    auth = {"Authorization": f"Bearer {stack.token()}"}
    edge = httpx.Client(
        base_url=base, timeout=10, transport=httpx.HTTPTransport(local_address=EDGE)
    )
    with edge, httpx.Client(base_url=base, timeout=10) as direct:
        created = direct.post(
            "/api/v1/articles",
            json={"title": "Behind the edge", "category": "health", "slug": "behind-the-edge",
                  "body": "Text.\n"},
            headers=auth,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        article = created.json()["id"]
        assert direct.post(f"/api/v1/articles/{article}/publish", headers=auth).status_code == 200
        beacon = f"/api/v1/views/{article}"

        def status(client: httpx.Client, reader: int, forwarded: str) -> str:
            r = client.post(
                beacon,
                headers={
                    "User-Agent": f"Mozilla/5.0 (edge reader {reader}) Firefox/130.0",
                    "X-Forwarded-For": forwarded,
                },
            )
            assert r.status_code == 202, r.text
            return str(r.json()["status"])

        wait_for(
            "the views service to know the article",
            lambda: direct.post(beacon, headers={"User-Agent": "Mozilla/5.0"}).status_code != 404,
        )
        cap = 8  # HEALTHHUB_READERS_PER_ADDRESS's default, as test_every_flow_... shows
        # Client A behind the edge, with a hop it wrote itself in front (a different one each
        # time): the edge appended A's address, and that is the one that counts.
        a = [status(edge, i, f"203.0.113.{i}, 198.51.100.20") for i in range(cap + 2)]
        assert a == ["counted"] * cap + ["capped"] * 2
        # Client B behind the same edge is a reader of its own, not capped with A.
        assert status(edge, 100, "198.51.100.21") == "counted"
        # Not from the edge: the header is not believed. Were it, A's readers would be capped;
        # they count under this peer's own address instead (which has no readers of this
        # article but the one the wait above made).
        assert status(direct, 200, "198.51.100.20") == "counted"
        assert status(direct, 201, "198.51.100.20") == "counted"


def test_media_files_are_served_by_nginx_with_a_year_long_cache(
    gateway: tuple[Stack, str],
) -> None:
    stack, base = gateway
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as web:
        page = web.get("/health/is-osteoporosis-an-autoimmune-disease")
        assert page.status_code == 200
        srcset = re.search(r'<source type="image/webp" srcset="([^"]+)"', page.text)
        assert srcset is not None, "the sample hero is a <picture>"
        url = srcset.group(1).split(",")[0].strip().split(" ")[0]
        served_before = pages_served(stack)
        image = web.get(url)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/webp"
        assert image.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.content[:4] == b"RIFF" and image.content[8:12] == b"WEBP"
        assert image.content == httpx.get(stack.pages + url, timeout=5).content
        assert pages_served(stack) == served_before + 1  # nginx served it; only our check didn't
        for bad in ("/media/", "/media/secret.txt", url.replace(".webp", ".gif"), url + "x"):
            assert web.get(bad).status_code == 404, bad
        # The upload limit at the gateway is the media one (16m), not the API's 3m: a 4 MB
        # upload reaches the app, which finds it is not an image.
        token = stack.token()
        upload = web.post(
            "/api/v1/media",
            files={"file": ("big.jpg", b"\x00" * 4_000_000, "image/jpeg")},
            data={"alt": "Not a picture"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert upload.status_code == 415, upload.text
