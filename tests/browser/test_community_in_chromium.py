"""Discussing a paper, moderating and claiming authorship, in real headless Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from paperfeed.store.accounts import set_admin, users
from paperfeed.util import utcnow
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def test_comment_reply_edit_report_moderate_and_claim(
    page: Page, live_site: LiveSite, screenshots: Path
) -> None:
    url, pid = live_site.url, HOSTILE_ID
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # A visitor is asked to sign in before commenting.
    page.goto(f"{url}/papers/{pid}")
    expect(page.locator("#discussion")).to_contain_text("No comments yet")
    expect(page.get_by_role("link", name="Sign in").last).to_be_visible()

    sign_up(page, url, "writer")
    expect(page.get_by_role("link", name="writer")).to_have_attribute("href", "/users/writer")
    page.goto(f"{url}/papers/{pid}")
    page.get_by_label("Add a comment").fill(
        "Does $x^2$ bound it for $5 and $6? <script>alert(1)</script>"
    )
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("article.comment").first
    expect(comment).to_contain_text("Does")
    expect(comment.locator(".katex").first).to_be_visible()  # math typeset by KaTeX
    expect(comment.locator(".katex")).to_have_count(1)  # prices are no maths
    expect(comment).to_contain_text("for $5 and $6?")
    expect(comment).to_contain_text("<script>alert(1)</script>")  # shown as text

    # Edit it: marked "edited".
    comment.locator("summary", has_text="Edit").click()
    comment.get_by_label("Edit comment").fill("Does $x^3$ bound it?")
    comment.get_by_role("button", name="Save").click()
    expect(page.locator("article.comment").first).to_contain_text("edited")

    # Another reader replies and reports it.
    page.get_by_role("button", name="Sign out").click()
    sign_up(page, url, "reader")
    page.goto(f"{url}/papers/{pid}")
    top = page.locator("article.comment").first
    vote = top.get_by_role("button", name=re.compile(r"^Upvote writer's comment, upvotes: \d+$"))
    before = int(vote.locator(".count").inner_text())
    vote.click()  # named for a screen reader (it was "▲ 0"), its count kept up to date
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_accessible_name(f"Upvote writer's comment, upvotes: {before + 1}")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "false")
    top.locator("summary", has_text="Reply").click()
    top.get_by_label("Your reply").fill("Only for *small* x.")
    top.get_by_role("button", name="Post reply").click()
    expect(page.locator("article.comment.reply")).to_contain_text("Only for small x.")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#discussion").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "discussion.png"))
    top = page.locator("article.comment").first
    top.locator("summary", has_text="Report").first.click()
    top.get_by_label("Reason").first.fill("off topic")
    top.get_by_role("button", name="Send report").first.click()
    expect(page).to_have_url(re.compile(r"reported="))
    # The card of the paper counts the comments.
    page.goto(f"{url}/papers/date/2026-06-25")
    expect(page.locator(f'article.card[data-id="{pid}"] .comments-count')).to_contain_text("2")

    # Claim an author name; an admin approves; the name links to the profile.
    page.goto(f"{url}/papers/{pid}")
    page.get_by_text("Are you an author of this paper?").click()
    page.get_by_label("This is me:").select_option("Mallory O'Hara")
    page.get_by_role("button", name="Claim").click()
    # Back on the paper, the box stays open and says where the claim stands, without the form.
    expect(page.locator(".claim-box")).to_contain_text("Your claim as Mallory O'Hara is pending")
    expect(page.locator(".claim-box .notice")).to_be_visible()
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    with live_site.engine.begin() as conn:
        set_admin(conn, "reader", True)
    page.goto(f"{url}/admin/community")
    expect(page.locator("article.report")).to_contain_text("off topic")
    page.get_by_role("button", name="Approve").click()
    page.goto(f"{url}/papers/{pid}")
    expect(page.locator("#authors a.claimed")).to_have_attribute("href", "/users/reader")
    # The claimant is told: the header counts it, the notifications page says what was decided.
    told = page.locator("header .account a.notices")
    expect(told.locator(".unseen")).to_have_text("1")
    told.click()
    expect(page.locator("main")).to_contain_text("Your claim to be Mallory O'Hara on")
    expect(page.locator("main")).to_contain_text("was approved")
    expect(page.locator("header .account a.notices .unseen")).to_have_count(0)

    # The admin hides the reported comment: it is gone from the page.
    page.goto(f"{url}/admin/community")
    page.get_by_role("button", name="Hide comment").click()
    page.goto(f"{url}/papers/{pid}")
    expect(page.locator("#discussion")).not_to_contain_text("bound it")
    page.goto(f"{url}/users/reader")
    expect(page.locator("main")).to_contain_text("as Mallory O'Hara")
    assert dialogs == []


def _below_header(page: Page, selector: str) -> None:
    """The element's top edge is just below the site header where that stays on top (or the
    window's top where it scrolled away): not under it, and not far down the screen."""
    header = page.locator("header.top").bounding_box()
    target = page.locator(selector).bounding_box()
    assert header is not None and target is not None
    clear = max(header["y"] + header["height"], 0.0)
    assert clear - 1 <= target["y"] <= clear + 40, (selector, header, target)


