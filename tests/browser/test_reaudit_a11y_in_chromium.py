"""Leftovers of the accessibility re-audit, in Chromium: an offline press's note ("can't reach
the site") tied to its button and read out again when it fails again, the import page's paste
box described by its help, the author page's claim tick boxes grouped under a legend, and a
card's "submitted by" link and the paper page's Markdown link with axe-core in light and dark at
1280 and 320 px and by keyboard alone."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from paperfeed.store.accounts import add_submission, find_user
from paperfeed.store.tables import papers
from paperfeed.web.render import paper_url
from tests.browser.a11y_support import checked, screens
from tests.browser.conftest import LiveSite, prolific_author, sign_up, wait_until

pytestmark = pytest.mark.browser
PAPER = "2606.19349"  # a demo paper
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
# Each note with role=alert put into the page, with its words: what a screen reader reads out.
COUNT_ALERTS = """() => {
    window.alertsPut = [];
    new MutationObserver(changes => changes.forEach(change => change.addedNodes.forEach(node => {
        if (node.nodeType === 1 && node.getAttribute("role") === "alert")
            window.alertsPut.push(node.textContent);
    }))).observe(document.body, { childList: true, subtree: true });
}"""


def _described(page: Page, button: str, note: str) -> str:
    """The words the button's aria-describedby names, if it names the note."""
    return str(
        page.evaluate(
            """([button, note]) => {
                const b = document.querySelector(button), n = document.querySelector(note);
                const ids = (b.getAttribute("aria-describedby") || "").split(/\\s+/);
                return n && n.id && ids.includes(n.id) ? n.textContent : "";
            }""",
            [button, note],
        )
    )


def test_an_offline_note_is_tied_to_its_button_and_read_out_again_at_each_failure(
    page: Page, live_site: LiveSite
) -> None:
    sign_up(page, live_site.url, "tunnel")
    page.wait_for_selector("a.who")
    page.goto(f"{live_site.url}/papers/{PAPER}")
    page.evaluate(COUNT_ALERTS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", OFFLINE)
    vote, note = ".actions form.vote button", ".actions form.vote + .unreached"
    save = "form.js-toggle[data-field=saved] button"
    saved_note = "form.js-toggle[data-field=saved] + .unreached"
    page.locator(vote).click()
    expect(page.locator(note)).to_contain_text("Not counted: this page can't reach the site")
    assert _described(page, vote, note).startswith("Not counted: this page can't reach")
    expect(page.locator(vote)).to_have_accessible_description(re.compile("^Not counted: "))
    page.locator(vote).click()  # still offline: the same words, to be read out again
    expect(page.locator(note)).to_have_count(1)
    wait_until(page, "() => window.alertsPut.length >= 2")
    page.locator(save).first.click()
    expect(page.locator(saved_note)).to_contain_text("Not saved: this page can't reach")
    expect(page.locator(save).first).to_have_accessible_description(re.compile("^Not saved: "))
    said = page.evaluate("window.alertsPut")
    assert [words.split(":")[0] for words in said] == ["Not counted", "Not counted", "Not saved"]
    cdp.send("Network.emulateNetworkConditions", ONLINE)
    page.locator(vote).click()
    expect(page.locator(note)).to_have_count(0)  # answered: the note and its tie go
    expect(page.locator(vote)).not_to_have_attribute("aria-describedby", re.compile("."))


def test_the_paste_box_is_described_by_its_help(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "helped")
    page.wait_for_selector("a.who")
    page.goto(live_site.url + "/library/import")
    expect(page.get_by_label("Or paste a list of papers")).to_have_accessible_description(
        re.compile("^A page of accepted papers copied as text")
    )


def test_the_claim_tick_boxes_are_one_group_with_a_legend(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "grouped")
    page.wait_for_selector("a.who")
    page.goto(f"{live_site.url}/authors/{prolific_author(live_site)}")
    page.locator("#claim-papers summary").click()
    group = page.get_by_role("group", name="Your papers on this page")
    expect(group).to_be_visible()
    boxes = page.locator("#claim-papers input[type=checkbox]")
    expect(group.locator("input[type=checkbox]")).to_have_count(boxes.count())
    assert boxes.count() > 1


LONG = "a_reader_with_a_very_long_name32"  # 32 characters, the longest a name may be


def test_submitted_by_and_markdown_links_pass_axe_fit_320_px_and_work_by_keyboard(
    page: Page, live_site: LiveSite
) -> None:
    with live_site.engine.connect() as conn:
        newest = conn.execute(select(func.max(papers.c.listing_date))).scalar_one()
    day = f"{live_site.url}/papers/date/{str(newest)[:10]}"
    sign_up(page, live_site.url, LONG)
    page.wait_for_selector("a.who")
    page.goto(day)
    pid = str(page.locator("article.card").first.get_attribute("data-id"))
    with live_site.engine.begin() as conn:
        found = find_user(conn, LONG)
        assert found is not None
        add_submission(conn, pid, found[0].id, date(2026, 6, 24))
    paper = live_site.url + paper_url(pid)
    problems: list[str] = []
    for scheme, width in screens(page):
        for where in (day, paper):
            page.goto(where)
            problems += checked(page, f"{scheme} {width} {where}", width)
    assert problems == []
    page.set_viewport_size({"width": 320, "height": 640})
    for where, link, lands in (
        (day, f'article.card[data-id="{pid}"] .credit a', f"/users/{LONG}"),
        (paper, "#cite a[type='text/markdown']", paper_url(pid) + ".md"),
    ):
        page.goto(where)
        _tab_to(page, link)
        page.keyboard.press("Enter")
        expect(page).to_have_url(live_site.url + lands)


def _tab_to(page: Page, selector: str) -> None:
    """Tab from the page's top until the link has the focus, with a ring round it."""
    target = page.locator(selector)
    expect(target).to_have_count(1)
    for _ in range(400):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            ring = target.evaluate(
                """e => { const s = getComputedStyle(e);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                    || s.boxShadow !== 'none'; }"""
            )
            assert ring, f"{selector} has the focus but no ring shows round it"
            return
    raise AssertionError(f"Tab never reached {selector}")
