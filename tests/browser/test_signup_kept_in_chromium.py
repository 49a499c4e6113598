"""In a real headless Chromium: a refused sign-up comes back with the typed user name and email
address filled in (never the password), the message tied to the field it is about."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from paperfeed.settings import Settings
from paperfeed.store.invites import create_invite
from tests.browser.conftest import mail_site, sign_up

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


def _sign_up(page: Page, name: str, password: str, email: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Sign up").click()


def _kept(page: Page, name: str, email: str, field: str, why: str) -> None:
    """The form again: what was typed but the password, `field` invalid and told `why`."""
    expect(page.get_by_role("alert")).to_contain_text(why)
    expect(page.get_by_label("User name")).to_have_value(name)
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    refused = page.get_by_label(field)
    expect(refused).to_have_attribute("aria-invalid", "true")
    expect(refused).to_have_attribute("aria-describedby", re.compile(r"\bform-problem\b"))
    said = page.locator("#form-problem").text_content() or ""
    expect(refused).to_have_accessible_description(re.compile(re.escape(said)))


def test_a_taken_name_or_a_weak_password_keeps_the_name_and_the_address(
    sqlite_settings: Settings, demo_settings: Settings, browser: Browser
) -> None:
    with mail_site(sqlite_settings, demo_settings, "k") as site:
        first = browser.new_context()
        sign_up(first.new_page(), site.url, "ada")
        first.close()
        page = browser.new_context().new_page()
        page.goto(site.url + "/signup")
        _sign_up(page, "ada", PASSWORD, "ada.l@example.org")
        _kept(page, "ada", "ada.l@example.org", "User name", "taken")
        page.get_by_label("User name").fill("grace")
        page.get_by_label("Password").fill("password")  # long enough, too common
        page.get_by_role("button", name="Sign up").click()
        _kept(page, "grace", "ada.l@example.org", "Password", "too easy to guess")


def test_an_address_outside_the_domains_keeps_the_name_and_the_address(
    sqlite_settings: Settings, demo_settings: Settings, browser: Browser
) -> None:
    limited = sqlite_settings.model_copy(update={"signup_email_domains": "lab.example.edu"})
    with mail_site(limited, demo_settings, "d") as site:
        page = browser.new_context().new_page()
        page.goto(site.url + "/signup")
        _sign_up(page, "grace", PASSWORD, "grace@mail.example.org")
        _kept(page, "grace", "grace@mail.example.org", "Email address", "lab.example.edu")
        assert site.sink.to("grace@mail.example.org") == []


def test_an_invited_sign_up_refused_for_its_address_keeps_the_invite(
    sqlite_settings: Settings, demo_settings: Settings, browser: Browser
) -> None:
    invited = sqlite_settings.model_copy(update={"signup": "invite"})
    with mail_site(invited, demo_settings, "i") as site:
        with site.engine.begin() as conn:
            token = create_invite(conn, "admin", 7)
        page = browser.new_context().new_page()
        page.goto(f"{site.url}/signup?invite={token}")
        _sign_up(page, "grace", PASSWORD, "grace@localhost")  # Chromium's check lets it by
        _kept(page, "grace", "grace@localhost", "Email address", "not a valid email")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Email address").fill("")
        page.get_by_role("button", name="Sign up").click()  # the same invite, now spent
        expect(page.get_by_role("link", name="grace")).to_be_visible()
