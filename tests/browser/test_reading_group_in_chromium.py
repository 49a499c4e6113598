"""A reading group's organiser builds the week's list in Chromium, notes when it is read and shares
its link; a member follows it in place and finds its papers, with the note, on For you."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def test_an_organiser_shares_a_noted_list_and_a_member_follows_it(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    sign_up(page, url, "organiser")
    page.goto(url + newest_day_path(live_site.engine))
    cards = page.locator("article.card")
    picked = [cards.nth(i).get_attribute("data-id") for i in (0, 1)]
    for pid in picked:
        card = page.locator(f'article.card[data-id="{pid}"]')
        card.get_by_role("button", name="Save").click()
        expect(card.get_by_role("button", name="Saved")).to_be_visible()
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill("Reading group")
    made.get_by_label("Visibility").select_option("unlisted")
    made.get_by_role("button", name="New collection").click()
    page.goto(f"{url}/library")
    for pid in picked:
        page.locator(f'input[name=paper_id][value="{pid}"]').check()
    bulk = page.get_by_role("form", name="Change the ticked papers")
    bulk.get_by_label("With the ticked papers").select_option("add")
    bulk.get_by_label("Collection to put them in").fill("Reading group")
    bulk.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Reading group").first.click()
    page.locator('a[href^="/c/"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading group")
    entry = page.locator(f'[id="note-{picked[0]}"]')
    entry.get_by_text("Add a note for this list").click()
    entry.get_by_label(re.compile("Public note on this paper")).fill(
        "Read on **12 Dec**, led by Ana"
    )
    entry.get_by_role("button", name="Save note").click()
    expect(page.locator(f'[id="note-{picked[0]}"] .list-note strong')).to_have_text("12 Dec")
    link = page.get_by_label("Link to share").input_value()
    assert re.fullmatch(rf"{re.escape(url)}/c/[\w-]+", link)
    expect(page.get_by_role("button", name="Follow")).to_have_count(0)  # one's own list

    browser = page.context.browser
    assert browser is not None
    member = browser.new_context().new_page()
    member.on("dialog", refuse)
    sign_up(member, url, "member")
    member.goto(link)
    follow = member.get_by_role("button", name="Follow")
    expect(member.locator(".followers")).to_have_text("0 followers")
    follow.click()
    expect(member.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")
    expect(member.locator(".followers")).to_have_text("1 follower")
    assert member.url == link  # in place, no reload
    expect(member.locator(".list-note strong")).to_have_text("12 Dec")
    member.goto(f"{url}/for-you")
    news = member.get_by_role("region", name="New in collections you follow")
    for pid in picked:
        expect(news.locator(f'a[href="/papers/{pid}"]')).to_have_count(1)
    expect(news.locator(".list-note strong")).to_have_text("12 Dec")
    news.get_by_role("link", name="Reading group").first.click()
    expect(member.get_by_role("button", name="Following")).to_be_visible()
    member.get_by_role("button", name="Following").click()
    expect(member.get_by_role("button", name="Follow")).to_have_attribute("aria-pressed", "false")
    member.goto(f"{url}/for-you")
    expect(member.get_by_role("region", name="New in collections you follow")).to_have_count(0)
    assert dialogs == []
