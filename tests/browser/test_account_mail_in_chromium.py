"""In a real headless Chromium, account mail end to end through a loopback SMTP server: an admin
adds accounts from a roster on /admin and a student sets a password by the mailed link;
"Forgot your password?" from /signin; and an address added, confirmed and removed on /account."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, users
from tests.browser.conftest import MailSite, mail_site, sign_up
from tests.digest_support import Sink

PASSWORD = "a long password"


@pytest.fixture
def other(browser: Browser) -> Iterator[BrowserContext]:
    """A second browser (another device): its own cookies."""
    context = browser.new_context()
    yield context
    context.close()


def _mails(sink: Sink, address: str, count: int) -> list[EmailMessage]:
    """The messages to `address` once there are `count` (account mail goes after the answer)."""
    deadline = time.monotonic() + 30
    while len(sink.to(address)) < count:
        assert time.monotonic() < deadline, f"no mail {count} to {address}"
        time.sleep(0.05)
    return sink.to(address)


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _link(site: MailSite, message: EmailMessage, path: str) -> str:
    [url] = re.findall(rf"{re.escape(site.url)}{re.escape(path)}\?token=\S+", _text(message))
    return str(url)


def _sign_in(page: Page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url + "/signin")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _email(site: MailSite, name: str) -> str | None:
    with site.engine.connect() as conn:
        return conn.execute(select(users.c.email).where(users.c.username == name)).scalar()


@pytest.mark.browser
def test_an_admin_adds_accounts_and_a_student_sets_a_password_by_the_mailed_link(
    sqlite_settings: Settings, demo_settings: Settings, page: Page, other: BrowserContext
) -> None:
    with mail_site(sqlite_settings, demo_settings, "r") as site:
        sign_up(page, site.url, "root")
        with site.engine.begin() as conn:
            set_admin(conn, "root", True)
        page.goto(site.url + "/admin#add-accounts")
        roster = page.get_by_label("One account a line")
        roster.fill("lin,lin@lab.example.edu\nmay,may@@lab.example.edu\n")
        page.get_by_role("button", name="Add accounts").click()
        expect(page.get_by_role("heading", name="Add accounts")).to_be_visible()
        expect(page.get_by_text("No account was made")).to_be_visible()
        held = page.locator("tr[data-line='1']")
        expect(held).to_contain_text("not made: the file has refused lines")
        expect(page.locator("tr[data-line='2']")).to_contain_text("refused:")
        expect(page.locator("tr[data-line='2']")).to_contain_text("may@@lab.example.edu")
        assert _email(site, "lin") is None and site.sink.received == []

        page.get_by_role("link", name="Back to the admin console").click()
        page.get_by_label("One account a line").fill("lin,lin@lab.example.edu\n")
        page.get_by_role("button", name="Add accounts").click()
        expect(page.get_by_text("1 account made.")).to_be_visible()
        expect(page.locator("tr[data-line='1']")).to_contain_text(
            "made; link mailed to lin@lab.example.edu"
        )

        [welcome] = _mails(site.sink, "lin@lab.example.edu", 1)
        student = other.new_page()
        student.goto(_link(site, welcome, "/password/set"))
        expect(student.get_by_role("heading", name="Choose a password")).to_be_visible()
        expect(student.get_by_label("User name")).to_have_value("lin")
        student.get_by_label("New password").fill("password")  # long enough, too common
        student.get_by_role("button", name="Set password and sign in").click()
        expect(student.get_by_role("alert")).to_contain_text("too easy to guess")
        student.get_by_label("New password").fill("the student's own password")
        student.get_by_role("button", name="Set password and sign in").click()
        expect(
            student.get_by_text("Your password is set: you are signed in as lin.")
        ).to_be_visible()
        expect(student.locator("header a.who")).to_have_text("lin")


@pytest.mark.browser
def test_forgot_password_from_signin_sets_a_new_one_and_ends_the_old_session(
    sqlite_settings: Settings, demo_settings: Settings, page: Page, other: BrowserContext
) -> None:
    with mail_site(sqlite_settings, demo_settings, "f") as site:
        sign_up(page, site.url, "ada")
        with site.engine.begin() as conn:
            conn.execute(users.update().values(email="ada@lab.example.edu"))
        page.goto(site.url + "/account")
        expect(page.get_by_text("Signed in as ada")).to_be_visible()

        forgetful = other.new_page()
        forgetful.goto(site.url + "/signin")
        forgetful.get_by_role("link", name="Forgot your password?").click()
        forgetful.get_by_label("Email address").fill("Ada@Lab.example.edu")
        forgetful.get_by_role("button", name="Mail me a link").click()
        expect(forgetful.get_by_text("If an account has that address")).to_be_visible()
        [reset] = _mails(site.sink, "ada@lab.example.edu", 1)
        forgetful.goto(_link(site, reset, "/password/set"))
        forgetful.get_by_label("New password").fill("a brand new password")
        forgetful.get_by_role("button", name="Set password and sign in").click()
        expect(forgetful.get_by_text("you are signed in as ada")).to_be_visible()
        forgetful.goto(site.url + "/account")
        expect(forgetful.get_by_text("Signed in as ada")).to_be_visible()

        page.goto(site.url + "/account")  # the session on the first device ended
        expect(page.get_by_text("Signed in as ada")).to_have_count(0)
        _sign_in(page, site.url, "ada")  # the old password no longer works
        expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
        _sign_in(page, site.url, "ada", "a brand new password")
        page.goto(site.url + "/account")
        expect(page.get_by_text("Signed in as ada")).to_be_visible()


@pytest.mark.browser
def test_an_address_added_on_account_is_confirmed_by_its_page_button_and_removed(
    sqlite_settings: Settings, demo_settings: Settings, page: Page, other: BrowserContext
) -> None:
    with mail_site(sqlite_settings, demo_settings, "e") as site:
        sign_up(page, site.url, "grace")
        page.goto(site.url + "/account#email")
        expect(page.get_by_text("Your account has no email address")).to_be_visible()
        page.get_by_label("Address", exact=True).fill("Grace@Lab.example.edu")
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Mail me a link to confirm it").click()
        expect(page.get_by_text("A link to confirm grace@lab.example.edu").first).to_be_visible()
        [mail] = _mails(site.sink, "grace@lab.example.edu", 1)
        assert _email(site, "grace") is None

        page.goto(_link(site, mail, "/email/confirm"))
        expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
        assert _email(site, "grace") is None  # opening the link changes nothing
        page.get_by_role("button", name="Confirm this address").click()
        expect(page.get_by_text("email address is now grace@lab.example.edu")).to_be_visible()
        expect(page.locator("[data-email]")).to_have_text("grace@lab.example.edu")
        assert _email(site, "grace") == "grace@lab.example.edu"

        # A change confirmed on a phone not signed in: it says so there; the old address is told.
        page.get_by_label("New address").fill("grace@uni.example.org")
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Mail me a link to confirm it").click()
        expect(page.locator("[data-pending]")).to_contain_text("grace@uni.example.org")
        [change] = _mails(site.sink, "grace@uni.example.org", 1)
        phone = other.new_page()
        phone.goto(_link(site, change, "/email/confirm"))
        phone.get_by_role("button", name="Confirm this address").click()
        expect(phone.get_by_role("status")).to_have_text(
            "The email address of the account grace is now grace@uni.example.org."
        )
        _, notice = _mails(site.sink, "grace@lab.example.edu", 2)
        assert "was changed to g***@uni.example.org on " in " ".join(_text(notice).split())
        page.reload()
        expect(page.locator("[data-email]")).to_have_text("grace@uni.example.org")

        page.get_by_label("Password to remove the address").fill(PASSWORD)
        page.get_by_role("button", name="Remove the address").click()
        expect(page.get_by_text("Your account has no email address now.")).to_be_visible()
        expect(page.locator("[data-email]")).to_have_count(0)
        assert _email(site, "grace") is None
