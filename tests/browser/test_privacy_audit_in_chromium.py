"""A privacy audit's findings, as a browser shows them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def test_after_signing_out_back_does_not_show_the_library_from_the_cache(
    page: Page, live_site: LiveSite
) -> None:
    # A lab's shared computer: the next person at it presses Back after the reader signs out.
    url = live_site.url
    sign_up(page, url, "leaver")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    made = page.request.post(
        f"{url}/collections",
        form={"name": "Job hunting reading", "csrf_token": token},
        max_redirects=0,
    )
    assert made.status == 303
    page.goto(f"{url}/library")
    expect(page.locator("main")).to_contain_text("Job hunting reading")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    assert "Job hunting reading" not in page.content()
