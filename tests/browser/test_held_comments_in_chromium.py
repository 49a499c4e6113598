"""Link spam held for review in real headless Chromium: a new account posts a comment with a
link and sees it marked "Awaiting review"; another reader does not see it; a moderator
approves it from the admin console, and then the reader does."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import set_admin
from paperfeed.store.jobs import recent_actions
from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up

pytestmark = pytest.mark.browser

SPAM = "Great paper! Cheap pills at https://pills.example/now <img src=x onerror=alert(1)>"


def _paper(site: LiveSite) -> str:
    with site.engine.connect() as conn:
        return str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))


def _person(browser: Browser, site: LiveSite, name: str) -> Page:
    page = browser.new_context().new_page()
    sign_up(page, site.url, name)
    return page


def test_a_new_accounts_link_waits_until_a_moderator_approves_it(
    browser: Browser, live_site: LiveSite
) -> None:
    pid = _paper(live_site)
    spammer = _person(browser, live_site, "fresh")
    spammer.goto(f"{live_site.url}/papers/{pid}")
    spammer.get_by_label("Add a comment").fill(SPAM)
    spammer.get_by_role("button", name="Post comment").click()
    mine = spammer.locator("article.comment", has_text="Cheap pills")
    expect(mine.locator("[data-held]")).to_have_text("Awaiting review")
    expect(mine).to_contain_text("only you and the moderators see it")
    expect(mine.get_by_role("button", name="Reply")).to_have_count(0)

    reader = _person(browser, live_site, "reader")
    reader.goto(f"{live_site.url}/papers/{pid}")
    expect(reader.locator("#discussion")).to_be_visible()
    expect(reader.get_by_text("Cheap pills")).to_have_count(0)
    expect(reader.get_by_text("Awaiting review")).to_have_count(0)

    mod = _person(browser, live_site, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    mod.goto(f"{live_site.url}/admin")
    held = mod.locator("#held ~ article.held-comment", has_text="Cheap pills")
    expect(held).to_have_count(1)
    expect(held.locator("a[href^='https://pills']")).to_have_count(0)  # a moderator reads it
    expect(mod.locator("main img")).to_have_count(0)  # its text stays text
    asked: list[str] = []
    held.get_by_label("Select fresh's held comment", exact=False).check()
    answer_next_dialog(mod, False, asked)  # the bulk form asks first, in the proper number
    mod.get_by_role("button", name="Approve ticked").click()
    assert asked == ["Approve 1 ticked held comment for every reader? Each is logged."]
    held.get_by_role("button", name="Approve", exact=False).first.click()
    expect(mod.locator("p.notice")).to_contain_text("approved 1 held comment")
    expect(mod.locator("article.held-comment")).to_have_count(0)
    expect(mod.get_by_text("No comments wait for review.")).to_be_visible()

    reader.reload()
    shown = reader.locator("article.comment", has_text="Cheap pills")
    expect(shown).to_have_count(1)
    expect(shown.locator("[data-held]")).to_have_count(0)
    expect(shown.locator(".comment-body img")).to_have_count(0)  # its text stays text
    with live_site.engine.connect() as conn:
        logged = [(a.who, a.action) for a in recent_actions(conn, 10, 0, "fresh")]
    assert logged == [("keeper", "approve held")]


def test_the_user_list_shows_sign_up_times(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    page.goto(f"{live_site.url}/admin")
    since = page.locator('tr[data-user="keeper"] td').nth(1)
    expect(since).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
