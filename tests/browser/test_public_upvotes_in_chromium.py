"""Who upvoted, opt-in, clicked in Chromium: a reader turns on "Show my upvotes publicly" on
/account and sees their name on a paper they upvoted; a reader who did not opt in is never
named; turning it off takes the name off the page visitors see."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def _upvote(page: Page, url: str) -> None:
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    button = page.locator(".actions form.vote button")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def _set_public(page: Page, url: str, on: bool) -> None:
    page.goto(f"{url}/account")
    box = page.get_by_label("Show my upvotes publicly")
    expect(box).to_be_checked(checked=not on)
    box.set_checked(on)
    page.locator("#upvotes ~ form").get_by_role("button", name="Save").click()
    said = "Your upvotes are now public" if on else "Your upvotes are private again"
    expect(page.get_by_role("status")).to_contain_text(said)
    expect(page.get_by_label("Show my upvotes publicly")).to_be_checked(checked=on)


def _reader(browser: Browser, url: str, name: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context()
    page = context.new_page()
    sign_up(page, url, name)
    page.wait_for_url(f"{url}/**")
    return context, page


def test_opting_in_names_you_among_upvoters_and_opting_out_removes_it(
    live_site: LiveSite, browser: Browser
) -> None:
    url = live_site.url
    quiet_ctx, quiet = _reader(browser, url, "quietreader")
    shown_ctx, shown = _reader(browser, url, "shownreader")
    visitor_ctx = browser.new_context()
    visitor = visitor_ctx.new_page()
    try:
        _upvote(quiet, url)
        _set_public(shown, url, True)
        _upvote(shown, url)

        shown.reload()
        line = shown.locator("#upvoters")
        expect(line).to_contain_text("Upvoted by shownreader and")
        expect(line.get_by_role("link", name="shownreader")).to_have_attribute(
            "href", "/users/shownreader"
        )
        expect(shown.locator("#upvoters a[href='/users/quietreader']")).to_have_count(0)
        expect(line).not_to_contain_text("quietreader")

        visitor.goto(f"{url}/papers/{HOSTILE_ID}")  # a visitor sees it too (and it is cached)
        expect(visitor.locator("#upvoters")).to_contain_text("Upvoted by shownreader and")
        visitor.get_by_role("link", name="shownreader").click()
        expect(visitor.locator("#upvoted ~ ul").first).to_contain_text("Is Not Enough")

        _set_public(shown, url, False)
        visitor.goto(f"{url}/papers/{HOSTILE_ID}")
        expect(visitor.locator(".actions form.vote .count")).to_have_text("5")
        expect(visitor.locator("#upvoters")).to_have_count(0)
        visitor.goto(f"{url}/users/shownreader")
        expect(visitor.locator("#upvoted")).to_have_count(0)
    finally:
        for context in (quiet_ctx, shown_ctx, visitor_ctx):
            context.close()
