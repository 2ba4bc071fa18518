"""People on pages (real SQLite and PostgreSQL read models): article pages link authors and
the reviewer and describe them as schema.org Persons; profile pages list a person's live
articles; a rename re-renders exactly the pages that show the person."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.render import people, rebuild, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import RenderSettings
from shared.contracts import ArticleSnapshot, CategoryRef, PersonEvent, PersonRef
from shared.media import MediaImage
from tests.render.builders import snapshot

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY1 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HEALTH = CategoryRef(slug="health", name="Health")
ANN = PersonRef(id=1, version=1, slug="ann-lee", name="Ann Lee", credentials="RN")
BO = PersonRef(id=2, version=1, slug="bo-chan", name="Dr Bo Chan", credentials="MD, FRCP")
CY = PersonRef(id=3, version=1, slug="cy-park", name="Cy Park")


@pytest.fixture
def rt(render_settings: RenderSettings) -> Iterator[RenderRuntime]:
    runtime = RenderRuntime.from_settings(render_settings)
    yield runtime
    runtime.close()


def art(
    aid: int, authors: tuple[PersonRef, ...], reviewer: PersonRef | None, **kw: Any
) -> ArticleSnapshot:
    when = DAY1 + timedelta(days=aid)
    fields: dict[str, Any] = {
        "id": aid,
        "version": 1,
        "slug": f"article-{aid}",
        "category": HEALTH,
        "title": f"Article {aid}",
        "summary": f"About {aid}.",
        "tags": (f"tag-{aid}",),
        "authors": tuple(p.name for p in authors),
        "author_people": authors,
        "reviewer": reviewer,
        "reviewed_by": reviewer.name if reviewer else None,
        "last_reviewed": date(2025, 6, 1) if reviewer else None,
        "created_at": when,
        "updated_at": when,
        "published_at": when,
    }
    fields.update(kw)
    return snapshot(**fields)


def apply(rt: RenderRuntime, snap: ArticleSnapshot) -> service.ApplyResult:
    with rt.db.transaction() as session:
        repository.lock_article(session, snap.id)
        result = service.apply_snapshot(session, rt.store, rt.site, snap, now=NOW)
        repository.mark_dirty(session, result.dirty, NOW)
    return result


def apply_person(rt: RenderRuntime, person: PersonRef, **kw: Any) -> people.PersonResult:
    event = PersonEvent(occurred_at=NOW, person=person, **kw)
    with rt.db.transaction() as session:
        result = people.apply_person(session, rt.store, event)
        repository.mark_dirty(session, result.dirty, NOW)
    return result


def drain(rt: RenderRuntime) -> list[str]:
    written: list[str] = []
    for _ in range(10):
        run = service.render_dirty(rt.db, rt.store, rt.site, now=NOW)
        written += run.written
        if not run.keys:
            break
    return written


def read(rt: RenderRuntime, rel: str) -> str:
    return (rt.store.root / rel).read_text()


def json_ld(html: str) -> list[Any]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return (
        [*json.loads(blocks[0])] if blocks[0].lstrip().startswith("[") else [json.loads(blocks[0])]
    )


def test_an_article_page_links_its_people_and_describes_them_as_persons(
    rt: RenderRuntime,
) -> None:
    apply(rt, art(1, (ANN, CY), BO))
    html = read(rt, "health/article-1/index.html")
    assert '<a class="author" rel="author" href="/people/ann-lee">Ann Lee</a>, RN' in html
    assert (
        'Medically reviewed by <a class="reviewer" href="/people/bo-chan">Dr Bo Chan</a>, '
        'MD, FRCP, on <time datetime="2025-06-01">1 June 2025</time>.'
    ) in html
    page = json_ld(html)[0]
    assert [a["@type"] for a in page["author"]] == ["Person", "Person"]
    assert [a["name"] for a in page["author"]] == ["Ann Lee", "Cy Park"]
    assert page["author"][0]["url"] == "https://health.example/people/ann-lee"
    assert page["author"][0]["honorificSuffix"] == "RN"
    assert page["reviewedBy"] == {
        "@type": "Person",
        "name": "Dr Bo Chan",
        "honorificSuffix": "MD, FRCP",
        "url": "https://health.example/people/bo-chan",
    }
    assert page["lastReviewed"] == "2025-06-01"


def test_a_profile_page_lists_the_live_articles_of_the_person_with_person_json_ld(
    rt: RenderRuntime,
) -> None:
    apply_person(rt, BO.model_copy(update={"bio": "Consultant rheumatologist."}))
    apply(rt, art(1, (ANN,), BO))
    apply(rt, art(2, (BO,), None))
    apply(rt, art(3, (ANN,), None))
    drain(rt)
    html = read(rt, "people/bo-chan/index.html")
    assert 'href="/health/article-1"' in html and 'href="/health/article-2"' in html
    assert 'href="/health/article-3"' not in html  # Bo is not on it
    assert "Medical reviewer" in html and "Consultant rheumatologist." in html
    ld = json_ld(html)[0]
    assert ld["@type"] == "ProfilePage"
    assert ld["mainEntity"]["@type"] == "Person"
    assert ld["mainEntity"]["name"] == "Dr Bo Chan"
    assert ld["mainEntity"]["honorificSuffix"] == "MD, FRCP"
    # Unpublishing article 2 takes it off Bo's profile.
    apply(rt, art(2, (BO,), None, version=2, status="unpublished"))
    drain(rt)
    assert 'href="/health/article-2"' not in read(rt, "people/bo-chan/index.html")


def test_renaming_a_person_re_renders_exactly_the_pages_that_show_them(
    rt: RenderRuntime,
) -> None:
    for person in (ANN, BO, CY):
        apply_person(rt, person)
    apply(rt, art(1, (ANN,), BO))
    apply(rt, art(2, (BO,), None))
    apply(rt, art(3, (CY,), None))
    apply(rt, art(4, (ANN,), BO, version=2, status="unpublished"))
    drain(rt)
    untouched = read(rt, "health/article-3/index.html")

    renamed = BO.model_copy(update={"version": 2, "name": "Prof Bo Chan", "credentials": "MD, PhD"})
    result = apply_person(rt, renamed)
    assert result.dirty == {"person:2", "article:1", "article:2"}  # not 3, not the unpublished 4
    written = drain(rt)
    assert sorted(written) == [
        "health/article-1/index.html",
        "health/article-2/index.html",
        "people/bo-chan/index.html",
    ]
    page1 = read(rt, "health/article-1/index.html")
    assert ">Prof Bo Chan</a>, MD, PhD, on" in page1
    assert json_ld(page1)[0]["reviewedBy"]["name"] == "Prof Bo Chan"
    assert json_ld(read(rt, "health/article-2/index.html"))[0]["author"][0]["honorificSuffix"] == (
        "MD, PhD"
    )
    assert read(rt, "health/article-3/index.html") == untouched
    # The same event again, or an older one, changes nothing.
    assert not apply_person(rt, renamed).applied
    assert not apply_person(rt, BO).applied


def test_an_older_snapshot_copy_of_a_person_never_undoes_a_rename(rt: RenderRuntime) -> None:
    apply_person(rt, BO.model_copy(update={"version": 3, "name": "Prof Bo Chan"}))
    apply(rt, art(1, (BO,), None))  # the article's snapshot still has version 1 of Bo
    assert ">Prof Bo Chan</a>" in read(rt, "health/article-1/index.html")


def test_a_new_profile_slug_redirects_the_old_one_and_a_deleted_person_loses_the_page(
    rt: RenderRuntime,
) -> None:
    apply_person(rt, CY)
    apply(rt, art(3, (CY,), None))
    drain(rt)
    assert (rt.store.root / "people/cy-park/index.html").exists()
    apply_person(rt, CY.model_copy(update={"version": 2, "slug": "cy-park-rn"}))
    drain(rt)
    assert not (rt.store.root / "people/cy-park/index.html").exists()
    assert (rt.store.root / "people/cy-park-rn/index.html").exists()
    assert (rt.store.root / "_redirects/people/cy-park").read_text() == "/people/cy-park-rn"
    result = apply_person(
        rt, CY.model_copy(update={"version": 3, "slug": "cy-park-rn"}), deleted=True
    )
    assert result.applied and not result.dirty
    assert not (rt.store.root / "people/cy-park-rn/index.html").exists()


def test_a_full_re_render_writes_profiles_and_shows_people_as_renamed(rt: RenderRuntime) -> None:
    apply(rt, art(1, (ANN,), BO))
    apply_person(rt, BO.model_copy(update={"version": 2, "name": "Prof Bo Chan"}))
    drain(rt)
    (rt.store.root / "people/bo-chan/index.html").unlink()
    (rt.store.root / "health/article-1/index.html").unlink()
    with rt.db.reading() as session:
        ids = repository.live_ids(session)
        keys = sorted(service.full_listing_keys(session))
    assert {"person:1", "person:2"} <= set(keys)
    rebuild.run_batch(rt.db, rt.store, rt.site, ids, keys, now=NOW)
    assert ">Prof Bo Chan</a>, MD, FRCP, on" in read(rt, "health/article-1/index.html")
    assert "<h1>Prof Bo Chan</h1>" in read(rt, "people/bo-chan/index.html")
    assert "<h1>Ann Lee</h1>" in read(rt, "people/ann-lee/index.html")


PORTRAIT = MediaImage(
    id=5, sha256="c" * 64, width=800, height=1000, alt="A portrait", original_ext="jpg",
    widths=(320, 640, 800),
)  # fmt: skip


def test_a_library_photo_is_a_picture_on_the_profile_and_the_json_ld_image(
    rt: RenderRuntime,
) -> None:
    ann = ANN.model_copy(update={"photo": PORTRAIT})
    apply_person(rt, ann)
    apply(rt, art(1, (ann,), None))
    drain(rt)
    html = read(rt, "people/ann-lee/index.html")
    (portrait,) = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert 'class="portrait"' in portrait and 'alt="Ann Lee"' in portrait
    assert f"/media/{'c' * 64}-320.webp 320w" in portrait
    assert f"/media/{'c' * 64}-800.jpg 800w" in portrait
    largest = f"{rt.site.url}/media/{'c' * 64}-800.jpg"
    assert json_ld(html)[0]["mainEntity"]["image"] == largest
    # The article's JSON-LD describes the author with the same image.
    page = read(rt, "health/article-1/index.html")
    (author,) = json_ld(page)[0]["author"]
    assert author["image"] == largest


def test_an_old_person_message_without_a_photo_still_validates() -> None:
    old = {"id": 1, "version": 1, "slug": "ann-lee", "name": "Ann Lee", "photo_url": None}
    assert PersonRef.model_validate(old).photo is None
