"""Bulk moderation in real headless Chromium: a moderator facing a spam wave ticks comments, or
selects the whole page, and hides them or dismisses their reports at once; the browser's
dialog asks first with JavaScript, a page asks without it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import create_user, set_admin
from paperfeed.store.community import add_comment, comments, count_open_reports, report_comment
from paperfeed.store.jobs import recent_actions
from paperfeed.store.tables import papers
from paperfeed.web.auth import hash_new_password
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up

pytestmark = pytest.mark.browser


def _wave(site: LiveSite, n: int) -> list[int]:
    """A spam account's `n` reported comments (hostile text), the oldest first."""
    hashed = hash_new_password("a long password")
    with site.engine.begin() as conn:
        pid = str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))
        spam, reader = (create_user(conn, name, hashed).id for name in ("sp4m", "reader"))
        ids = []
        for i in range(n):
            cid = add_comment(
                conn, pid, spam, f"Cheap pills {i} <img src=x onerror=alert(1)>", None
            )
            report_comment(conn, cid, reader, "spam")
            ids.append(cid)
    return ids


def _moderator(page: Page, site: LiveSite) -> None:
    sign_up(page, site.url, "keeper")
    with site.engine.begin() as conn:
        set_admin(conn, "keeper", True)


def _hidden(site: LiveSite) -> int:
    with site.engine.connect() as conn:
        return len(list(conn.scalars(select(comments.c.id).where(comments.c.hidden.is_(True)))))


def _waiting(site: LiveSite) -> int:
    with site.engine.connect() as conn:
        return int(count_open_reports(conn))


def test_tick_some_then_select_all_with_the_dialog(page: Page, live_site: LiveSite) -> None:
    ids = _wave(live_site, 55)
    _moderator(page, live_site)
    errors: list[str] = []  # the library's script once took this page's form for its own
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}/admin/community")
    expect(page.locator("input[name=ids]")).to_have_count(50)
    for cid in ids[:3]:
        page.get_by_label(f"Select sp4m's comment {cid}", exact=True).check()
    asked: list[str] = []
    answer_next_dialog(page, False, asked)  # Cancel: nothing happens
    page.get_by_role("button", name="Hide ticked").click()
    expect(page.locator(f"#r{ids[0]}")).to_be_visible()
    assert asked == [
        "Hide 3 ticked reported comments? Nobody but moderators sees them then; each is logged."
    ]
    assert _hidden(live_site) == 0
    answer_next_dialog(page, True, asked)  # OK: the three go at once
    page.get_by_role("button", name="Hide ticked").click()
    expect(page.locator("[data-said]")).to_have_text(
        "3 reported comments hidden; each is in the admin log."
    )
    expect(page.locator("input[name=ids]")).to_have_count(50)  # the page fills from the next
    assert _hidden(live_site) == 3 and _waiting(live_site) == 52
    expect(page.locator("main img")).to_have_count(0)  # spam text stays text

    everything = page.get_by_label("Select all on this page")
    everything.check()
    expect(page.locator("input[name=ids]:checked")).to_have_count(50)
    page.get_by_label(f"Select sp4m's comment {ids[3]}", exact=True).uncheck()  # all but one
    expect(everything).not_to_be_checked()
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Dismiss reports on ticked").click()
    expect(page.locator("[data-said]")).to_contain_text("49 reported comments with their reports")
    assert asked[-1].startswith("Dismiss the reports on 49 ticked comments?")
    expect(page.locator("input[name=ids]")).to_have_count(3)
    expect(page.locator(f"#r{ids[3]}")).to_be_visible()  # the one left unticked still waits
    assert _hidden(live_site) == 3 and _waiting(live_site) == 3
    with live_site.engine.connect() as conn:
        logged = recent_actions(conn, 100)
    assert len(logged) == 52 and all(" by sp4m on " in a.target for a in logged)

    answer_next_dialog(page, True, asked)  # nothing ticked: told so, no question, no post
    page.get_by_role("button", name="Hide ticked").click()
    assert asked[-1] == "Tick the comments to act on first."
    expect(page.locator("input[name=ids]")).to_have_count(3)
    assert errors == []


def test_without_javascript_a_page_asks_and_select_all_takes_the_page(
    browser: Browser, live_site: LiveSite
) -> None:
    _wave(live_site, 52)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _moderator(page, live_site)
        page.goto(f"{live_site.url}/admin/community")
        page.get_by_label("Select all on this page").check()
        expect(page.locator("input[name=ids]:checked")).to_have_count(0)  # no script ticks them
        page.get_by_role("button", name="Hide ticked").click()
        expect(page.locator("main h1")).to_have_text("Are you sure?")
        expect(page.locator("main")).to_contain_text("Hide 50 reported comments (by sp4m)?")
        assert _hidden(live_site) == 0
        page.get_by_role("button", name="Hide 50 comments").click()
        expect(page.locator("[data-said]")).to_have_text(
            "50 reported comments hidden; each is in the admin log."
        )
        expect(page.locator("input[name=ids]")).to_have_count(2)
        assert _hidden(live_site) == 50
    finally:
        context.close()
