"""The page store: atomic writes, and nothing outside the store, ever."""

from __future__ import annotations

import gzip
import os
import shutil
import threading
from pathlib import Path

import pytest

from services.render.store import PageStore, UnsafePath, article_page


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path: Path) -> None:
    store = PageStore(tmp_path / "pages")
    rel = article_page("health", "bones")
    old, new = b"A" * 200_000, b"B" * 200_000
    store.write(rel, old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = store.read(rel)
            assert data is not None
            seen.add(data)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(200):
        store.write(rel, new if i % 2 == 0 else old)
    stop.set()
    for t in threads:
        t.join()
    assert seen <= {old, new}  # a reader only ever saw a whole page
    assert gzip.decompress((store.root / (rel + ".gz")).read_bytes()) in (old, new)
    assert not [p for p in store.root.rglob(".tmp-*")]


@pytest.mark.parametrize(
    ("category", "slug"),
    [("..", "x"), ("health", ".."), ("health", "%2e%2e"), ("health", "a/b"), ("health", "a\x00b"),
     ("health", "x" * 121), ("health", "Ｈealth"), ("health", "UPPER"), ("", "x")],
)  # fmt: skip
def test_unsafe_slugs_never_become_paths(tmp_path: Path, category: str, slug: str) -> None:
    with pytest.raises(UnsafePath):
        article_page(category, slug)
    store = PageStore(tmp_path / "pages")
    with pytest.raises(UnsafePath):
        store.mark_gone(category, slug)
    with pytest.raises(UnsafePath):
        store.write("../escape.html", b"x")
    assert not (tmp_path / "escape.html").exists()


def test_sweep_removes_only_old_temp_files(tmp_path: Path) -> None:
    store = PageStore(tmp_path / "pages")
    old = store.root / ".tmp-old"
    fresh = store.root / ".tmp-fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(old, (1, 1))
    assert store.sweep_temp_files(older_than_seconds=60) == 1
    assert not old.exists() and fresh.exists()


def test_a_page_goes_into_a_new_directory_and_one_removed_meanwhile_comes_back(
    tmp_path: Path,
) -> None:
    """The store makes a page's directory when it finds it missing, whenever that is: the
    first write there, or a write after someone removed it (the store keeps no list of the
    directories it saw, which would grow with the site)."""
    store = PageStore(tmp_path / "pages")
    first, second = article_page("health", "bones"), article_page("health", "joints")
    store.write(first, b"<p>bones</p>")
    store.write(second, b"<p>joints</p>")
    assert store.read(first) == b"<p>bones</p>"
    shutil.rmtree(store.root / "health")
    store.write(first, b"<p>bones again</p>")
    assert store.read(first) == b"<p>bones again</p>"
    assert gzip.decompress((store.root / (first + ".gz")).read_bytes()) == b"<p>bones again</p>"
    assert store.read(second) is None  # removed, and nobody wrote it again
    assert not [p for p in store.root.rglob(".tmp-*")]
