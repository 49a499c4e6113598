"""In a real headless Chromium: subscribe on the site, confirm from the mail, change preferences."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.browser.conftest import mail_site
from tests.digest_support import copy_newest_papers, free_port, serve


@pytest.mark.browser
def test_subscribe_on_the_site_confirm_by_mail_and_change_preferences(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    with mail_site(sqlite_settings, demo_settings, "b") as site:
        site.subscribe(page, "reader@example.org")

        page.click("text=Change what you get")
        page.wait_for_selector("form.digest-prefs")
        page.select_option("select[name=frequency]", "weekly")
        page.fill("textarea[name=keywords]", "speech recognition")
        page.uncheck("input[type=checkbox][name=include_trending]")
        page.click("form.digest-prefs button[type=submit]")
        page.wait_for_selector("text=Saved")
        assert page.input_value("textarea[name=keywords]") == "speech recognition"
        with site.engine.connect() as conn:
            row = conn.execute(select(db.subscribers)).one()
            interests = db.get_interests(conn, [row.id])[row.id]
    assert (row.status, row.frequency, row.include_trending) == ("confirmed", "weekly", False)
    assert [(i.kind, i.value) for i in interests] == [("keyword", "speech recognition")]


@pytest.mark.browser
def test_demo_mailbox_holds_the_confirmation_whose_link_confirms(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    port = free_port()
    s = sqlite_settings.model_copy(
        update={"mailbox": True, "secret_key": "d" * 32, "listen_url": f"http://127.0.0.1:{port}"}
    )
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    with serve(create_app(s, engine), port) as url:
        page.goto(f"{url}/")
        page.wait_for_selector("form.subscribe >> text=Demo mode")
        page.fill("form.subscribe input[name=email]", "demo@example.org")
        page.click("form.subscribe button[type=submit]")
        page.wait_for_selector("text=Check the demo mailbox")
        page.click("header >> text=Demo mailbox")
        page.wait_for_selector("text=To demo@example.org")
        page.click("a[href^='/confirm?token=']")
        page.wait_for_selector("text=You are subscribed")
    with engine.connect() as conn:
        status = conn.execute(select(db.subscribers.c.status)).scalar_one()
    engine.dispose()
    assert status == "confirmed"
