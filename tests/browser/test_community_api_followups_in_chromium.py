"""A reader in Tokyo reads the days on a profile and on "what the model learned" on her own
calendar; a reader clicking reactions too fast is told so beside the emoji pressed, as its
description. In Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select, update

from paperfeed.store.accounts import users
from paperfeed.store.community import add_comment
from paperfeed.store.library import ratings, set_rating
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser

# 20:30 UTC on the 24th is 05:30 on the 25th in Tokyo: a UTC day would be a day early.
EVENING_UTC = datetime(2026, 6, 24, 20, 30)


def _uid(site: LiveSite, name: str) -> int:
    with site.engine.connect() as conn:
        return int(conn.scalar(select(users.c.id).where(users.c.username == name)) or 0)


def test_a_profile_and_the_learned_page_give_days_on_the_readers_calendar(
    browser: Browser, live_site: LiveSite
) -> None:
    tokyo = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    page = tokyo.new_page()
    sign_up(page, live_site.url, "tokyo3")
    uid = _uid(live_site, "tokyo3")
    with live_site.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == uid).values(created_at=EVENING_UTC))
        set_rating(conn, uid, HOSTILE_ID, 1)
        conn.execute(update(ratings).where(ratings.c.user_id == uid).values(created_at=EVENING_UTC))
    page.goto(f"{live_site.url}/users/tokyo3")
    joined = page.locator(".profile time")
    expect(joined).to_have_text("2026-06-25")
    expect(joined).to_have_attribute("aria-label", "25 June 2026")
    expect(joined).to_have_attribute("title", "2026-06-24 20:30 UTC")
    page.goto(f"{live_site.url}/for-you/learned")
    rated = page.locator("ul.ratings time")
    expect(rated).to_have_text("2026-06-25")
    expect(rated).to_have_attribute("aria-label", "25 June 2026")
    tokyo.close()
    plain = browser.new_context(java_script_enabled=False, timezone_id="Asia/Tokyo")
    bare = plain.new_page()  # without JavaScript: the UTC day, the UTC moment in its title
    bare.goto(f"{live_site.url}/users/tokyo3")
    expect(bare.locator(".profile time")).to_have_text("2026-06-24")
    plain.close()


@pytest.fixture
def two_reactions_a_minute(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The live site made after this allows two reactions a minute per account."""
    monkeypatch.setenv("PAPERFEED_REACTION_RATE_LIMIT", "2")
    yield


def test_a_reaction_past_the_limit_is_refused_in_place_with_the_reason(
    two_reactions_a_minute: None, browser: Browser, live_site: LiveSite
) -> None:
    writer = browser.new_page()
    sign_up(writer, live_site.url, "writer3")
    with live_site.engine.begin() as conn:
        cid = add_comment(conn, HOSTILE_ID, _uid(live_site, "writer3"), "A fair point.", None)
    writer.close()
    page = browser.new_page()
    sign_up(page, live_site.url, "clicker3")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    bar = page.locator(f'[data-reactions="{cid}"]')
    bar.locator("summary").click()
    heart = bar.locator('.react-box button[data-emoji="heart"]')
    heart.click()  # on
    expect(bar.locator(':scope > form button[data-emoji="heart"] .count')).to_have_text("1")
    page.locator(f'[data-reactions="{cid}"] .react-box button[data-emoji="heart"]').click()  # off
    expect(page.locator(f'[data-reactions="{cid}"] > form')).to_have_count(0)
    third = page.locator(f'[data-reactions="{cid}"] .react-box button[data-emoji="heart"]')
    third.click()  # the third in a minute: refused
    note = page.get_by_role("alert").filter(has_text="reactions a minute")
    expect(note).to_contain_text("Not counted: at most 2 reactions a minute; try again in")
    expect(page).to_have_url(f"{live_site.url}/papers/{HOSTILE_ID}")  # no page left
    expect(third).to_be_focused()
    expect(page.locator(f'[data-reactions="{cid}"] > form')).to_have_count(0)
    # Tied to the emoji pressed, as an offline press's note is: its description, beside it.
    said = re.compile(r"^Not counted: at most 2 reactions a minute; try again in")
    expect(third).to_have_accessible_description(said)
    beside = third.locator("xpath=ancestor::form[1]/following-sibling::*[1]")
    expect(beside).to_have_attribute("role", "alert")
    expect(beside).to_contain_text("reactions a minute")
    other = page.locator(f'[data-reactions="{cid}"] .react-box button[data-emoji="rocket"]')
    expect(other).not_to_have_accessible_description(said)  # not the buttons not pressed
    other.click()  # refused too: said again, beside this one, and only once on the page
    expect(other).to_have_accessible_description(said)
    expect(page.get_by_role("alert").filter(has_text="reactions a minute")).to_have_count(1)
