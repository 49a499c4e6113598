"""In a real headless Chromium: add an email address on the settings page, confirm it from the
mail, and switch notice emails off and on with the settings checkbox."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.digest.notices import stop_url
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import users
from paperfeed.store.community import get_profile
from tests.browser.conftest import mail_site, sign_up

CHECKBOX = "Email me about replies, mentions, comments on my papers and my shared reading lists"


@pytest.mark.browser
def test_add_an_address_and_switch_notice_emails_on_the_settings_page(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "m") as site:
        url, engine = site.url, site.engine
        sign_up(page, url, "noor")
        page.goto(f"{url}/settings/profile")
        expect(page.locator(".linked-email")).to_contain_text("No email address is linked")
        page.get_by_label("Add an address").fill("noor@example.org")
        page.get_by_role("button", name="Send confirmation link").click()
        expect(page.get_by_text("Check your inbox")).to_be_visible()

        [mail] = site.sink.to("noor@example.org")
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "no digests" in text  # the box for the daily digest was left unticked
        page.goto(site.confirm_url("noor@example.org"))
        page.get_by_role("button", name="Confirm my address").click()
        expect(page.get_by_role("heading", name="Address confirmed")).to_be_visible()

        page.goto(f"{url}/settings/profile")
        expect(page.locator(".linked-email")).to_contain_text("noor@example.org (confirmed)")
        box = page.get_by_label(CHECKBOX)
        expect(box).to_be_checked()
        box.uncheck()
        page.get_by_role("button", name="Save profile").click()
        page.wait_for_url(f"{url}/users/noor")
        with engine.connect() as conn:
            uid = conn.execute(select(users.c.id)).scalar_one()
            off = get_profile(conn, uid).notify_email
        page.goto(f"{url}/settings/profile")
        expect(page.get_by_label(CHECKBOX)).not_to_be_checked()
        page.get_by_label(CHECKBOX).check()
        page.get_by_role("button", name="Save profile").click()
        page.wait_for_url(f"{url}/users/noor")
        with engine.connect() as conn:
            on = get_profile(conn, uid).notify_email

        # The opt-out link of a notice email asks first, then one button turns them off.
        page.goto(stop_url(site.settings, uid))
        page.get_by_role("button", name="Stop these emails").click()
        expect(page.get_by_role("heading", name="Notice emails are off")).to_be_visible()
        page.goto(f"{url}/settings/profile")
        expect(page.get_by_label(CHECKBOX)).not_to_be_checked()
        with engine.connect() as conn:
            linked = db.subscriber_for_user(conn, uid)
    assert (off, on) == (False, True)
    assert linked is not None and linked["email"] == "noor@example.org"
    assert linked["frequency"] == "none"  # an address for notices only gets no digest


@pytest.mark.browser
def test_ticking_also_send_the_digest_subscribes_the_address_to_daily_digests(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "m") as site:
        sign_up(page, site.url, "omar")
        page.goto(f"{site.url}/settings/profile")
        page.get_by_label("Add an address").fill("omar@example.org")
        page.get_by_label("Also send me the daily digest").check()
        page.get_by_role("button", name="Send confirmation link").click()
        expect(page.get_by_text("Check your inbox")).to_be_visible()
        page.goto(site.confirm_url("omar@example.org"))
        page.get_by_role("button", name="Confirm my subscription").click()
        expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
        with site.engine.connect() as conn:
            found = db.find_subscriber(conn, "omar@example.org")
    assert found is not None and found["frequency"] == "daily" and found["user_id"] is not None
