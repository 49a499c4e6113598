"""In a real headless Chromium: a team's private instance. A stranger is sent to sign in and lands
on the page they wanted; an admin's invite link makes one account, then is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import set_admin
from paperfeed.web.app import create_app
from paperfeed.web.auth import sign_up as make_account
from tests.digest_support import copy_newest_papers, free_port, serve

PASSWORD = "the lab's long passphrase"


@dataclass
class Lab:
    url: str
    engine: Engine
    paper: str


@contextmanager
def private_lab(sqlite: Settings, demo: Settings) -> Iterator[Lab]:
    """A private, invite-only site holding the demo's newest day, with the admin `root`."""
    port = free_port()
    settings = sqlite.model_copy(
        update={
            "private": True,
            "signup": "invite",
            "embed_model": "static",
            "base_url": f"http://127.0.0.1:{port}",
        }
    )
    engine = open_store(settings)
    try:
        paper = sorted(copy_newest_papers(demo, engine, 1))[0]
        make_account(engine, "root", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        with serve(create_app(settings, engine), port) as url:
            yield Lab(url, engine, paper)
    finally:
        engine.dispose()


def _sign_in(page: Page, name: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_a_stranger_signs_in_and_lands_on_the_page_they_wanted(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with private_lab(sqlite_settings, demo_settings) as lab:
        wanted = f"{lab.url}/papers/{lab.paper}"
        page.goto(wanted)
        expect(page).to_have_url(re.compile(r"/signin\?next="))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_role("link", name="Sign up")).to_have_count(0)
        expect(page.get_by_text("Accounts are by invitation")).to_be_visible()
        _sign_in(page, "root")
        expect(page).to_have_url(wanted)
        expect(page.locator("header").get_by_role("link", name="root")).to_be_visible()


@pytest.mark.browser
def test_an_invite_link_makes_one_account_then_is_refused(
    sqlite_settings: Settings, demo_settings: Settings, browser: Browser, page: Page
) -> None:
    with private_lab(sqlite_settings, demo_settings) as lab:
        page.goto(f"{lab.url}/admin")
        _sign_in(page, "root")
        expect(page).to_have_url(f"{lab.url}/admin")
        page.get_by_role("button", name="Make an invite link").click()
        link = page.get_by_label("Invite link").input_value()
        assert link.startswith(f"{lab.url}/signup?invite=")

        newcomer = browser.new_context().new_page()
        newcomer.goto(link)
        newcomer.get_by_label("User name").fill("newcomer")
        newcomer.get_by_label("Password").fill(PASSWORD)
        newcomer.get_by_role("button", name="Sign up").click()
        expect(newcomer.locator("header").get_by_role("link", name="newcomer")).to_be_visible()
        newcomer.goto(f"{lab.url}/papers/{lab.paper}")  # the private site is theirs to read
        expect(newcomer).to_have_url(f"{lab.url}/papers/{lab.paper}")

        another = browser.new_context().new_page()
        another.goto(link)
        expect(another.get_by_text("This invite link no longer works")).to_be_visible()
        expect(another.get_by_label("Password")).to_have_count(0)

        page.goto(f"{lab.url}/admin#invites")
        expect(page.locator("tr[data-invite]").first).to_contain_text("used by newcomer")
