"""A researcher on a slow, flaky connection (a train, a conference hotel), in Chromium with its
network emulated: a comment sent while offline keeps its words and says it was not sent, a slow
one says it is sending and is posted once however often it is pressed, and an upvote or a save
pressed offline says so and keeps the page instead of swapping it for the browser's error."""

from __future__ import annotations

import pytest
from playwright.sync_api import CDPSession, Page, expect
from sqlalchemy import func, select

from paperfeed.store.community import comments
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser

PAPER = "2606.19349"  # a demo paper (with maths in its abstract)
SLOW = {"offline": False, "latency": 800, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
WORDS = "Does the bound hold for $n < 10$ too?"


def _network(page: Page, **conditions: object) -> CDPSession:
    """Chromium's network emulation (DevTools' throttling) for this page."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {**SLOW, **conditions})
    return cdp


def _count(site: LiveSite, body: str) -> int:
    query = select(func.count()).where(comments.c.paper_id == PAPER, comments.c.body == body)
    with site.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _paper_page(page: Page, site: LiveSite, name: str) -> str:
    sign_up(page, site.url, name)
    page.wait_for_selector("a.who")
    page.goto(f"{site.url}/papers/{PAPER}")
    return page.url


def test_a_comment_sent_offline_keeps_its_words_and_is_posted_once_back_online(
    page: Page, live_site: LiveSite
) -> None:
    at = _paper_page(page, live_site, "ontrain")
    page.fill("#comment-body", WORDS)
    cdp = _network(page, offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1)
    post = page.locator("#new-comment button[type=submit]")
    post.click()
    note = page.locator("#new-comment + .unreached")
    expect(note).to_contain_text("Not sent: this page can't reach the site")
    expect(note).to_have_attribute("role", "alert")
    assert page.url == at  # not the browser's offline page
    expect(page.locator("#comment-body")).to_have_value(WORDS)
    expect(post).to_have_text("Post comment")  # pressable again
    cdp.send("Network.emulateNetworkConditions", {**SLOW, "latency": 0})  # back, at full speed
    post.click()
    page.wait_for_url("**comment=*")
    assert page.evaluate("location.hash").startswith("#c")  # at the comment posted
    expect(page.locator(".comment-body", has_text="Does the bound hold")).to_have_count(1)
    assert _count(live_site, WORDS) == 1


def test_a_slow_comment_says_it_is_sending_and_two_presses_post_it_once(
    page: Page, live_site: LiveSite
) -> None:
    _paper_page(page, live_site, "hotelwifi")
    page.fill("#comment-body", WORDS)
    _network(page)  # 400 kbit/s, 800 ms each way
    post = page.locator("#new-comment button[type=submit]")
    # pressed, and again while the first is on its way (impatient); what the button said then
    said = post.evaluate(
        """async button => {
            button.click();
            const said = [button.textContent, button.getAttribute("aria-busy")];
            await new Promise(next => setTimeout(next, 50));
            button.click();
            return said;
        }"""
    )
    assert said == ["Sending…", "true"]
    page.wait_for_url("**comment=*", timeout=30_000)
    expect(page.locator(".comment-body", has_text="Does the bound hold")).to_have_count(1)
    assert _count(live_site, WORDS) == 1


def test_an_upvote_and_a_save_pressed_offline_say_so_and_keep_the_page(
    page: Page, live_site: LiveSite
) -> None:
    at = _paper_page(page, live_site, "fieldstation")
    vote = page.locator(".actions form.vote button")
    cdp = _network(page, offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1)
    vote.click()
    expect(page.locator(".actions form.vote + .unreached")).to_contain_text("Not counted")
    save = page.locator("form.js-toggle[data-field=saved] button").first
    save.click()
    expect(page.locator("form.js-toggle[data-field=saved] + .unreached")).to_contain_text(
        "Not saved"
    )
    assert page.url == at
    expect(vote).to_have_attribute("aria-pressed", "false")
    cdp.send("Network.emulateNetworkConditions", {**SLOW, "latency": 0})
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".unreached")).to_have_count(1)  # the vote's note went; the save's stays
