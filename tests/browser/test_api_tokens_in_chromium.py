"""A lab member makes an API token for the lab's Slack bot on /account in Chromium, copies it
with the page's own button, the bot uses it over HTTP, and once revoked on the page it is
refused."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveSite, sign_up


def test_a_token_made_and_copied_on_the_account_page_works_until_revoked(
    live_site: LiveSite, browser: Browser
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_up(page, live_site.url, "labbot_owner")
    page.goto(f"{live_site.url}/account")
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    page.get_by_label("Token name").fill("lab slack bot")
    page.get_by_label("Expires").select_option(label="In 90 days")
    page.get_by_role("button", name="Make a token").click()
    shown = page.get_by_label("New API token")
    expect(shown).to_have_value(re.compile(r"^pf_\S{40,}$"))
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    token = page.evaluate("navigator.clipboard.readText()")
    assert token == shown.input_value()

    bot = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_site.url) as http:
        listed = http.get("/api/me/tokens", headers=bot)
        assert listed.status_code == 200, listed.text
        assert [t["name"] for t in listed.json()] == ["lab slack bot"]
        assert (
            http.post(
                "/api/me/follows", json={"kind": "category", "value": "cs.LG"}, headers=bot
            ).status_code
            == 201
        )

        page.reload()  # shown once: a reload of the page does not show it again
        expect(page.get_by_label("New API token")).to_have_count(0)
        row = page.get_by_role("row").filter(has_text="lab slack bot")
        expect(row).to_have_count(1)  # the reload made no second token
        expect(row).not_to_contain_text("never")  # used just now, and it expires
        row.get_by_role("button", name="Revoke lab slack bot").click()
        expect(page.get_by_text("The API token is revoked.")).to_be_visible()
        expect(page.get_by_text("You have no API tokens.")).to_be_visible()

        refused = http.get("/api/me/tokens", headers=bot)
        assert refused.status_code == 401
        assert "/account" in refused.json()["detail"]
    context.close()
