"""lists.py: the filters the editor accepts and the pages around the one shown."""

from __future__ import annotations

import pytest

from services.articles.editor import lists
from tests.articles.editor.conftest import both_backends as backend  # noqa: F401 - both databases


def test_an_empty_list_has_one_page_and_no_links() -> None:
    assert lists.paging(total=0, page=1, status="", q="") == lists.Paging(1, 1, "", "")


def test_the_links_either_side_keep_the_filters() -> None:
    total = 2 * lists.PER_PAGE + 1  # three pages, the last with one article
    middle = lists.paging(total=total, page=2, status="draft", q="kidney stones")
    assert middle.last == 3
    assert middle.prev_link == "/editor/?status=draft&q=kidney+stones"  # page 1: no number
    assert middle.next_link == "/editor/?status=draft&q=kidney+stones&page=3"
    assert lists.paging(total=total, page=3, status="", q="").next_link == ""
    assert lists.paging(total=2 * lists.PER_PAGE, page=2, status="", q="").last == 2


@pytest.mark.parametrize("status", ["deleted", "bogus"])
def test_statuses_the_editor_does_not_offer_are_refused(status: str) -> None:
    with pytest.raises(lists.InvalidFilter):
        lists.parse_query(status=status, q="", page="1")
    assert lists.parse_query(status="archived", q="", page="1").status == "archived"
