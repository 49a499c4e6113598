"""In a real headless Chromium: sign-up's refused user name or password is tied to its own
field (marked invalid, described by the message and its rule), and removing an account's email
address on /account takes the password, a wrong one tied to that field, the address told."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from tests.browser.conftest import mail_site, sign_up
from tests.digest_support import Sink

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


def _refused(page: Page, field: Locator, rule: str) -> None:
    """The field is invalid and a screen reader hears the message, then the field's rule."""
    said = page.locator("#form-problem").inner_text()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(f"{said} {page.locator(rule).inner_text()}")


def _sign_up_as(page: Page, url: str, name: str, password: str) -> None:
    page.goto(url + "/signup")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()


def test_sign_up_ties_a_taken_name_and_a_common_password_to_their_fields(
    sqlite_settings: Settings, demo_settings: Settings, browser: Browser
) -> None:
    with mail_site(sqlite_settings, demo_settings, "u") as site:
        first = browser.new_context()
        sign_up(first.new_page(), site.url, "ada")
        first.close()
        page = browser.new_context().new_page()
        _sign_up_as(page, site.url, "ada", PASSWORD)
        expect(page.get_by_role("alert")).to_contain_text("the user name 'ada' is taken")
        _refused(page, page.get_by_label("User name"), "#username-rule")
        password = page.get_by_label("Password")
        expect(password).not_to_have_attribute("aria-invalid", "true")
        expect(password).to_have_accessible_description("At least 8 characters.")

        _sign_up_as(page, site.url, "grace", "password")  # long enough, too common
        expect(page.get_by_role("alert")).to_contain_text("too easy to guess")
        _refused(page, page.get_by_label("Password"), "#password-rule")
        name = page.get_by_label("User name")
        expect(name).to_have_value("grace")
        expect(name).not_to_have_attribute("aria-invalid", "true")
        expect(name).to_have_accessible_description(page.locator("#username-rule").inner_text())
        page.context.close()


def _mail(sink: Sink, address: str) -> EmailMessage:
    """The one message to `address` (account mail goes after the answer)."""
    deadline = time.monotonic() + 30
    while not sink.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.05)
    [message] = sink.to(address)
    return message


def test_removing_the_address_takes_the_password_and_tells_the_address(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "m") as site:
        sign_up(page, site.url, "grace")
        with site.engine.begin() as conn:
            conn.execute(users.update().values(email="grace@lab.example.edu"))
        page.goto(site.url + "/account#email")
        form = page.locator("form[action='/account/email/remove']")
        field = form.get_by_label("Password to remove the address")
        field.fill("not my password")
        form.get_by_role("button", name="Remove the address").click()
        problem = page.locator("#remove-problem")
        expect(problem).to_have_text("that password is not right")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description("that password is not right")
        expect(page.locator("[data-email]")).to_have_text("grace@lab.example.edu")
        field.fill(PASSWORD)
        form.get_by_role("button", name="Remove the address").click()
        expect(page.get_by_text("Your account has no email address now.")).to_be_visible()
        notice = _mail(site.sink, "grace@lab.example.edu")
        assert notice["Subject"] == "Your account's email address was removed"
        with site.engine.connect() as conn:
            assert conn.execute(select(users.c.email)).scalar() is None
