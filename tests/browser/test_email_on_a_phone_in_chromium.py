"""The emails as a phone's mail client shows them, in headless Chromium at 375 px: light and
dark, checked by axe-core; unsubscribe and rate from the digest without being signed in."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import select

from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.library import user_ratings
from tests.browser.conftest import mail_site, sign_up

PHONE: ViewportSize = {"width": 375, "height": 740}
# A mail client shows the message inside its own page, with its own landmarks.
NOT_FOR_EMAIL = {"landmark-one-main", "region"}


def _html(message: Any) -> str:
    return str(message.get_body(("html",)).get_content())


def _problems(page: Page, name: str) -> list[str]:
    wide = page.evaluate("document.documentElement.scrollWidth")
    found = [f"{name}: {wide} px wide on a 375 px screen"] if wide > PHONE["width"] else []
    response: dict[str, Any] = Axe().run(page).response
    return found + [
        f"{name}: {v['id']} at {n['target']}: {v['help']}"
        for v in response["violations"]
        if v["id"] not in NOT_FOR_EMAIL
        for n in v["nodes"]
    ]


@pytest.mark.browser
def test_the_emails_fit_a_phone_in_light_and_dark_and_act_only_on_a_button(
    sqlite_settings: Settings, demo_settings: Settings, page: Page, browser: Browser
) -> None:
    with mail_site(sqlite_settings, demo_settings, "p") as site:
        sign_up(page, site.url, "commuter")
        site.subscribe(page, "commuter@example.org")  # signed in: the digest rates for them
        with site.engine.connect() as conn:
            assert conn.execute(select(db.subscribers.c.user_id)).scalar_one() is not None
        assert run_due(site.engine, site.settings, make_mailer(site.settings), due_all=True).sent
        confirmation, digest = site.sink.to("commuter@example.org")
        found, cards = [], {}
        for scheme in ("light", "dark"):
            phone = browser.new_context(viewport=PHONE, color_scheme=scheme)
            mail = phone.new_page()
            for name, message in (("confirmation", confirmation), ("digest", digest)):
                mail.set_content(_html(message))
                found += _problems(mail, f"{name}, {scheme}")
            card = "getComputedStyle(document.querySelector('.pf-card')).backgroundColor"
            cards[scheme] = mail.evaluate(card)
            phone.close()
        assert found == []
        assert cards == {"light": "rgb(255, 255, 255)", "dark": "rgb(39, 39, 42)"}

        phone = browser.new_context(viewport=PHONE)  # the mail app: nobody signed in
        mail = phone.new_page()
        mail.set_content(_html(digest))
        less = mail.get_by_role("link", name="Less like this").first
        paper = (less.get_attribute("href") or "").split("paper=")[1].split("&")[0]
        less.click()
        expect(mail.locator("h1")).to_have_text("👎 Less like this?")
        with site.engine.connect() as conn:
            assert user_ratings(conn, 1, [paper]) == {}  # opening the link rated nothing
        mail.get_by_role("button", name="Less like this").click()
        expect(mail.locator("h1")).to_have_text("Noted: less like this")
        with site.engine.connect() as conn:
            assert user_ratings(conn, 1, [paper]) == {paper: -1}

        mail.set_content(_html(digest))
        mail.get_by_role("link", name="Unsubscribe").click()
        button = mail.get_by_role("button", name="Unsubscribe")
        expect(button).to_be_visible()
        assert mail.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        frequency = select(db.subscribers.c.frequency)
        with site.engine.connect() as conn:
            assert conn.execute(frequency).scalar_one() == "daily"  # opening it changed nothing
        button.click()
        expect(mail.locator("h1")).to_have_text("You are unsubscribed")
        with site.engine.connect() as conn:  # no digests; the account's reply notices stay
            assert conn.execute(frequency).scalar_one() == "none"
        phone.close()


@pytest.mark.browser
def test_a_long_unbroken_word_does_not_widen_the_email(browser: Browser) -> None:
    """An abstract with a long address (or a title with a long word) made the digest 746 px
    wide on a 375 px phone: the card ran off the screen."""
    from datetime import UTC, datetime

    from paperfeed.digest.compose import Digest, DigestItem
    from paperfeed.digest.render import DigestRenderer, Links
    from paperfeed.digest.subscriber import Preferences, Subscriber

    settings = Settings(_env_file=None, secret_key="s" * 32)
    sub = Subscriber(3, "z@example.org", "confirmed", "n", Preferences())
    address = "https://example.org/" + "averyveryverylongpath" * 5
    title = "Beyond " + "Supercalifragilistic" * 4
    item = DigestItem("2611.1", title, ("A",), "cs.LG", f"see {address}", "new in cs.LG", 1.0)
    links = Links(settings.public_url, "k", 3, "n")
    mail = DigestRenderer(settings).render(
        links, Digest(sub, "daily:x", (item,)), datetime.now(UTC)
    )
    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    page.set_content(_html(mail.parsed()))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_text(address)).to_be_visible()
    phone.close()
