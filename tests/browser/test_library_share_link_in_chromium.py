"""A student shares her unlisted reading list with her advisor from her library: the library
named it only by its path ("Shared at /c/Xy…"), which is no address to paste into an email.
It now shows the whole address with a Copy link button, and the copied address opens the list
for a reader who is not signed in."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID


def test_the_library_copies_an_unlisted_lists_whole_address(
    live_site: LiveSite, browser: Browser
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_up(page, live_site.url, "maya")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    adding = page.locator("form[aria-label='Add to a collection']")
    adding.get_by_label("Collection").fill("Related work")
    adding.get_by_role("button", name="Add to collection").click()
    page.goto(f"{live_site.url}/library")
    page.get_by_role("link", name="Related work").first.click()
    settings = page.locator("main form", has_text="Visibility").first
    settings.locator("select[name=visibility]").select_option("unlisted")
    settings.get_by_role("button", name="Save collection").click()
    shared = page.locator("#shared-link")
    expect(shared).to_have_text(f"{live_site.url}/c/" + (shared.get_attribute("href") or "")[3:])
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_have_count(1)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == shared.text_content() and copied.startswith(f"{live_site.url}/c/")
    advisor = browser.new_context().new_page()  # not signed in, as an advisor opening an email
    advisor.goto(copied)
    expect(advisor.locator("h1")).to_have_text("Related work")
    expect(advisor.locator(f"article[data-id='{HOSTILE_ID}']")).to_be_visible()
    context.close()
