"""A reader of a workshop's public collection on a phone sees which papers had a new version
since they were put in it ("v3 · revised 12 Jun", "Revised since added"), the page no wider
than the screen and the paper's hostile title inert. In Chromium."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from paperfeed.models import Version
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.library import collection_items, edit_collection, save_paper, user_collections
from paperfeed.util import utcnow
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up
from tests.web_support import HOSTILE, HOSTILE_ID

pytestmark = pytest.mark.browser


def test_a_revised_paper_is_marked_on_a_phone(browser: Browser, live_site: LiveSite) -> None:
    curator = browser.new_context()
    sign_up(curator.new_page(), live_site.url, "curator")
    curator.close()
    with live_site.engine.begin() as conn:
        owner = int(conn.scalar(select(users.c.id).where(users.c.username == "curator")) or 0)
        save_paper(conn, owner, HOSTILE_ID, "Workshop <i>accepted</i>")
        [mine] = user_collections(conn, owner)
        edit_collection(conn, owner, mine.id, "", "public")
        where = collection_items.c.collection_id == mine.id
        conn.execute(
            update(collection_items).where(where).values(added_at=utcnow() - timedelta(days=30))
        )
    camera_ready = datetime.combine(utcnow().date() - timedelta(days=1), datetime.min.time())
    dated = (
        Version(1, camera_ready - timedelta(days=90)),
        Version(2, camera_ready - timedelta(days=40)),
    )
    v3 = replace(HOSTILE, version=3, versions=(*dated, Version(3, camera_ready)))
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [v3])

    phone = browser.new_context(viewport={"width": 320, "height": 640})
    page = phone.new_page()
    alerts: list[str] = []
    answer_next_dialog(page, False, alerts)
    page.goto(f"{live_site.url}/c/{mine.share_key}")
    card = page.locator(f'article[data-id="{HOSTILE_ID}"]')
    mark = card.locator(".revised")
    expect(mark).to_have_text(f"v3 · revised {camera_ready.day} {camera_ready:%b}")
    expect(mark.locator("time")).to_have_attribute("datetime", f"{camera_ready:%Y-%m-%d}")
    expect(page.locator(".list-revised")).to_have_text("Revised since added: now v3")
    assert mark.bounding_box() is not None and page.locator(".list-revised").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scroll
    assert alerts == []  # the title's script did not run
    expect(card.locator("h3")).to_contain_text("<script>")  # shown as typed
    phone.close()
