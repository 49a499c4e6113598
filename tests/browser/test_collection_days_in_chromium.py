"""A reader in Tokyo reads when a paper was added to a shared collection on her own calendar:
on the public collections' list and in For you's "New in collections you follow". In Chromium."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from paperfeed.store.accounts import users
from paperfeed.store.library import (
    collection_items,
    edit_collection,
    save_paper,
    shared_collection,
    user_collections,
)
from paperfeed.store.shared_lists import follow_collection
from paperfeed.util import utcnow
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def _uid(site: LiveSite, name: str) -> int:
    with site.engine.connect() as conn:
        return int(conn.scalar(select(users.c.id).where(users.c.username == name)) or 0)


def test_a_collections_added_day_is_the_readers_own(browser: Browser, live_site: LiveSite) -> None:
    # 20:30 UTC yesterday (within For you's days of news) is 05:30 today in Tokyo.
    yesterday = utcnow().date() - timedelta(days=1)
    evening = datetime.combine(yesterday, time(20, 30))
    utc_day, tokyo_day = yesterday.isoformat(), (yesterday + timedelta(days=1)).isoformat()
    curator = browser.new_context()
    sign_up(curator.new_page(), live_site.url, "curator")
    curator.close()
    tokyo = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    page = tokyo.new_page()
    sign_up(page, live_site.url, "tokyo4")
    owner, reader = _uid(live_site, "curator"), _uid(live_site, "tokyo4")
    with live_site.engine.begin() as conn:
        save_paper(conn, owner, HOSTILE_ID, "Tokyo reading group")
        [mine] = user_collections(conn, owner)
        edit_collection(conn, owner, mine.id, "", "public")
        conn.execute(
            update(collection_items)
            .where(collection_items.c.collection_id == mine.id)
            .values(added_at=evening)
        )
        shared = shared_collection(conn, mine.share_key)
        assert shared is not None
        follow_collection(conn, reader, shared)
    page.goto(f"{live_site.url}/collections")
    entry = page.locator(".collections-list li").filter(has_text="Tokyo reading group")
    added = entry.locator("time")
    expect(added).to_have_text(tokyo_day)
    expect(added).to_have_attribute("title", f"{utc_day} 20:30 UTC")
    expect(entry.locator(".meta")).to_contain_text(f"added to {tokyo_day}")
    page.goto(f"{live_site.url}/for-you")
    news = page.locator(".list-news li").filter(has_text="Tokyo reading group").locator("time")
    expect(news).to_have_text(tokyo_day)
    spoken = (yesterday + timedelta(days=1)).strftime("%-d %B %Y")
    expect(news).to_have_attribute("aria-label", spoken)
    tokyo.close()
    plain = browser.new_context(java_script_enabled=False, timezone_id="Asia/Tokyo")
    bare = plain.new_page()  # without JavaScript: the UTC day, the UTC moment in its title
    bare.goto(f"{live_site.url}/collections")
    bare_entry = bare.locator(".collections-list li").filter(has_text="Tokyo reading group")
    expect(bare_entry.locator("time")).to_have_text(utc_day)
    plain.close()
