"""A reader arranges a private collection (it has no shared page) from their library in
Chromium: they choose the list's order and click Move up, and type a place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store import library as lib
from paperfeed.store.accounts import find_user
from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def _thesis(page: Page, live_site: LiveSite) -> tuple[int, list[str]]:
    """The reader's private collection of three papers of the newest day, put in in the day
    page's order: its id and the papers as put in."""
    page.goto(live_site.url + newest_day_path(live_site.engine))
    ids = [a.get_attribute("data-id") or "" for a in page.locator("article.card").all()][:3]
    with live_site.engine.begin() as conn:
        found = find_user(conn, "writer")
        assert found is not None
        uid = found[0].id
        thesis = lib.ensure_collection(conn, uid, "Thesis", "", "private")
        lib.save_papers(conn, uid, ids)
        for pid in ids:
            lib.add_to_collection(conn, thesis.id, pid)
    return thesis.id, ids


def _papers(page: Page) -> list[str]:
    return [a.get_attribute("data-id") or "" for a in page.locator("article.library-item").all()]


def test_a_reader_orders_a_private_collection_in_their_library(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "writer")
    col, ids = _thesis(page, live_site)
    page.goto(f"{url}/library?collection={col}")
    expect(page.get_by_role("button", name="Move up")).to_have_count(0)
    page.get_by_role("navigation", name="Order").get_by_role(
        "link", name="the list’s order"
    ).click()
    expect(page).to_have_url(re.compile(rf"/library\?collection={col}&order=list$"))
    expect(page.get_by_role("button", name="Move up").first).to_be_visible()  # the new page
    assert _papers(page) == ids
    third = page.get_by_role("form", name=re.compile("up or down$")).nth(2)
    third.get_by_role("button", name="Move up").click()
    expect(page).to_have_url(re.compile(rf"/library\?collection={col}&order=list#item-"))
    expect(page.get_by_role("status").filter(has_text="Moved to place 2")).to_have_count(1)
    assert _papers(page) == [ids[0], ids[2], ids[1]]
    # from the keyboard: the first paper's place field, type 3, Enter
    place = page.get_by_role("form", name=re.compile("to a place$")).first
    place.get_by_label("Move to place").focus()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.locator("article.library-item").last).to_have_attribute("data-id", ids[0])
    assert _papers(page) == [ids[2], ids[1], ids[0]]
    current = page.get_by_role("navigation", name="Order").locator("[aria-current=page]")
    expect(current).to_have_text("the list’s order")
