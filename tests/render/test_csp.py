"""The Content-Security-Policy allows exactly the templates' inline blocks, at the page
server (hashed from each page) and at the gateway (hashes written in its config); and the
text helper that keeps the feed valid XML."""

from __future__ import annotations

import re
import xml.dom.minidom
from pathlib import Path

from services.render import csp
from services.render.renderer import Renderer, Site
from services.render.xmltext import xml_safe
from tests.render.builders import snapshot

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "deploy" / "nginx" / "default.conf.template"
# As compose runs it: the views API on the same origin as the pages.
COMPOSE_SITE = Site(name="HealthHub", url="https://health.example", views_url="")


def pages(renderer: Renderer) -> list[bytes]:
    return [renderer.article(snapshot(), views=3), renderer.not_found(), renderer.gone()]


def gateway_page_policy() -> str:
    match = re.search(r'map \$uri \$healthhub_csp \{\s*default "([^"]+)";', GATEWAY.read_text())
    assert match is not None
    return match.group(1)


def test_the_gateway_policy_allows_every_inline_block_the_templates_render() -> None:
    scripts: set[str] = set()
    styles: set[str] = set()
    for html in pages(Renderer(COMPOSE_SITE)):
        s, t = csp.inline_hashes(html)
        scripts.update(s)
        styles.update(t)
    assert scripts and styles
    expected = csp.page_policy(sorted(scripts), sorted(styles))
    assert gateway_page_policy() == expected, (
        "The templates' inline script or style changed. Put this policy in the `default` "
        f"line of the map in deploy/nginx/default.conf.template:\n{expected}"
    )


def test_the_page_server_policy_names_the_views_origin_when_it_is_elsewhere() -> None:
    html = Renderer(
        Site(name="HealthHub", url="https://health.example", views_url="https://views.example")
    ).article(snapshot(), views=3)
    policy = csp.policy_for(html, csp.origin_of("https://views.example/"))
    assert "connect-src 'self' https://views.example;" in policy
    # The <noscript> view pixel is an image from the views origin.
    assert "img-src 'self' data: https: https://views.example;" in policy
    plain = csp.policy_for(html, csp.origin_of("http://127.0.0.1:8002"))
    assert "img-src 'self' data: https: http://127.0.0.1:8002;" in plain
    assert csp.origin_of("") == ""


def test_an_injected_inline_script_is_not_allowed_by_another_pages_policy() -> None:
    page = Renderer(COMPOSE_SITE).article(snapshot(), views=3)
    injected = page.replace(b"</main>", b"<script>alert(1)</script></main>")
    allowed = set(csp.inline_hashes(page)[0])
    assert not set(csp.inline_hashes(injected)[0]) <= allowed


def test_xml_safe_text_makes_a_valid_feed_entry() -> None:
    title = "Bones\x01 and\x0b joints\ud800 \t tab"
    xml.dom.minidom.parseString(f"<title>{xml_safe(title)}</title>")  # noqa: S318 - our own text
    assert xml_safe(title) == "Bones and joints \t tab"
