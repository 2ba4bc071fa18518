"""Library images on pages: <picture> with srcset, width and height; nothing else gets in."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.render import pageserver
from services.render.markdown import render_markdown
from services.render.pageserver import PageServer
from services.render.renderer import Renderer, Site
from shared.media import MediaImage, media_ids_in
from tests.render.builders import snapshot

SITE = Site(name="HealthHub", url="https://health.example", views_url="")
SHA_HERO = "a" * 64
SHA_BODY = "b" * 64
HERO = MediaImage(
    id=3, sha256=SHA_HERO, width=1500, height=1000, alt="Library alt", original_ext="jpg",
    widths=(320, 640, 960, 1280, 1500),
)  # fmt: skip
DIAGRAM = MediaImage(
    id=7, sha256=SHA_BODY, width=800, height=450, alt="A diagram", original_ext="png",
    widths=(320, 640, 800),
)  # fmt: skip


class Elements(HTMLParser):
    """Every element's tag and attributes, in document order, with its enclosing tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str], tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))
        if tag not in ("img", "source", "meta", "link", "br", "hr", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for t, attrs, _ in self.found if t == tag]

    def within(self, tag: str, ancestor: str) -> list[dict[str, str]]:
        return [attrs for t, attrs, up in self.found if t == tag and ancestor in up]


def srcset_entries(value: str) -> list[tuple[str, int]]:
    out = []
    for part in value.split(","):
        url, width = part.strip().rsplit(" ", 1)
        assert width.endswith("w")
        out.append((url, int(width[:-1])))
    return out


def test_a_body_image_becomes_a_picture_with_srcsets_width_and_height() -> None:
    body = render_markdown('Text.\n\n![A "labelled" diagram](media:7)\n', media=[DIAGRAM]).html
    page = Elements(body)
    (source,) = page.within("source", "picture")
    (img,) = page.within("img", "picture")
    assert source["type"] == "image/webp"
    assert srcset_entries(source["srcset"]) == [
        (f"/media/{SHA_BODY}-{w}.webp", w) for w in (320, 640, 800)
    ]
    assert srcset_entries(img["srcset"]) == [
        (f"/media/{SHA_BODY}-{w}.jpg", w) for w in (320, 640, 800)
    ]
    assert (img["width"], img["height"]) == ("800", "450")
    assert img["alt"] == 'A "labelled" diagram'
    assert img["loading"] == "lazy"
    assert img["sizes"] and source["sizes"] == img["sizes"]
    assert img["src"] == f"/media/{SHA_BODY}-800.jpg"


def test_an_image_without_its_own_alt_uses_the_librarys() -> None:
    (img,) = Elements(render_markdown("![](media:7)", media=[DIAGRAM]).html).all("img")
    assert img["alt"] == "A diagram"


@pytest.mark.parametrize(
    "markdown",
    [
        "![tracker](https://tracker.example/pixel.gif)",
        "![tracker](http://tracker.example/pixel.gif)",
        "![tracker](//tracker.example/pixel.gif)",
        "![data](data:image/png;base64,iVBORw0KGgo=)",
        "![unknown](media:8)",  # not an image this article's snapshot carries
        "![bad](media:7x)",
        "![bad](MEDIA:7)",
        '<img src="media:7" alt="raw html">',
        "[![linked](https://tracker.example/a.png)](https://example.org)",
    ],
)
def test_only_our_own_media_become_images(markdown: str) -> None:
    html = render_markdown(f"Before.\n\n{markdown}\n\nAfter.", media=[DIAGRAM]).html
    page = Elements(html)
    assert page.all("img") == [] and page.all("picture") == [] and page.all("source") == []
    assert "Before." in html and "After." in html


def test_a_link_to_the_media_scheme_goes_nowhere() -> None:
    html = render_markdown("[see](media:7)", media=[DIAGRAM]).html
    assert "media:" not in html
    assert "see" in html


def test_the_hero_is_a_picture_with_dimensions_and_an_absolute_preview_image() -> None:
    snap = snapshot(hero_media=HERO, hero_image_alt="The article's alt", media=(DIAGRAM,),
                    body="Intro.\n\n![](media:7)\n")  # fmt: skip
    page = Elements(Renderer(SITE).article(snap, views=0).decode())
    hero = [a for a in page.within("img", "header") if a.get("class") == "hero"]
    assert len(hero) == 1
    (img,) = hero
    assert (img["width"], img["height"]) == ("1500", "1000")
    assert img["alt"] == "The article's alt"
    assert "loading" not in img and img["fetchpriority"] == "high"
    assert [w for _, w in srcset_entries(img["srcset"])] == [320, 640, 960, 1280, 1500]
    (webp,) = page.within("source", "header")
    assert all(url.endswith(".webp") for url, _ in srcset_entries(webp["srcset"]))
    og = {m["property"]: m["content"] for m in page.all("meta") if "property" in m}
    assert og["og:image"] == f"https://health.example/media/{SHA_HERO}-1500.jpg"
    assert (og["og:image:width"], og["og:image:height"]) == ("1500", "1000")
    body_imgs = page.within("img", "div")
    assert [(a["width"], a["height"]) for a in body_imgs] == [("800", "450")]
    # Every image on the page has a width and a height: no layout shift.
    assert all(a.get("width") and a.get("height") for a in page.all("img"))