@pytest.mark.parametrize(("width", "javascript"), [(1280, True), (1280, False), (480, True)])
def test_a_link_to_a_comment_or_the_cite_box_lands_below_the_header(
    live_site: LiveSite,
    browser,  # type: ignore[no-untyped-def]
    width: int,
    javascript: bool,
) -> None:
    """Following a comment's link (from a profile, a notification, the discussions page) or the
    paper's Cite button shows that comment's head, not the sticky header over it (on a narrow
    screen the header wraps onto several lines)."""
    url, pid = live_site.url, HOSTILE_ID
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        sign_up(page, url, f"linker{width}{javascript:d}")
        for text in ("First point.", "Second point.", "Third point."):
            page.goto(f"{url}/papers/{pid}")
            page.get_by_label("Add a comment").fill(text)
            page.get_by_role("button", name="Post comment").click()
        page.set_viewport_size({"width": width, "height": 420})  # the page scrolls past each
        page.goto(f"{url}/users/linker{width}{javascript:d}")
        links = page.locator("article.comment a[href*='#c']")
        expect(links).to_have_count(3)
        href = links.first.get_attribute("href")
        assert href is not None
        links.first.click()
        page.wait_for_url(re.compile(re.escape(href) + "$"))
        page.wait_for_timeout(300)  # the typeset math may move it: the page corrects for that
        anchor = href.split("#", 1)[1]
        _below_header(page, f"#{anchor} .comment-head")
        page.goto(f"{url}/papers/{pid}")
        page.get_by_role("link", name="Cite").click()
        page.wait_for_timeout(300)
        _below_header(page, "#cite")
        page.goto(f"{url}/papers/{pid}#discussion")  # where a card's 💬 count links to
        page.wait_for_timeout(300)
        _below_header(page, "#discussion h2")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/about")  # then a whole page load, not a jump within the paper's page
        page.goto(f"{url}/papers/{pid}#%E0%A4%A")  # a broken escape in a hand-typed link
        page.wait_for_load_state("load")
        assert errors == []
    finally:
        context.close()


def test_an_at_name_in_a_comment_links_the_profile_and_tells_that_reader(
    page: Page, live_site: LiveSite
) -> None:
    """Typed in the page's comment box, "@name" becomes a link to that reader's profile, and
    the reader sees "mentioned you on" in their notifications and goes to the comment."""
    url, pid = live_site.url, HOSTILE_ID
    sign_up(page, url, "mentioned")
    page.get_by_role("button", name="Sign out").click()
    sign_up(page, url, "mentioner")
    with live_site.engine.begin() as conn:  # names link and tell from accounts a day old
        query = update(users).where(users.c.username.in_(["mentioned", "mentioner"]))
        conn.execute(query.values(created_at=utcnow() - timedelta(days=2)))
    page.goto(f"{url}/papers/{pid}")
    page.get_by_label("Add a comment").fill("What do you think, @Mentioned? Mail me@example.org")
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator("article.comment").first
    mention = comment.get_by_role("link", name="@Mentioned")
    expect(mention).to_have_attribute("href", "/users/mentioned")
    expect(comment.locator(".comment-body a")).to_have_count(1)  # the address is no mention
    mention.click()
    expect(page.locator("h1")).to_contain_text("mentioned")

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill("mentioned")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    told = page.locator("header .account a.notices")
    expect(told.locator(".unseen")).to_have_text("1")
    told.click()
    expect(page.locator("main")).to_contain_text("mentioner mentioned you on")
    page.locator("main article.comment a[href*='#c']").click()
    expect(page.locator("article.comment").first).to_contain_text("What do you think")
