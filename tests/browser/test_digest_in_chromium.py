"""In a real headless Chromium: subscribe on the site, confirm from the mail, change preferences."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from paperfeed.store.library import user_ratings
from paperfeed.web.app import create_app
from tests.browser.conftest import mail_site, sign_up
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
        page.get_by_role("button", name="Confirm my subscription").click()
        page.wait_for_selector("text=You are subscribed")
    with engine.connect() as conn:
        status = conn.execute(select(db.subscribers.c.status)).scalar_one()
    engine.dispose()
    assert status == "confirmed"


@pytest.mark.browser
def test_the_mailbox_shows_the_html_mail_whose_link_opens_in_the_page(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    port = free_port()
    s = sqlite_settings.model_copy(
        update={"mailbox": True, "secret_key": "h" * 32, "listen_url": f"http://127.0.0.1:{port}"}
    )
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    with serve(create_app(s, engine), port) as url:
        page.goto(f"{url}/")
        page.fill("form.subscribe input[name=email]", "html@example.org")
        page.click("form.subscribe button[type=submit]")
        page.wait_for_selector("text=Check the demo mailbox")
        page.click("header >> text=Demo mailbox")
        page.click("details.letter-html summary")
        mail = page.frame_locator("details.letter-html iframe")
        link = mail.locator("a[href^='/confirm?token=']").first
        expect(link).to_be_visible()
        link.click()
        page.get_by_role("button", name="Confirm my subscription").click()
        page.wait_for_selector("text=You are subscribed")
        assert page.url.startswith(f"{url}/confirm?token=")
    with engine.connect() as conn:
        status = conn.execute(select(db.subscribers.c.status)).scalar_one()
    engine.dispose()
    assert status == "confirmed"


@pytest.mark.browser
def test_a_readers_digest_rates_a_paper_from_the_demo_mailbox(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    """Signed in, rate a paper, subscribe, confirm; the digest in the demo mailbox carries 👍 /
    👎 links: the 👎 one asks, its button rates for the account, "Take it back" clears it."""
    port = free_port()
    s = sqlite_settings.model_copy(
        update={"mailbox": True, "secret_key": "e" * 32, "listen_url": f"http://127.0.0.1:{port}"}
    )
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    with serve(create_app(s, engine), port) as url:
        sign_up(page, url, "digester")
        page.goto(f"{url}/daily")
        page.locator("article.card").first.get_by_role("button", name="More like this").click()
        page.fill("form.subscribe input[name=email]", "digester@example.org")
        page.click("form.subscribe button[type=submit]")
        page.click("header >> text=Demo mailbox")
        page.click("a[href^='/confirm?token=']")
        page.get_by_role("button", name="Confirm my subscription").click()
        page.wait_for_selector("text=You are subscribed")
        assert run_due(engine, s, make_mailer(s), due_all=True).sent == 1
        page.click("header >> text=Demo mailbox")
        less = page.locator("a[href*='/digest/rate?token='][href$='&r=-1']")
        expect(less).to_have_count(10)  # each paper of the digest: the demo day has plenty
        href = less.first.get_attribute("href")
        assert href and "paper=" in href
        paper = href.split("paper=")[1].split("&")[0]
        less.first.click()
        expect(page.locator("h1")).to_have_text("👎 Less like this?")
        with engine.connect() as conn:
            assert user_ratings(conn, 1, [paper]) == {}  # following the link rated nothing
        page.get_by_role("button", name="Less like this").click()
        expect(page.locator("h1")).to_have_text("Noted: less like this")
        with engine.connect() as conn:
            assert user_ratings(conn, 1, [paper]) == {paper: -1}
        page.get_by_role("button", name="Take it back").click()
        expect(page.locator("h1")).to_have_text("Rating taken back")
        with engine.connect() as conn:
            assert user_ratings(conn, 1, [paper]) == {}
    engine.dispose()


@pytest.mark.browser
def test_a_search_or_category_pages_subscribe_form_asks_for_that_alone(
    sqlite_settings: Settings, demo_settings: Settings, page: Page
) -> None:
    """Subscribed from a search (or a category) page, the first digest came mostly trending
    (trending was on by default: 9 of 10 places for a narrow search), and a keyword-mode
    page did not say the digest matches the search as the default (hybrid) search does."""
    with mail_site(sqlite_settings, demo_settings, "t") as site:
        page.goto(f"{site.url}/search?q=learning&mode=keyword")
        form = page.locator("form.subscribe")
        expect(form).to_contain_text("by meaning and words, as the default search")
        form.locator("input[name=email]").fill("searcher@example.org")
        form.get_by_role("button", name="Subscribe").click()
        page.wait_for_selector("text=Check your inbox")
        page.goto(f"{site.url}/categories/cs.LG")
        form = page.locator("form.subscribe")
        expect(form).to_contain_text("Get new")
        form.locator("input[name=email]").fill("follower@example.org")
        form.get_by_role("button", name="Subscribe").click()
        page.wait_for_selector("text=Check your inbox")
        with site.engine.connect() as conn:
            rows = {r.email: r for r in conn.execute(select(db.subscribers))}
            asked = db.get_interests(conn, [r.id for r in rows.values()])
    searcher, follower = rows["searcher@example.org"], rows["follower@example.org"]
    assert not searcher.include_trending and not follower.include_trending
    assert [(i.kind, i.value) for i in asked[searcher.id]] == [("semantic", "learning")]
    assert [(i.kind, i.value) for i in asked[follower.id]] == [("category", "cs.LG")]
