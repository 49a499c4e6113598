"""An author's first days, in real headless Chromium: two namesakes on one real paper (AGORA
lists two Qi Zhangs) each claim their own place from the paper page and are approved apart, and
an author's answer is marked as the author's on Recent discussions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store.accounts import set_admin
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser
PAPER = "2606.24526"  # authors 2 and 10 are both "Qi Zhang"


def _claim(page: Page, url: str, who: str, choice: str) -> None:
    sign_up(page, url, who)
    page.goto(f"{url}/papers/{PAPER}")
    page.get_by_text("Are you an author of this paper?").click()
    page.get_by_label("This is me:").select_option(label=choice)
    page.get_by_role("button", name="Claim").click()
    expect(page.locator(".claim-box")).to_contain_text("Your claim as Qi Zhang is pending")
    page.get_by_role("button", name="Sign out").click()


def test_two_namesakes_claim_their_places_and_an_answer_is_marked(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    _claim(page, url, "qi-one", "Qi Zhang (author 2 of 10)")
    _claim(page, url, "qi-two", "Qi Zhang (author 10 of 10)")
    sign_up(page, url, "mod")
    with live_site.engine.begin() as conn:
        set_admin(conn, "mod", True)
    page.goto(f"{url}/admin/community")
    for _ in range(2):  # two authors, not rivals for one: each is approved without a question
        page.get_by_role("button", name="Approve").first.click()
        page.wait_for_url(f"{url}/admin/community")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/papers/{PAPER}")  # what any reader sees
    claimed = page.locator("#authors a.claimed")
    expect(claimed).to_have_count(2)
    assert [claimed.nth(i).get_attribute("href") for i in range(2)] == [
        "/users/qi-one",
        "/users/qi-two",
    ]

    page.goto(f"{url}/signin")
    page.get_by_label("User name").fill("qi-two")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{url}/papers/{PAPER}")
    page.get_by_label("Add a comment").fill("Scanned PDFs are about a third of the archive.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#discussion")).to_contain_text("Scanned PDFs are about a third")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/discussions")
    head = page.locator("article.comment .comment-head", has_text="qi-two")
    expect(head.locator(".badge")).to_have_text("author")


def test_an_authors_bio_keeps_its_lines_and_stays_inert(page: Page, live_site: LiveSite) -> None:
    url = live_site.url
    sign_up(page, url, "qi-bio")
    page.goto(f"{url}/settings/profile")
    page.get_by_label("Affiliation").fill("Fudan University <b>NLP</b>")
    page.get_by_label("About you").fill("PhD student.\nI work on <script>alert(1)</script> agents.")
    page.get_by_label("Links").fill("https://github.com/qi-bio\nhttps://scholar.google.com/x")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(f"{url}/users/qi-bio")
    bio = page.locator(".profile .bio")
    assert bio.inner_text() == "PhD student.\nI work on <script>alert(1)</script> agents."
    expect(page.locator(".profile .affiliation")).to_have_text("Fudan University <b>NLP</b>")
    links = page.locator(".profile .links a")
    expect(links).to_have_count(2)
    expect(links.first).to_have_attribute("href", "https://github.com/qi-bio")
