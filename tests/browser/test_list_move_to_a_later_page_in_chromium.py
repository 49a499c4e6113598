"""Moving a paper far down a long list, in Chromium: a 50-paper list shows 30 a page, so a
paper typed to place 45 lands on its second page; the reader is taken there, at the paper,
on the list's shared page and in the library alike."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from paperfeed.store import library as lib
from paperfeed.store.accounts import find_user
from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _long_list(live_site: LiveSite) -> lib.Collection:
    """The reader's unlisted "Long list" of 50 papers of the demo store."""
    with live_site.engine.begin() as conn:
        ids = list(conn.execute(select(papers.c.id).order_by(papers.c.id).limit(50)).scalars())
        found = find_user(conn, "lead")
        assert found is not None and len(ids) == 50
        made = lib.ensure_collection(conn, found[0].id, "Long list", "", "unlisted")
        lib.save_papers(conn, found[0].id, ids)
        for pid in ids:
            lib.add_to_collection(conn, made.id, pid)
    return made


def _move(entry: Locator, to: int) -> None:
    """Type a place in the entry's "Move to place" field and press its Move."""
    entry.get_by_label("Move to place").fill(str(to))
    entry.get_by_role("button", name="Move", exact=True).click()


def test_a_paper_moved_to_place_45_is_shown_on_the_page_holding_it(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "lead")
    made = _long_list(live_site)

    page.goto(f"{url}/c/{made.share_key}?order=list")
    first = page.locator("li.list-entry").first
    pid = (first.get_attribute("id") or "").removeprefix("note-")
    _move(first, 45)
    expect(page).to_have_url(
        re.compile(re.escape(f"/c/{made.share_key}?order=list&page=2#note-{pid}") + "$")
    )
    expect(
        page.get_by_role("status").filter(has_text="Moved to place 45 of the list.")
    ).to_be_visible()
    moved = page.locator(f'[id="note-{pid}"]')
    expect(moved).to_contain_text("Place 45 of 50")
    expect(moved).to_be_in_viewport()

    page.goto(f"{url}/library?collection={made.id}&order=list")
    second = page.locator("article.library-item").nth(1)
    other = second.get_attribute("data-id") or ""
    _move(second, 40)
    expect(page).to_have_url(re.compile(r"&order=list&page=2#item-"))
    there = page.locator(f'article.library-item[data-id="{other}"]')
    expect(there).to_contain_text("Place 40 of 50")
    expect(there).to_be_in_viewport()
