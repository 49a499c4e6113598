"""A reader whose password leaked changes it, as a browser shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


def test_changing_a_leaked_password_signs_the_thief_out_and_revokes_the_feed_url(
    page: Page, browser: Browser, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "leaky", PASSWORD)
    page.goto(f"{url}/library")
    page.get_by_role("button", name="Make a private feed URL").click()
    # the answer is a new page: wait for it, not for whatever the old one holds meanwhile
    page.wait_for_url("**/for-you/feed-url")
    found = re.search(r"https?://[^\s\"<]+/feeds/for-you/[\w-]+\.atom", page.content())
    assert found, "the private feed URL is not shown"
    feed = found[0]
    assert page.request.get(feed).status == 200
    thief = browser.new_context().new_page()  # another browser, with the leaked password
    thief.goto(f"{url}/signin")
    thief.get_by_label("User name").fill("leaky")
    thief.get_by_label("Password").fill(PASSWORD)
    thief.get_by_role("button", name="Sign in").click()
    expect(thief.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(f"{url}/settings/profile")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("a much better one, at last")
    page.get_by_role("button", name="Change password").click()
    notice = page.locator("#password ~ p.notice")
    expect(notice).to_contain_text("Your other sessions were signed out.")
    expect(notice).to_contain_text("Your private feed URL was revoked too")
    assert page.request.get(feed).status == 404
    notice.get_by_role("link", name="make a new one").click()
    expect(page.get_by_role("button", name="Make a private feed URL")).to_be_visible()

    thief.goto(f"{url}/library")
    expect(thief.get_by_role("link", name="Sign in").first).to_be_visible()
    expect(thief.get_by_role("button", name="Sign out")).to_have_count(0)
    thief.context.close()
