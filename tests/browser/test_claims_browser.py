"""Withdrawing and revoking author claims and hiding a comment, in real headless Chromium: each
asks first (the browser's dialog, or without JavaScript a page), and Cancel changes nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from paperfeed.store.accounts import set_admin
from paperfeed.store.jobs import recent_actions
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser
AUTHOR = "Mallory O'Hara"


def _claim(page: Page, url: str) -> None:
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    if page.locator("details.claim-box[open]").count() == 0:  # open once one has claimed
        page.get_by_text("Are you an author of this paper?").click()
    page.get_by_label("This is me:").select_option(AUTHOR)
    page.get_by_role("button", name="Claim").click()
    expect(page.locator(".claim-box")).to_contain_text(f"Your claim as {AUTHOR} is pending")


def test_a_claimant_withdraws_and_an_admin_revokes_asking_first(
    page: Page, live_site: LiveSite
) -> None:
    url, box = live_site.url, page.locator(".claim-box")
    asked: list[str] = []
    sign_up(page, url, "claimer")
    _claim(page, url)
    # Cancel in the dialog: the claim still waits.
    answer_next_dialog(page, False, asked)
    box.get_by_role("button", name="Withdraw").click()
    expect(box).to_contain_text("is pending")
    assert asked == [f"Withdraw your claim to be {AUTHOR} on this paper?"]
    answer_next_dialog(page, True, asked)
    box.get_by_role("button", name="Withdraw").click()
    expect(box).to_contain_text(f"You withdrew your claim as {AUTHOR}")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()  # may claim again
    _claim(page, url)

    # An admin approves it, then revokes it from the list of approved claims, saying why.
    page.get_by_role("button", name="Sign out").click()
    sign_up(page, url, "mod")
    with live_site.engine.begin() as conn:
        set_admin(conn, "mod", True)
    page.goto(f"{url}/admin/community")
    page.get_by_role("button", name="Approve").click()
    approved = page.locator("article.claim", has_text="claimer is")
    expect(approved).to_contain_text(f"is {AUTHOR} on")
    approved.get_by_label("Reason for revoking claimer's claim").fill("not the same person")
    answer_next_dialog(page, True, asked)
    approved.get_by_role("button", name="Revoke").click()
    expect(page.locator("main")).to_contain_text("No approved claims.")
    assert asked[-1].startswith(f"Revoke claimer's claim to be {AUTHOR}?")
    with live_site.engine.connect() as conn:
        log = [f"{a.action} {a.target}" for a in recent_actions(conn)]
    assert f"revoke claim claimer as {AUTHOR} on {HOSTILE_ID} (not the same person)" in log

    # The claimant is told why; the name no longer links to their profile.
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill("claimer")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/notifications")
    expect(page.locator("main")).to_contain_text("revoked by a moderator")
    expect(page.locator("main")).to_contain_text("The moderator said: not the same person")
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    expect(page.locator("#authors a.claimed")).to_have_count(0)


def test_without_javascript_a_page_asks_before_withdrawing(
    browser: Browser, live_site: LiveSite
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    url = live_site.url
    sign_up(page, url, "nojs")
    _claim(page, url)
    page.locator(".claim-box").get_by_role("button", name="Withdraw").click()
    expect(page.locator("h1")).to_have_text("Are you sure?")
    expect(page.locator("main")).to_contain_text(f"Withdraw your claim to be {AUTHOR}")
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator(".claim-box")).to_contain_text("is pending")  # nothing changed
    page.locator(".claim-box").get_by_role("button", name="Withdraw").click()
    page.get_by_role("button", name="Withdraw the claim").click()
    expect(page.locator(".claim-box")).to_contain_text(f"You withdrew your claim as {AUTHOR}")
    context.close()


def test_an_admin_hides_a_comment_from_the_paper_page(page: Page, live_site: LiveSite) -> None:
    url, asked = live_site.url, []
    sign_up(page, url, "writer")
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    page.get_by_label("Add a comment").fill("Buy cheap pills here")
    page.get_by_role("button", name="Post comment").click()
    page.get_by_role("button", name="Sign out").click()
    sign_up(page, url, "boss")
    with live_site.engine.begin() as conn:
        set_admin(conn, "boss", True)
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    comment = page.locator("article.comment", has_text="cheap pills")
    comment.locator("summary", has_text="Hide").click()
    comment.get_by_label("Reason for hiding writer's comment").fill("spam")
    answer_next_dialog(page, False, asked)  # Cancel: still there
    comment.get_by_role("button", name="Hide comment").click()
    expect(page.locator("#discussion")).to_contain_text("cheap pills")
    answer_next_dialog(page, True, asked)
    comment.get_by_role("button", name="Hide comment").click()
    expect(page.locator("#discussion")).not_to_contain_text("cheap pills")
    assert len(asked) == 2 and asked[0].startswith("Hide writer's comment?")
    page.goto(f"{url}/admin")
    expect(page.locator(".admin-log")).to_contain_text(f"by writer on {HOSTILE_ID} (spam)")
