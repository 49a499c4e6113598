"""A moderator facing a wave of spam sign-ups in real headless Chromium: finds them in the
console's user list, selects the page, unticks one, suspends the rest at once after the
browser's question, then lifts the suspension of a mistaken one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import create_user, set_admin, set_vote, users
from paperfeed.store.jobs import recent_actions
from paperfeed.store.tables import papers
from paperfeed.web.auth import hash_new_password
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up

pytestmark = pytest.mark.browser

WAVE = 12


def _wave(site: LiveSite) -> None:
    """WAVE fresh accounts, each upvoting one paper."""
    hashed = hash_new_password("a long password")
    with site.engine.begin() as conn:
        pid = str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))
        for i in range(WAVE):
            set_vote(conn, create_user(conn, f"b0t{i:02d}", hashed).id, pid, True)


def _suspended(site: LiveSite) -> list[str]:
    with site.engine.connect() as conn:
        barred = users.c.suspended_at.is_not(None)
        return sorted(conn.scalars(select(users.c.username).where(barred)))


def test_a_moderator_suspends_a_wave_of_sign_ups_at_once(page: Page, live_site: LiveSite) -> None:
    _wave(live_site)
    sign_up(page, live_site.url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    page.goto(f"{live_site.url}/admin")
    page.get_by_label("Find a user").fill("b0t")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("input[name=ids]")).to_have_count(WAVE)
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Select b0t03", exact=True).uncheck()  # a real reader, as it turns out
    asked: list[str] = []
    answer_next_dialog(page, False, asked)  # Cancel: nothing happens
    page.get_by_role("button", name="Suspend ticked").click()
    assert asked == [
        f"Suspend {WAVE - 1} ticked accounts? Their sessions end, they cannot sign in, and their"
        " comments, upvotes and claims leave the site until it is lifted; each is logged."
    ]
    assert _suspended(live_site) == []
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Suspend ticked").click()
    expect(page.locator("p.notice")).to_have_text(
        f"Done: suspend {WAVE - 1} accounts; each is in the admin log"
    )
    expected = [f"b0t{i:02d}" for i in range(WAVE) if i != 3]
    assert _suspended(live_site) == expected
    expect(page.get_by_label("Find a user")).to_have_value("b0t")  # the search is kept
    row = page.locator('tr[data-user="b0t07"]')
    expect(row).to_contain_text("suspended")

    page.get_by_label("Select b0t07", exact=True).check()  # the undo, for one
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Lift suspension of ticked").click()
    expect(page.locator("p.notice")).to_have_text(
        "Done: unsuspend 1 account; each is in the admin log"
    )
    expect(row).to_contain_text("active")
    assert asked[-1].startswith("Lift the suspension of 1 ticked account?")
    assert "b0t07" not in _suspended(live_site)
    with live_site.engine.connect() as conn:
        logged = [(a.who, a.action, a.target) for a in recent_actions(conn, 100)]
    assert ("keeper", "unsuspend", "b0t07") in logged
    assert sum(1 for a in logged if a[1] == "suspend") == WAVE - 1

    answer_next_dialog(page, True, asked)  # nothing ticked: told so, no question, no post
    page.get_by_role("button", name="Suspend ticked").click()
    assert asked[-1] == "Tick the accounts to act on first."
