"""The page server over HTTP: caching headers, compression, HEAD, 301, 410, 404."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
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
    with httpx.Client(transport=client._transport, base_url="http://testserver") as raw:
        r = raw.get("/health/bones", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    head = client.head("/health/bones", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(b"<h1>Bones</h1>" * 100)
    assert (
        gzip.decompress(r.content) == b"<h1>Bones</h1>" * 100
        if r.content[:2] == b"\x1f\x8b"
        else True
    )


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
