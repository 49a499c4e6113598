"""BREACH, clicked in Chromium: a signed-in reader's pages come gzipped with the form token
masked afresh each time, and the in-place upvote and the plain Sign out form still work."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def _token(page: Page) -> str:
    found = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert found
    return found


def test_a_token_masked_per_page_still_upvotes_in_place_and_signs_out(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "masked")
    page.wait_for_url(f"{url}/**")
    first = page.goto(f"{url}/papers/{HOSTILE_ID}")
    assert first is not None and first.headers.get("content-encoding") == "gzip"
    before = _token(page)
    page.reload()
    assert _token(page) != before  # the same page, another string
    button = page.locator(".actions form.vote button")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator(".actions form.vote button")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
