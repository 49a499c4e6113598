"""In a real headless Chromium: add an email address on the settings page, confirm it from the
mail, and switch notice emails off and on with the settings checkbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.digest.notices import stop_url
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from paperfeed.store.accounts import users
from paperfeed.store.community import get_profile
from paperfeed.web.app import create_app
from tests.digest_support import copy_newest_papers, free_port, serve, smtp_sink

CHECKBOX = "Email me about replies and comments on my papers"


@pytest.mark.browser
def test_add_an_address_and_switch_notice_emails_on_the_settings_page(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    port = free_port()
    with smtp_sink() as sink:
        s = sqlite_settings.model_copy(
            update={
                "smtp_port": sink.port,
                "secret_key": "m" * 32,
                "base_url": f"http://127.0.0.1:{port}",
            }
        )
        engine = open_store(s)
        copy_newest_papers(demo_settings, engine, 1)
        with serve(create_app(s, engine), port) as url:
            page.goto(f"{url}/signup")
            page.get_by_label("User name").fill("noor")
            page.get_by_label("Password").fill("a long password")
            page.get_by_role("button", name="Sign up").click()

            page.goto(f"{url}/settings/profile")
            expect(page.locator(".linked-email")).to_contain_text("No email address is linked")
            page.get_by_label("Add an address").fill("noor@example.org")
            page.get_by_role("button", name="Send confirmation link").click()
            expect(page.get_by_text("Check your inbox")).to_be_visible()

            [mail] = sink.to("noor@example.org")
            text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            [confirm_url] = re.findall(rf"{re.escape(url)}/confirm\?token=\S+", text)
            assert "no digests" in text  # the box for the daily digest was left unticked
            page.goto(confirm_url)
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
            page.goto(stop_url(s, uid))
            page.get_by_role("button", name="Stop these emails").click()
            expect(page.get_by_role("heading", name="Notice emails are off")).to_be_visible()
            page.goto(f"{url}/settings/profile")
            expect(page.get_by_label(CHECKBOX)).not_to_be_checked()
        with engine.connect() as conn:
            linked = db.subscriber_for_user(conn, uid)
        engine.dispose()
    assert (off, on) == (False, True)
    assert linked is not None and linked["email"] == "noor@example.org"
    assert linked["frequency"] == "none"  # an address for notices only gets no digest


@pytest.mark.browser
def test_ticking_also_send_the_digest_subscribes_the_address_to_daily_digests(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    port = free_port()
    with smtp_sink() as sink:
        update = {"smtp_port": sink.port, "secret_key": "m" * 32}
        s = sqlite_settings.model_copy(update=update | {"base_url": f"http://127.0.0.1:{port}"})
        engine = open_store(s)
        copy_newest_papers(demo_settings, engine, 1)
        with serve(create_app(s, engine), port) as url:
            page.goto(f"{url}/signup")
            page.get_by_label("User name").fill("omar")
            page.get_by_label("Password").fill("a long password")
            page.get_by_role("button", name="Sign up").click()
            page.goto(f"{url}/settings/profile")
            page.get_by_label("Add an address").fill("omar@example.org")
            page.get_by_label("Also send me the daily digest").check()
            page.get_by_role("button", name="Send confirmation link").click()
            expect(page.get_by_text("Check your inbox")).to_be_visible()
            [mail] = sink.to("omar@example.org")
            text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            [confirm_url] = re.findall(rf"{re.escape(url)}/confirm\?token=\S+", text)
            page.goto(confirm_url)
            expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
        with engine.connect() as conn:
            found = db.find_subscriber(conn, "omar@example.org")
        engine.dispose()
    assert found is not None and found["frequency"] == "daily" and found["user_id"] is not None
