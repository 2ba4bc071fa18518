"""Citations on the page: footnote markers in the body, a numbered reference list that links
back to them, and ``citation`` in the JSON-LD; the sanitiser keeps the footnote markup and
nothing else an editor could smuggle in with it."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import UTC, date, datetime

import pytest
from pyld import jsonld

from services.render.markdown import render_markdown
from services.render.renderer import Card, Renderer, Site
from shared.contracts import Reference
from tests.render.builders import snapshot
from tests.render.test_renderer import XSS

SITE = Site(name="HealthHub", url="https://health.example", views_url="")
GUIDE = Reference(
    key="nhs",
    title="Osteoporosis",
    publisher="NHS",
    url="https://www.nhs.uk/conditions/osteoporosis/",
    accessed=date(2026, 10, 1),
)
TRIAL = Reference(
    key="trial",
    title="Bone density after steroids",
    publisher="A Journal",
    url="https://journal.example/trial",
    accessed=date(2026, 9, 2),
    doi="10.1234/bone.2020(5)",
)
UNCITED = Reference(title="Further reading", publisher="IOF", url="https://iof.example/")
BODY = "Bones thin with age.[^trial] Steroids add to it.[^nhs]\n\nAgain, steroids.[^trial]\n"


def article_html(
    body: str = BODY, references: tuple[Reference, ...] = (GUIDE, TRIAL, UNCITED)
) -> str:
    snap = snapshot(body=body, references=references)
    return Renderer(SITE).article(snap, views=1).decode()


def reference_list(html: str) -> str:
    found = re.search(r'<section class="references".*?</section>', html, re.S)
    assert found is not None
    return found.group(0)


def test_markers_carry_the_reference_number_and_link_to_the_list_and_back() -> None:
    html = article_html()
    markers = re.findall(
        r'<sup class="footnote-ref"><a href="#(ref-\d+)" id="(fnref[0-9:]+)"[^>]*>\[(\d+)\]</a></sup>',
        html,
    )
    # The list keeps the editor's order of references: [^trial] is reference 2, [^nhs] 1.
    assert [(target, number) for target, _, number in markers] == [
        ("ref-2", "2"),
        ("ref-1", "1"),
        ("ref-2", "2"),
    ]
    refs = reference_list(html)
    items = re.findall(r'<li id="([^"]+)">(.*?)</li>', refs, re.S)
    assert [anchor for anchor, _ in items] == ["ref-1", "ref-2", "ref-3"]
    assert "Osteoporosis" in items[0][1] and "NHS" in items[0][1]
    assert "Bone density after steroids" in items[1][1]
    assert "Further reading" in items[2][1]  # not cited, still listed
    # Every marker's target is a list item; every back-link goes to a marker on the page.
    marker_ids = [marker_id for _, marker_id, _ in markers]
    assert len(set(marker_ids)) == 3
    backrefs = {
        anchor: re.findall(r'class="backref" href="#([^"]+)"', inner) for anchor, inner in items
    }
    assert backrefs == {
        "ref-1": [marker_ids[1]],
        "ref-2": [marker_ids[0], marker_ids[2]],
        "ref-3": [],
    }
    for marker_id in marker_ids:
        assert html.count(f'id="{marker_id}"') == 1
    # Accessed date and DOI link.
    assert 'Accessed <time datetime="2026-10-01">1 October 2026</time>' in items[0][1]
    assert 'href="https://doi.org/10.1234/bone.2020(5)"' in items[1][1]
    # The plugin's own footnote section is not on the page: the list is ours alone.
    assert 'class="footnotes"' not in html and "footnote-item" not in html


def test_json_ld_carries_each_reference_as_a_creative_work() -> None:
    html = article_html()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert raw is not None
    page_ld = next(item for item in json.loads(raw.group(1)) if item["@type"] == "MedicalWebPage")
    citations = page_ld["citation"]
    assert [c["@type"] for c in citations] == ["CreativeWork"] * 3
    assert [c["name"] for c in citations] == [
        "Osteoporosis",
        "Bone density after steroids",
        "Further reading",
    ]
    guide, trial, _ = citations
    assert trial["url"] == "https://journal.example/trial"
    assert trial["sameAs"] == "https://doi.org/10.1234/bone.2020(5)"
    assert trial["identifier"] == {
        "@type": "PropertyValue",
        "propertyID": "DOI",
        "value": "10.1234/bone.2020(5)",
    }
    assert guide["publisher"] == {"@type": "Organization", "name": "NHS"}
    assert "sameAs" not in guide


# The terms of schema.org's context that the page's citations use (the tests fetch nothing).
SCHEMA_CONTEXT = {
    "@context": {
        "@vocab": "https://schema.org/",
        "url": {"@type": "@id"},
        "sameAs": {"@type": "@id"},
    }
}
SCHEMA = "https://schema.org/"


def offline_loader(url: str, options: object = None) -> dict[str, object]:
    assert url.rstrip("/") == SCHEMA.rstrip("/"), url
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def test_json_ld_citations_expand_to_schema_org_creative_works() -> None:
    """Read as JSON-LD (expanded against schema.org's vocabulary), not as plain JSON."""
    html = article_html()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert raw is not None
    expanded = jsonld.expand(json.loads(raw.group(1)), {"documentLoader": offline_loader})
    page = next(n for n in expanded if f"{SCHEMA}MedicalWebPage" in n["@type"])
    works = page[f"{SCHEMA}citation"]
    assert [w["@type"] for w in works] == [[f"{SCHEMA}CreativeWork"]] * 3
    assert [w[f"{SCHEMA}name"][0]["@value"] for w in works] == [
        "Osteoporosis",
        "Bone density after steroids",
        "Further reading",
    ]
    trial = works[1]
    assert trial[f"{SCHEMA}sameAs"] == [{"@id": "https://doi.org/10.1234/bone.2020(5)"}]
    assert trial[f"{SCHEMA}url"] == [{"@id": "https://journal.example/trial"}]
    doi = trial[f"{SCHEMA}identifier"][0]
    assert doi[f"{SCHEMA}propertyID"][0]["@value"] == "DOI"
    assert doi[f"{SCHEMA}value"][0]["@value"] == "10.1234/bone.2020(5)"
    publisher = works[0][f"{SCHEMA}publisher"][0]
    assert publisher["@type"] == [f"{SCHEMA}Organization"]
    assert publisher[f"{SCHEMA}name"][0]["@value"] == "NHS"


def test_a_reference_without_a_key_is_cited_by_its_position() -> None:
    plain = Reference(title="Plain", publisher="P", url="https://p.example/")
    html = article_html(body="Cited by number.[^2]\n", references=(GUIDE, plain))
    assert re.search(r'<a href="#ref-2" id="fnref1"[^>]*>\[2\]</a>', html)
    items = re.findall(r'<li id="([^"]+)">(.*?)</li>', reference_list(html), re.S)
    assert items[1][0] == "ref-2" and "Plain" in items[1][1]
    assert 'class="backref" href="#fnref1"' in items[1][1]


def test_an_article_without_references_shows_no_list_and_no_citation() -> None:
    html = article_html(body="No sources.[^1]\n", references=())
    assert 'class="references"' not in html
    assert '"citation"' not in html
    assert "No sources.[^1]" in html  # a marker citing nothing stays text (the API refuses it)


def test_a_marker_in_code_is_not_a_citation() -> None:
    body = render_markdown("Write `[^nhs]` to cite.\n", ["nhs"])
    assert body.citations == ()
    assert "<code>[^nhs]</code>" in body.html


def test_the_slow_path_for_deep_bodies_renders_citations_the_same_way() -> None:
    deep = "> " * 40 + "deep\n\n"
    body = render_markdown(f"{deep}Cited twice.[^nhs] Again.[^nhs]\n", ["nhs"])
    assert [c.index for c in body.citations] == [0]
    assert len(body.citations[0].backrefs) == 2
    assert body.html.count('<a href="#ref-1"') == 2
    assert "[1:1]" not in body.html  # markdown-it-py's caption for a repeat is shown as [1]


def test_feed_entries_link_markers_to_the_page_reference_list() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    card = Card(1, "T", "S", "/health/t", "health", "Health", when, when)
    feed = Renderer(SITE).feed([card], when, {1: "Cited.[^nhs]\n"}, {1: ["nhs"]}).decode()
    assert 'href="#ref-1"' in html_lib.unescape(feed.split("<content", 1)[1])
    assert 'xml:base="https://health.example/health/t"' in feed


@pytest.mark.parametrize("attack", XSS)
def test_footnote_markup_is_kept_but_nothing_an_editor_adds_with_it(attack: str) -> None:
    evil = Reference(
        key="evil",
        title=attack,
        publisher=attack,
        url="javascript:alert(1)",
        doi=f"10.1234/{attack}",
    )
    body = (
        f"Text {attack}.[^evil] More.[^{attack}] [^evil]\n\n"
        f'[^own]: {attack}\n\nUses own.[^own]\n\n[x](#fn1 "{attack}")\n'
    )
    html = article_html(body=body, references=(evil,))
    assert '<sup class="footnote-ref"><a href="#ref-1"' in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script type="application/ld+json">', "<script>"]
    assert not re.search(r"""<[^>]*\b(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
    main = html.split("<main", 1)[1].split("<script>")[0]
    assert not re.search(r"<[^>]+\son\w+\s*=", main)
    assert "<iframe" not in main and "<svg" not in main and "<img src=x" not in main
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None and "</script" not in ld.group(1).lower()
    # Only the footnote classes survive, and ids only in the shapes we make.
    body_html = main.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert set(re.findall(r'class="([^"]*)"', body_html)) <= {"footnote-ref"}
    for value in re.findall(r'\bid="([^"]*)"', body_html):
        assert re.fullmatch(r"[a-z0-9][a-z0-9:-]*", value), value
