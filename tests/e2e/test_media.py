"""End to end, real processes: an uploaded image reaches readers through the page server.

An editor uploads a phone picture (EXIF with a GPS position) and a diagram, publishes an
article with the picture as hero and the diagram in the body; the page carries both as
<picture> with srcset, width and height, and every file those srcsets name is served by the
page server: a real image of the width it claims, without the EXIF.
"""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.stack import Stack, wait_for
from tests.e2e.test_browser import READER_UA, chromium  # noqa: F401 (a fixture)
from tests.images import CAMERA_MAKE, GPS_IFD, jpeg, jpeg_with_gps
from tests.render.test_media_render import Elements, srcset_entries

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("show_logs_on_failure")]


def test_an_uploaded_hero_and_body_image_are_served_with_the_published_page(stack: Stack) -> None:
    editor = {"Authorization": f"Bearer {stack.token()}"}
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    api = f"{stack.articles}/api/v1"
    made = httpx.post(
        f"{api}/categories", json={"slug": "media-e2e", "name": "Media"}, headers=admin, timeout=10
    )
    assert made.status_code in (201, 409), made.text

    def upload(data: bytes, alt: str) -> dict[str, object]:
        response = httpx.post(
            f"{api}/media",
            files={"file": ("upload.jpg", data, "image/jpeg")},
            data={"alt": alt},
            headers=editor,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        item: dict[str, object] = response.json()
        return item

    hero = upload(jpeg_with_gps(1400, 900), "A walk in the park")
    diagram = upload(jpeg(700, 400, seed=21), "A diagram of the hip")
    created = httpx.post(
        f"{api}/articles",
        json={
            "title": "Walking for bone health",
            "slug": "walking-for-bone-health",
            "category": "media-e2e",
            "hero_media_id": hero["id"],
            "body": f"## Why walking helps\n\nLoad builds bone.\n\n![]"
            f"(media:{diagram['id']})\n\n![tracker](https://tracker.example/p.gif)\n",
        },
        headers=editor,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    article = created.json()
    published = httpx.post(f"{api}/articles/{article['id']}/publish", headers=editor, timeout=10)
    assert published.status_code == 200, published.text

    response = wait_for(
        "the article page",
        lambda: (r := httpx.get(stack.pages + article["path"], timeout=5)).status_code == 200 and r,
    )
    page = Elements(response.text)
    imgs = page.all("img")
    assert not any("tracker.example" in a.get("src", "") for a in imgs)
    (hero_img,) = [a for a in imgs if a.get("class") == "hero"]
    assert (hero_img["width"], hero_img["height"]) == ("1400", "900")
    assert hero_img["alt"] == "A walk in the park"
    (body_img,) = [a for a in imgs if a.get("alt") == "A diagram of the hip"]
    assert (body_img["width"], body_img["height"]) == ("700", "400")

    sources = page.all("source")
    assert len(sources) == 2
    fetched = 0
    for srcset, fmt in [
        *((s["srcset"], "WEBP") for s in sources),
        (hero_img["srcset"], "JPEG"),
        (body_img["srcset"], "JPEG"),
    ]:
        for url, width in srcset_entries(srcset):
            served = httpx.get(stack.pages + url, timeout=5)
            assert served.status_code == 200, url
            assert "immutable" in served.headers["cache-control"]
            with Image.open(io.BytesIO(served.content)) as image:
                assert image.format == fmt
                assert image.width == width
                assert not image.getexif().get_ifd(GPS_IFD)
            assert CAMERA_MAKE.encode() not in served.content
            fetched += 1
    assert fetched == 2 * (5 + 3)  # hero: 320..1280 and 1400; diagram: 320, 640, 700

    # In use: the library refuses to delete it while the page shows it.
    refused = httpx.delete(f"{api}/media/{hero['id']}", headers=editor, timeout=10)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.usefixtures("sample_site")
def test_the_sample_site_shows_its_drawn_images(stack: Stack) -> None:
    path = "/health/is-osteoporosis-an-autoimmune-disease"
    response = wait_for(
        "the sample article",
        lambda: (r := httpx.get(stack.pages + path, timeout=5)).status_code == 200 and r,
    )
    page = Elements(response.text)
    (hero,) = [a for a in page.all("img") if a.get("class") == "hero"]
    assert hero["alt"] == "A stylised thigh bone on a blue background"
    assert (hero["width"], hero["height"]) == ("1600", "900")
    charts = [a for a in page.within("img", "div") if a["alt"].startswith("Bar chart")]
    assert len(charts) == 1
    url, width = srcset_entries(charts[0]["srcset"])[0]
    served = httpx.get(stack.pages + url, timeout=5)
    with Image.open(io.BytesIO(served.content)) as image:
        assert (image.format, image.width) == ("JPEG", width)


@pytest.mark.usefixtures("sample_site")
def test_in_a_real_browser_images_load_small_and_their_boxes_are_reserved(
    stack: Stack,
    chromium: Any,  # noqa: F811
) -> None:
    path = "/health/is-osteoporosis-an-autoimmune-disease"
    wait_for(
        "the sample article", lambda: httpx.get(stack.pages + path, timeout=5).status_code == 200
    )
    context = chromium.new_context(user_agent=READER_UA, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto(stack.pages + path, wait_until="load")
        hero = page.locator("img.hero")
        page.wait_for_function("() => document.querySelector('img.hero').complete")
        natural, chosen = hero.evaluate("img => [img.naturalWidth, img.currentSrc]")
        # A phone-wide column (358 CSS px): the 640 WebP rendition, not the 1600-pixel one,
        # shown at the slot's width (srcset w descriptors set its density).
        assert chosen.endswith("-640.webp"), chosen
        assert natural == 358
        chart = page.locator(".body picture img")
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => { const i = document.querySelector('.body picture img');"
            " return i.complete && i.naturalWidth > 0; }"
        )
        assert errors == []
        # No layout shift: width and height reserve each image's box before a byte of it
        # arrives. Shown with every image request held unanswered while the boxes are
        # measured: they already have the images' shapes (without the attributes they would
        # be a few pixels high until the bytes came, and the text below would jump).
        held: list[Any] = []
        # A context of its own: a page of the first one may take the images from the
        # renderer's memory cache, which no route sees (CI once waited for requests that
        # never came).
        fresh = chromium.new_context(user_agent=READER_UA, viewport={"width": 390, "height": 844})
        waiting = fresh.new_page()
        waiting.route("**/media/**", lambda route: held.append(route))
        waiting.goto(stack.pages + path, wait_until="domcontentloaded")
        # Polled with Playwright's own wait: route handlers run only while Playwright has
        # the thread (a time.sleep() loop, as wait_for does, never lets them run).
        deadline = time.monotonic() + 20
        while not held:
            assert time.monotonic() < deadline, "the image requests never came"
            waiting.wait_for_timeout(100)
        for selector, (w, h) in (("img.hero", (1600, 900)), (".body picture img", (1200, 700))):
            assert waiting.locator(selector).evaluate("img => !img.complete"), selector
            box = waiting.locator(selector).bounding_box()
            assert box is not None and box["width"] > 300, selector
            assert abs(box["height"] - box["width"] * h / w) < 1.5, (selector, box)
        for route in held:
            route.abort()
        fresh.close()
    finally:
        context.close()