def test_an_old_external_hero_still_renders_until_replaced() -> None:
    snap = snapshot(hero_image_url="https://img.example/old.jpg", hero_image_alt="Old hero")
    page = Elements(Renderer(SITE).article(snap, views=0).decode())
    assert [a["src"] for a in page.all("img") if a.get("class") == "hero"] == [
        "https://img.example/old.jpg"
    ]


def test_the_page_server_serves_media_files_with_a_long_cache(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    name = f"{SHA_BODY}-320.webp"
    (media / name).write_bytes(b"RIFF....WEBPVP8 fake")
    (media / "notes.txt").write_bytes(b"secret")
    with TestClient(PageServer(tmp_path / "pages", media_root=media)) as client:
        response = client.get(f"/media/{name}")
        assert response.status_code == 200
        assert response.content == b"RIFF....WEBPVP8 fake"
        assert response.headers["content-type"] == "image/webp"
        assert "immutable" in response.headers["cache-control"]
        assert "max-age=31536000" in response.headers["cache-control"]
        assert response.headers["x-content-type-options"] == "nosniff"
        again = client.get(f"/media/{name}", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        for bad in ("/media/notes.txt", f"/media/{SHA_BODY}-640.webp", "/media/../pages/x",
                    f"/media/{SHA_BODY[:-1]}-320.webp", "/media/"):  # fmt: skip
            assert client.get(bad).status_code == 404, bad
    with TestClient(PageServer(tmp_path / "pages")) as client:
        assert client.get(f"/media/{name}").status_code == 404


def test_alt_text_cannot_break_out_of_its_attribute() -> None:
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    html = render_markdown(f"![{attack}](media:7)", media=[DIAGRAM]).html
    page = Elements(html)
    assert [t for t, _, _ in page.found] == ["p", "picture", "source", "img"]
    (img,) = page.all("img")
    assert "onerror" not in img and img["src"].startswith("/media/")
    assert "<script" not in html
    hero = snapshot(hero_media=HERO, hero_image_alt=attack)
    page = Elements(Renderer(SITE).article(hero, views=0).decode())
    (hero_img,) = [a for a in page.all("img") if a.get("class") == "hero"]
    assert hero_img["alt"] == attack
    assert not any(a.get("src") == "x" for a in page.all("img"))


def test_a_media_name_that_is_a_directory_or_unreadable_is_a_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / f"{SHA_BODY}-320.webp").mkdir()  # a directory with a valid media name
    (media / f"{SHA_BODY}-640.webp").write_bytes(b"unreadable")
    with TestClient(
        PageServer(tmp_path / "pages", media_root=media), raise_server_exceptions=False
    ) as client:
        assert client.get(f"/media/{SHA_BODY}-320.webp").status_code == 404

        real_open = open

        def refusing_open(path: str, *args: object, **kwargs: object) -> object:
            if str(path).endswith("-640.webp"):
                raise PermissionError(13, "Permission denied", path)
            return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

        # Tests run as root, where chmod 000 does not refuse a read: refuse it at open().
        monkeypatch.setattr(pageserver, "open", refusing_open, raising=False)
        assert client.get(f"/media/{SHA_BODY}-640.webp").status_code == 404


def _image(media_id: int) -> MediaImage:
    return DIAGRAM.model_copy(update={"id": media_id, "sha256": f"{media_id:064x}"})


def _shown(html: str) -> set[int]:
    return {int(sha, 16) for sha in re.findall(r'<img[^>]* src="/media/([0-9a-f]{64})-', html)}


@pytest.mark.parametrize(
    "body",
    [
        "![a \\] b](media:7)",  # an escaped "]" in the alt text
        "![a [b] c](media:7)",  # balanced brackets in the alt text
        "![a `]` c](media:7)",  # "]" in a code span of the alt text
        "![x][ref]\n\n[ref]: media:7",  # reference-style
        "![ref]\n\n[ref]: <media:7>",  # shortcut reference
        "![ref][]\n\n[REF]: media:7 'title'",  # collapsed, case-insensitive label
        "![![inner](media:8)](media:7)",  # an image in an image's alt text
        "| a |\n|---|\n| ![x](media:7) |",  # in a table
        "> " * 20 + "deep\n\n![top](media:7)\n\n" + "> " * 20 + "![lost](media:8)",  # slow parser
        "`![code](media:8)` and\n\n    ![indented code](media:8)\n\n![real](media:7)",
        "![link not image]](media:8) [![in a link](media:7)](https://x.example)",
    ],
)
def test_every_image_a_body_shows_is_counted_and_nothing_else(body: str) -> None:
    """Counted (the in-use check, the snapshot's images) and shown are one set: an image
    shown but not counted could be deleted from under the page; one counted but not shown
    would block a delete for nothing. render shows only what the snapshot carries, which
    is what is counted; so rendering with every id available must show exactly those."""
    counted = media_ids_in(body)
    everything = [_image(i) for i in range(1, 20)]
    shown = _shown(render_markdown(body, media=everything).html)
    assert shown == set(counted), (shown, counted)
    assert _shown(render_markdown(body, media=[_image(i) for i in counted]).html) == shown
