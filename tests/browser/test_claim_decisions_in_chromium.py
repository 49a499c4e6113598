"""A moderator in real headless Chromium ticking some of one account's claims on one name and
approving them, then approving all the rest at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store.accounts import set_admin
from tests.browser.conftest import LiveSite, sign_up
from tests.browser.test_claim_papers_in_chromium import _claim_some, _prolific

pytestmark = pytest.mark.browser


def test_a_moderator_ticks_claims_and_approves_them(page: Page, live_site: LiveSite) -> None:
    url = live_site.url
    slug, shown = _prolific(live_site)
    sign_up(page, url, "prolific")
    _claim_some(page, url, slug, shown)
    page.get_by_role("button", name="Sign out").click()
    sign_up(page, url, "mod")
    with live_site.engine.begin() as conn:
        set_admin(conn, "mod", True)
    page.goto(f"{url}/admin/community")
    batch = page.locator("form.claim-batch")
    expect(batch).to_have_count(1)
    expect(batch.locator("h3")).to_contain_text("prolific claims to be")
    ticks = batch.locator("input[name=ids]")
    expect(ticks).to_have_count(shown)
    ticks.nth(0).check()
    ticks.nth(1).check()
    batch.get_by_role("button", name="Approve ticked").click()
    expect(page.locator("[data-said]")).to_have_text("Claims: 2 approved.")
    rest = shown - 2
    if rest > 1:  # still a batch: the rest at once
        batch.get_by_role("button", name="Approve all").click()
        expect(page.locator("[data-said]")).to_have_text(f"Claims: {rest} approved.")
    expect(page.locator("form.claim-batch")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill("prolific")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/notifications")
    expect(page.locator(".notice-claims").first).to_contain_text("were approved")
