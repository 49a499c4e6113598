"""A reader leaving the site: Download their data, then Delete the account, clicked in Chromium
(with and without JavaScript)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser

PASSWORD = "a long password"


@pytest.mark.parametrize("javascript", [True, False])
def test_a_reader_downloads_their_data_then_deletes_the_account(
    live_site: LiveSite,
    browser: Browser,
    javascript: bool,
) -> None:
    url, name = live_site.url, f"leaver{javascript:d}"
    context = browser.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    try:
        sign_up(page, url, name, PASSWORD)
        page.goto(f"{url}/papers/{HOSTILE_ID}")
        page.get_by_label("Add a comment").fill("My parting thought.")
        page.get_by_role("button", name="Post comment").click()
        page.goto(f"{url}/account")
        with page.expect_download() as waiting:
            page.get_by_role("link", name="Download your data (JSON)").click()
        download = waiting.value
        assert download.suggested_filename.startswith(f"paperfeed-{name}-")
        data = json.loads(download.path().read_text(encoding="utf-8"))
        assert data["account"]["handle"] == name
        assert [c["body"] for c in data["comments"]] == ["My parting thought."]
        page.get_by_role("link", name="Delete your account").click()
        expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
        expect(page.locator("main")).to_contain_text("What stays")
        goes = page.locator("h2:has-text('What goes') + ul")
        expect(goes).to_contain_text("to your confirmed email address made while signed out")
        stays = page.locator("h2:has-text('What stays') + ul")
        expect(stays).to_contain_text("The site's admin log keeps its lines naming your handle")
        page.get_by_label("Your password").fill("not my password")
        page.get_by_role("button", name="Delete my account").click()
        expect(page.get_by_role("alert")).to_contain_text("nothing was deleted")
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Delete my account").click()
        page.wait_for_url(re.compile(r"/account/deleted$"))
        expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
        page.goto(f"{url}/library")
        page.wait_for_url(re.compile(r"/signin"))
        page.goto(f"{url}/papers/{HOSTILE_ID}")
        thread = page.locator("article.comment", has_text="My parting thought.")
        expect(thread.locator(".who")).to_have_text("deleted account")
        expect(thread.locator(f"a[href='/users/{name}']")).to_have_count(0)
    finally:
        context.close()
