"""In a real headless Chromium: a researcher who has just signed up lands on the newest day's
papers, which point them at where to make For you theirs; the link leads to the starting
categories, and once they follow some the home page is their For you list (and says no more)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def test_a_new_reader_is_shown_where_to_start(page: Page, live_site: LiveSite) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_up(page, live_site.url, "newcomer")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    note = page.get_by_role("note")
    expect(note).to_contain_text("Make For you yours")
    note.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import your library")).to_be_visible()
    page.go_back()
    page.get_by_role("note").get_by_role("link", name="Start your For you list").click()
    expect(page).to_have_url(live_site.url + "/for-you")
    first = page.locator("input[name=category]").first
    first.check()
    page.get_by_role("button", name="Follow and rank").click()
    expect(page.locator(".cards.foryou article.card").first).to_be_visible()
    page.goto(live_site.url + "/")
    expect(page.locator(".cards.foryou article.card").first).to_be_visible()  # home: For you
    expect(page.get_by_text("Make For you yours")).to_have_count(0)
    assert errors == []
