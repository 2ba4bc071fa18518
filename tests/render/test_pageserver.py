"""The page server over HTTP: caching headers, compression, HEAD, 301, 410, 404."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.render.pageserver import PageServer
from services.render.store import PageStore, article_page


@pytest.fixture
def store(tmp_path: Path) -> PageStore:
    s = PageStore(tmp_path / "pages")
    s.write("index.html", b"<h1>Home</h1>")
    s.write(article_page("health", "bones"), b"<h1>Bones</h1>" * 100)
    s.write("404.html", b"<h1>Not found</h1>")
    s.write("410.html", b"<h1>Gone</h1>")
    s.write("sitemap.xml", b"<urlset/>")
    s.write("feed.xml", b"<feed/>")
    s.set_redirect("health", "old-bones", "/health/bones")
    s.mark_gone("health", "withdrawn")
    return s


@pytest.fixture
def client(store: PageStore) -> Iterator[TestClient]:
    with TestClient(PageServer(store.root)) as c:
        yield c


def test_serves_pages_with_validators_and_revalidates(client: TestClient) -> None:
    r = client.get("/health/bones", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.content == b"<h1>Bones</h1>" * 100
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "max-age" in r.headers["cache-control"]
    etag, modified = r.headers["etag"], r.headers["last-modified"]
    assert client.get("/health/bones", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/health/bones", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/health/bones", headers={"If-None-Match": '"other"'}).status_code == 200


def test_gzip_when_asked_and_head_without_body(client: TestClient) -> None:
    # Read the body as sent: httpx would otherwise decode it, and a check on the decoded
    # body passes whether or not the server compressed anything.
    with client.stream("GET", "/health/bones", headers={"Accept-Encoding": "gzip"}) as r:
        sent = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert sent[:2] == b"\x1f\x8b"
    assert int(r.headers["content-length"]) == len(sent) < len(b"<h1>Bones</h1>" * 100)
    assert gzip.decompress(sent) == b"<h1>Bones</h1>" * 100
    head = client.head("/health/bones", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(b"<h1>Bones</h1>" * 100)


def test_old_slugs_redirect_and_withdrawn_articles_are_gone(client: TestClient) -> None:
    moved = client.get("/health/old-bones", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/health/bones"
    gone = client.get("/health/withdrawn")
    assert gone.status_code == 410 and b"Gone" in gone.content
    missing = client.get("/health/never-was")
    assert missing.status_code == 404 and b"Not found" in missing.content
    assert (
        client.get("/health/bones/", follow_redirects=False).headers["location"] == "/health/bones"
    )


@pytest.mark.parametrize(
    "path",
    ["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/_gone/health/withdrawn", "/_redirects/health/old-bones",
     "/health/.tmp-x", "/health/bones/index.html.gz/x", "/" + "a" * 300],
)  # fmt: skip
def test_nothing_outside_the_pages_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_files_and_methods(client: TestClient) -> None:
    assert client.get("/sitemap.xml").headers["content-type"].startswith("application/xml")
    assert client.get("/feed.xml").headers["content-type"].startswith("application/atom+xml")
    assert client.post("/health/bones").status_code == 405
    assert client.get("/").content == b"<h1>Home</h1>"


@pytest.mark.parametrize(
    "path",
    ["//evil.example/", "//evil.example//", "///evil.example/", "/%5Cevil.example/",
     "/%5C%5Cevil.example/", "/\\evil.example/", "/health//bones/", "/%09/evil.example/"],
)  # fmt: skip
def test_trailing_slash_never_redirects_off_the_site(client: TestClient, path: str) -> None:
    # A whole URL: a bare "//evil.example/" would be read by the client as a host.
    r = client.get("http://testserver" + path, follow_redirects=False)
    assert r.status_code == 404, r.headers.get("location")
    assert "location" not in r.headers


def test_trailing_slash_redirect_is_a_relative_path_of_this_site(client: TestClient) -> None:
    r = client.get("/health/bones/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/health/bones"
    assert client.get("/caf%C3%A9/", follow_redirects=False).headers["location"] == "/caf%C3%A9"


def test_a_redirect_marker_pointing_off_the_site_is_not_followed(
    client: TestClient, store: PageStore
) -> None:
    store.set_redirect("health", "planted", "//evil.example/x")
    assert client.get("/health/planted", follow_redirects=False).status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [("/a%00/b", 404), ("/a%00", 404), ("/health/a%0Ab", 404), ("/" + "a" * 300 + "/b", 404),
     ("/health/" + "b" * 300, 404), ("/" + "a/" * 2100, 414), ("/" + "a" * 5000, 414)],
)  # fmt: skip
def test_odd_paths_get_a_clear_4xx_never_a_500(client: TestClient, path: str, status: int) -> None:
    for method in ("GET", "HEAD"):
        r = client.request(method, path, follow_redirects=False)
        assert r.status_code == status, (method, path[:40], r.status_code)


def test_every_answer_carries_the_security_headers(client: TestClient, store: PageStore) -> None:
    store.write(
        article_page("health", "scripted"),
        b"<html><head><style>p{}</style><script type='application/ld+json'>{}</script></head>"
        b"<body><script>go()</script></body></html>",
    )
    answers = [client.get(p, follow_redirects=False) for p in
               ("/health/scripted", "/health/bones", "/feed.xml", "/health/bones/", "/nope",
                "/health/withdrawn", "/a%00/b", "/healthz")]  # fmt: skip
    answers.append(client.post("/health/bones"))
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    page = answers[0].headers["content-security-policy"]
    # Exactly the inline blocks of this page: the script and the style, not the JSON-LD.
    assert "script-src 'self' 'sha256-" in page and page.count("'sha256-") == 2
    assert "'unsafe-inline'" not in page
    assert answers[2].headers["content-security-policy"].startswith("default-src 'none'")


def test_healthz_names_the_page_server(client: TestClient) -> None:
    """The supervisor takes the page server for ready only when /healthz names it."""
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "service": "pages"}
    assert client.head("/healthz").content == b""
