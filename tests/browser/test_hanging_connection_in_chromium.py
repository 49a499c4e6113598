"""A researcher on a connection that hangs (a train in a tunnel, a captive hotel wifi), in
Chromium: an upvote or a save whose request is never answered is given up after a while, its
button usable again with a note saying so; a report says it is sending and a second press sends
nothing more. The page's clock is Playwright's, moved on by hand: no waiting in the test."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment, comment_reports
from paperfeed.web.auth import hash_new_password
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser

PAPER = "2606.19349"  # a demo paper
GIVEN_UP = "did not answer in time"


def _paper_page(page: Page, site: LiveSite, name: str) -> None:
    page.clock.install()  # the page's timers, moved on by the test
    sign_up(page, site.url, name)
    page.wait_for_selector("a.who")
    page.goto(f"{site.url}/papers/{PAPER}")


def _hold(page: Page, *patterns: str) -> list[Route]:
    """Requests to `patterns` are held, never answered, until the test lets them go."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    for pattern in patterns:
        page.route(pattern, hold)
    return held


def test_a_hanging_upvote_and_save_are_given_up_and_can_be_pressed_again(
    page: Page, live_site: LiveSite
) -> None:
    _paper_page(page, live_site, "tunnel")
    held = _hold(page, "**/upvote", "**/save")
    vote = page.locator(".actions form.vote button")
    save = page.locator("form.js-toggle[data-field=saved] button").first
    vote.click()
    save.click()
    expect(vote).to_have_attribute("aria-busy", "true")
    expect(save).to_have_attribute("aria-busy", "true")
    page.clock.run_for(21_000)  # no answer within 20 s
    expect(page.locator(".actions form.vote + .unreached")).to_contain_text(
        "Not counted: the site " + GIVEN_UP
    )
    expect(page.locator("form.js-toggle[data-field=saved] + .unreached")).to_contain_text(
        "Not saved: the site " + GIVEN_UP
    )
    expect(vote).not_to_have_attribute("aria-busy", "true")
    expect(save).not_to_have_attribute("aria-busy", "true")
    expect(vote).to_have_attribute("aria-pressed", "false")
    page.unroute_all()  # the connection is back
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".actions form.vote + .unreached")).to_have_count(0)
    assert len(held) == 2


def test_a_report_says_it_is_sending_and_a_second_press_sends_nothing_more(
    page: Page, live_site: LiveSite
) -> None:
    with live_site.engine.begin() as conn:
        author = create_user(conn, "loud", hash_new_password("a long password")).id
        cid = add_comment(conn, PAPER, author, "Buy my course", None)
    _paper_page(page, live_site, "hotelwifi")
    held = _hold(page, "**/report")
    box = page.locator(f"#c{cid} .report-box")
    box.locator("summary").click()
    box.get_by_label("Reason").fill("an advert")
    send = box.get_by_role("button", name="Send report")
    # pressed, and again while the first is held (impatient); what the button said each time
    said = send.evaluate(
        """button => {
            button.click();
            const first = [button.textContent, button.getAttribute("aria-busy")];
            button.click();
            return [first, [button.textContent, button.getAttribute("aria-busy")]];
        }"""
    )
    assert said == [["Sending…", "true"], ["Sending…", "true"]]
    while not held:  # the held request's route, on its way to the test
        page.wait_for_timeout(20)
    held[0].continue_()
    page.wait_for_url(f"**reported={cid}*")
    assert len(held) == 1
    query = select(func.count()).where(comment_reports.c.comment_id == cid)
    with live_site.engine.connect() as conn:
        assert conn.execute(query).scalar_one() == 1
