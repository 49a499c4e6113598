"""Team list notices, in Chromium: the lead offers her list to its editor, who sees the new
notification in the header, opens it and follows it to the accept question; once he accepts,
the lead's header counts one and her notifications say who took the list over."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up

pytestmark = pytest.mark.browser

NAME = "Team <b>list</b>"  # shown as typed, never as markup


def test_the_editor_follows_the_notice_to_the_offer_and_the_lead_hears_the_answer(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    browser = page.context.browser
    assert browser is not None
    eddie = browser.new_context().new_page()
    sign_up(eddie, url, "eddie")

    sign_up(page, url, "lead")
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill(NAME)
    made.get_by_role("button", name="New collection").click()
    editors = page.get_by_role("region", name="Editors")
    editors.get_by_label("User name").fill("eddie")
    editors.get_by_role("button", name="Add editor").click()
    expect(page.locator("[data-said]")).to_have_text("eddie may edit it now.")
    handing = page.get_by_role("form", name="Hand over this collection")
    handing.get_by_label("New owner").select_option("eddie")
    answer_next_dialog(page, True, [])
    handing.get_by_role("button", name="Offer hand-over").click()
    expect(page.locator("#offer-pending")).to_be_visible()
    expect(page.locator("a.notices .unseen")).to_have_count(0)  # not told of her own offer

    eddie.goto(url + "/")
    bell = eddie.get_by_role("link", name="Notifications: 1 new")
    expect(bell).to_have_text("Notifications 1")
    bell.click()
    notice = eddie.locator("article.notice-list")
    expect(notice).to_contain_text(f"lead offered you the shared list “{NAME}”")
    expect(notice.locator("b")).to_have_count(0)
    expect(eddie.locator("a.notices .unseen")).to_have_count(0)  # read now
    offered = notice.get_by_role("link", name=f"Accept or decline the offer of “{NAME}”")
    expect(offered).to_have_text(f"Accept or decline the offer of “{NAME}”")
    offered.click()
    offer = eddie.get_by_role("region", name=f"Take over “{NAME}”?")
    expect(offer).to_contain_text("lead offers you this collection")
    offer.get_by_role("button", name="Accept").click()
    expect(eddie.locator("[data-said]")).to_have_text(f"“{NAME}” is yours now.")

    page.goto(url + "/")
    page.get_by_role("link", name="Notifications: 1 new").click()
    told = page.locator("article.notice-list")
    expect(told).to_contain_text(f"eddie took over your shared list “{NAME}”")
    eddie.goto(url + "/notifications")
    expect(eddie.locator("article.notice-list")).to_contain_text("No longer offered to you.")
