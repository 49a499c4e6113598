"""In a real headless Chromium without JavaScript: the emailed confirmation link opens a page
that asks, and only its button confirms (a mail scanner's visit to the link confirms nothing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from paperfeed.settings import Settings
from paperfeed.store import digests as db
from tests.browser.conftest import mail_site


@pytest.fixture
def plain(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_the_confirmation_link_asks_and_its_button_confirms_without_javascript(
    sqlite_settings: Settings, demo_settings: Settings, plain: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "c") as site:
        plain.goto(f"{site.url}/")
        plain.fill("form.subscribe input[name=email]", "nojs@example.org")
        plain.click("form.subscribe button[type=submit]")
        expect(plain.get_by_text("Check your inbox")).to_be_visible()
        link = site.confirm_url("nojs@example.org")

        plain.goto(link)  # what a mail scanner's visit sees, too
        expect(plain.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
        expect(plain.get_by_text("nojs@example.org")).to_be_visible()
        with site.engine.connect() as conn:
            before = conn.execute(select(db.subscribers.c.status)).scalar_one()
        plain.get_by_role("button", name="Confirm my subscription").click()
        expect(plain.get_by_role("heading", name="You are subscribed")).to_be_visible()
        with site.engine.connect() as conn:
            after = conn.execute(select(db.subscribers.c.status)).scalar_one()

        plain.goto(link)  # the old link, opened again: says so, asks nothing
        expect(plain.get_by_role("heading", name="You are subscribed")).to_be_visible()
        expect(plain.get_by_role("button", name="Confirm my subscription")).to_have_count(0)
    assert (before, after) == ("pending", "confirmed")


@pytest.mark.browser
def test_the_confirmation_page_passes_axe(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "x") as site:
        page.goto(f"{site.url}/")
        page.fill("form.subscribe input[name=email]", "axe@example.org")
        page.click("form.subscribe button[type=submit]")
        expect(page.get_by_text("Check your inbox")).to_be_visible()
        page.goto(site.confirm_url("axe@example.org"))
        expect(page.get_by_role("button", name="Confirm my subscription")).to_be_visible()
        found = Axe().run(page).response["violations"]
    assert found == []
