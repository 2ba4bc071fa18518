"""The article page's table of contents is an outline: each h3 sits in a list nested inside
its h2's item, so the top-level items number 1, 2, 3… whatever the subsections."""

from __future__ import annotations

from html.parser import HTMLParser

from services.render.markdown import TocEntry, toc_tree
from services.render.renderer import Renderer, Site
from services.seed import read_sample
from tests.render.builders import bones, snapshot

SITE = Site(name="HealthHub", url="https://health.example", views_url="")

Outline = list[tuple[str, str, "Outline"]]


class _TocOutline(HTMLParser):
    """Reads the ``<nav class="toc">`` of a page into (text, href, children) triples, from the
    nesting of its ``<ol>`` and ``<li>`` elements alone."""

    def __init__(self) -> None:
        super().__init__()
        self.in_toc = False
        self.lists: list[Outline] = []  # the open <ol> elements, outermost first
        self.items: list[tuple[str, str, Outline]] = []  # the open <li> elements
        self.outline: Outline | None = None
        self.href: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav" and ("class", "toc") in attrs:
            self.in_toc = True
        if not self.in_toc:
            return
        if tag == "ol":
            children: Outline = self.items[-1][2] if self.items else []
            self.lists.append(children)
        elif tag == "li":
            self.items.append(("", "", []))
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.text = ""

    def handle_data(self, data: str) -> None:
        if self.href is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if not self.in_toc:
            return
        if tag == "a" and self.href is not None:
            _, _, children = self.items[-1]
            self.items[-1] = (self.text, self.href, children)
            self.href = None
        elif tag == "li":
            self.lists[-1].append(self.items.pop())
        elif tag == "ol":
            done = self.lists.pop()
            if not self.lists:
                self.outline = done
        elif tag == "nav":
            self.in_toc = False


def toc_of(html: str) -> Outline:
    parser = _TocOutline()
    parser.feed(html)
    assert parser.outline is not None, "the page has no table of contents"
    return parser.outline


def test_the_sample_articles_toc_nests_each_h3_under_its_h2() -> None:
    _, articles = read_sample()
    sample = next(a for a in articles if a.slug == "is-osteoporosis-an-autoimmune-disease")
    snap = snapshot(title=str(sample.front["title"]), body=sample.body, category=bones())
    html = Renderer(SITE).article(snap, views=0).decode()
    assert toc_of(html) == [
        ("What is osteoporosis?", "#what-is-osteoporosis", []),
        ("What are autoimmune diseases?", "#what-are-autoimmune-diseases", []),
        (
            "Why osteoporosis is not classed as autoimmune",
            "#why-osteoporosis-is-not-classed-as-autoimmune",
            [],
        ),
        (
            "How autoimmune conditions can raise the risk",
            "#how-autoimmune-conditions-can-raise-the-risk",
            [
                ("Inflammation", "#inflammation", []),
                ("Poor absorption of nutrients", "#poor-absorption-of-nutrients", []),
                ("Reduced activity", "#reduced-activity", []),
                ("Treatment with corticosteroids", "#treatment-with-corticosteroids", []),
            ],
        ),
        ("Prevention and diagnosis", "#prevention-and-diagnosis", []),
        ("When to see a doctor", "#when-to-see-a-doctor", []),
    ]
    # Every entry points at a heading that exists on the page.
    for _, href, children in toc_of(html):
        assert f'id="{href[1:]}"' in html
        assert all(f'id="{child[1:]}"' in html for _, child, _ in children)


def test_a_body_starting_with_an_h3_keeps_it_at_the_top_level() -> None:
    body = "### Before\n\nx\n\n## Middle\n\ny\n\n### Detail\n\nz\n\n## Last\n"
    html = Renderer(SITE).article(snapshot(body=body), views=0).decode()
    assert toc_of(html) == [
        ("Before", "#before", []),
        ("Middle", "#middle", [("Detail", "#detail", [])]),
        ("Last", "#last", []),
    ]


def test_toc_tree_nests_any_depth_and_climbs_back_out() -> None:
    entries = [TocEntry(level, f"a{i}", f"t{i}") for i, level in enumerate([2, 3, 4, 3, 2, 4])]
    tree = toc_tree(entries)
    shape = [
        (n.entry.text, [(c.entry.text, [g.entry.text for g in c.children]) for c in n.children])
        for n in tree
    ]
    assert shape == [("t0", [("t1", ["t2"]), ("t3", [])]), ("t4", [("t5", [])])]
