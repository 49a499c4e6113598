"""A moderator's round in real headless Chromium on a busy site: find a spam account among
hundreds, suspend it (its comments and upvotes leave at once), undo a mistaken suspension,
page through the reports and the admin log."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import create_user, set_admin, set_vote, users
from paperfeed.store.community import add_comment, report_comment
from paperfeed.store.listings import latest_day
from paperfeed.web.auth import hash_new_password
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _crowd(site: LiveSite, paper_id: str) -> None:
    """Hundreds of readers, a spam account with a vote ring's votes and reported comments."""
    hashed = hash_new_password("a long password")
    with site.engine.begin() as conn:
        ids = {}
        for name in ["sp4mbot", "honest", *(f"reader{i:03d}" for i in range(300))]:
            ids[name] = create_user(conn, name, hashed).id
        for i in range(60):
            cid = add_comment(conn, paper_id, ids["sp4mbot"], f"Cheap pills {i} <img src=x>", None)
            report_comment(conn, cid, ids[f"reader{i:03d}"], "spam <script>alert(1)</script>")
        add_comment(conn, paper_id, ids["honest"], "A careful, honest reading.", None)
        set_vote(conn, ids["sp4mbot"], paper_id, True)


def _newest_paper(site: LiveSite) -> str:
    from paperfeed.store.tables import papers

    with site.engine.connect() as conn:
        day = latest_day(conn)
        return str(conn.scalar(select(papers.c.id).where(papers.c.listing_date == day).limit(1)))


def test_a_moderator_finds_suspends_and_restores_a_spam_account(
    page: Page, live_site: LiveSite
) -> None:
    pid = _newest_paper(live_site)
    _crowd(live_site, pid)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    sign_up(page, live_site.url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)

    page.goto(f"{live_site.url}/papers/{pid}")
    expect(page.locator("#discussion")).to_contain_text("Cheap pills")
    upvotes = page.locator("main form.vote .count").first
    before = int(upvotes.inner_text())

    page.goto(f"{live_site.url}/admin/community")
    expect(page.locator("main")).to_contain_text("60 reported comments wait")
    expect(page.locator("article.report")).to_have_count(50)
    # Readers' words are shown as text: no element comes of them.
    expect(page.locator("ul.reports").first).to_contain_text("spam <script>alert(1)</script>")
    expect(page.locator("main script, main img")).to_have_count(0)
    page.get_by_role("link", name="More recent").first.click()
    expect(page.locator("article.report")).to_have_count(10)

    page.goto(f"{live_site.url}/admin")
    expect(page.locator("tr[data-user]")).to_have_count(100)
    expect(page.locator("tr[data-user='sp4mbot']")).to_have_count(0)  # not among the newest
    page.get_by_label("Find a user").fill("SP4M")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("tr[data-user]")).to_have_count(1)
    page.get_by_role("button", name="Suspend sp4mbot").click()
    expect(page.locator("tr[data-user='sp4mbot']")).to_contain_text("suspended")
    assert dialogs and dialogs[-1].startswith("Suspend sp4mbot?")
    expect(page.get_by_label("Find a user")).to_have_value("SP4M")  # the search is kept

    page.goto(f"{live_site.url}/papers/{pid}")
    expect(page.locator("#discussion")).not_to_contain_text("Cheap pills")
    expect(page.locator("#discussion")).to_contain_text("A careful, honest reading.")
    expect(upvotes).to_have_text(str(before - 1))  # the spam account's upvote no longer counts
    page.goto(f"{live_site.url}/admin/community")
    expect(page.locator("main")).to_contain_text("No open reports.")

    # It was a mistake: lift it; everything comes back, reports included.
    page.goto(f"{live_site.url}/admin?user=sp4mbot")
    page.get_by_role("button", name="Lift the suspension of sp4mbot").click()
    expect(page.locator("tr[data-user='sp4mbot']")).to_contain_text("active")
    page.goto(f"{live_site.url}/papers/{pid}")
    expect(page.locator("#discussion")).to_contain_text("Cheap pills")
    expect(upvotes).to_have_text(str(before))

    page.goto(f"{live_site.url}/admin")
    page.get_by_label("Actions by or about").fill("sp4mbot")
    page.get_by_role("button", name="Show").click()
    log = page.locator(".admin-log")
    expect(log).to_contain_text("keeper: unsuspend sp4mbot")
    expect(log).to_contain_text("keeper: suspend sp4mbot")
    expect(page.locator("main")).to_contain_text("2 actions by or about “sp4mbot”")
    with live_site.engine.connect() as conn:
        row = conn.execute(select(users.c.suspended_at).where(users.c.username == "sp4mbot"))
        assert row.scalar_one() is None
