"""Keyboard shortcuts on lists of papers (static/keys.js), pressed in headless Chromium: each
key does what the About page says, to the paper it names, with the page's own buttons."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.store.accounts import votes
from paperfeed.store.library import library, user_ratings
from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def _focused_title(page: Page) -> str:
    return str(page.evaluate("document.activeElement.closest('article').dataset.id"))


def _selected(page: Page) -> list[str]:
    return list(page.eval_on_selector_all(".key-selected", "els => els.map(e => e.dataset.id)"))


def _upvoted(site: LiveSite, paper_id: str) -> bool:
    with site.engine.connect() as conn:
        rows = conn.execute(
            votes.select().where(votes.c.paper_id == paper_id, votes.c.user_id == 1)
        )
        return rows.first() is not None


def test_j_k_s_u_plus_minus_move_and_press_the_papers_own_buttons(
    page: Page, live_site: LiveSite
) -> None:
    sign_up(page, live_site.url, "keys")
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.evaluate("window.__sameDocument = true")  # gone if a key reloads the page
    cards = page.locator("article.card")
    first, second = cards.nth(0).get_attribute("data-id"), cards.nth(1).get_attribute("data-id")
    assert first and second and first != second

    page.keyboard.press("j")
    assert (_focused_title(page), _selected(page)) == (first, [first])
    page.keyboard.press("j")
    assert (_focused_title(page), _selected(page)) == (second, [second])
    page.keyboard.press("k")
    assert (_focused_title(page), _selected(page)) == (first, [first])

    page.keyboard.press("s")
    expect(cards.nth(0).get_by_role("button", name="Saved")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.keyboard.press("+")
    more = cards.nth(0).get_by_role("button", name="More like this")
    expect(more).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("-")
    expect(cards.nth(0).get_by_role("button", name="Less like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(more).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("j")
    page.keyboard.press("u")
    expect(cards.nth(1).locator("form.vote button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__sameDocument") is True
    with live_site.engine.connect() as conn:
        assert [i.paper_id for i in library(conn, 1)] == [first]
        assert user_ratings(conn, 1) == {first: -1}
    assert _upvoted(live_site, second) and not _upvoted(live_site, first)

    # "/" goes to the search box, and a "j" typed there is a letter, not a move.
    page.keyboard.press("/")
    box = page.locator("main form[role=search] input[name=q], header input[name=q]").first
    expect(box).to_be_focused()
    page.keyboard.type("jk")
    expect(box).to_have_value("jk")
    assert _selected(page) == [second]

    # "o" opens the selected paper; there, "s" saves the page's own paper.
    page.locator(f"article.card[data-id='{second}'] h3 a").focus()
    page.keyboard.press("o")
    expect(page).to_have_url(live_site.url + f"/papers/{second}")
    page.keyboard.press("s")
    expect(page.locator("article.paper .save-btn")).to_have_attribute("aria-pressed", "true")
    with live_site.engine.connect() as conn:
        assert sorted(i.paper_id for i in library(conn, 1)) == sorted([first, second])


def test_question_mark_lists_the_keys_and_they_can_be_turned_off(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.locator("dt kbd")).to_have_text(["j", "k", "o", "s", "u", "+", "-", "/", "?"])
    assert [v["id"] for v in Axe().run(page).response["violations"]] == []
    page.keyboard.press("j")  # the list is open: keys wait
    assert _selected(page) == []
    # its switch has the focus: "?" again closes the list (a focused checkbox once counted as
    # typing, which turned every key off), and opens it again
    expect(dialog.get_by_label("Use these single-key shortcuts")).to_be_focused()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Use these single-key shortcuts").uncheck()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    page.keyboard.press("j")
    page.keyboard.press("?")
    assert _selected(page) == []
    expect(dialog).to_be_hidden()

    # The About page lists them without JavaScript's help and keeps the switch, now off.
    page.goto(live_site.url + "/about")
    expect(page.locator("#keys + p + dl.keys kbd").first).to_have_text("j")
    switch = page.get_by_label("Use these single-key shortcuts")
    expect(switch).not_to_be_checked()
    switch.check()
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.keyboard.press("j")
    first = page.locator("article.card").first.get_attribute("data-id")
    assert _selected(page) == [first]


def test_signed_out_upvote_key_asks_to_sign_in_and_changes_nothing(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.keyboard.press("j")
    first = page.locator("article.card").first
    paper = first.get_attribute("data-id")
    page.keyboard.press("s")  # no Save button signed out: nothing happens
    page.keyboard.press("u")
    expect(first.locator(".vote-note")).to_contain_text("to upvote")
    assert paper and not _upvoted(live_site, paper)


def test_j_and_o_walk_a_topics_page_rows_skipping_those_folded_away(
    page: Page, live_site: LiveSite
) -> None:
    day = newest_day_path(live_site.engine).rsplit("/", 1)[1]
    page.goto(f"{live_site.url}/topics/date/{day}")
    rows = page.locator("#topic-1 .topic-papers li")
    shown = page.locator("#topic-1 > ol.topic-papers > li")
    assert rows.count() > shown.count() > 1  # the rest behind "more"
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = shown.nth(1).locator("a")
    expect(second).to_be_focused()
    for _ in range(shown.count() - 1):
        page.keyboard.press("j")
    # the first row of the next topic, not the folded rows of this one
    expect(page.locator("#topic-2 > ol.topic-papers > li a").first).to_be_focused()
    page.keyboard.press("k")
    href = shown.last.locator("a").get_attribute("href")
    assert href
    expect(shown.last.locator("a")).to_be_focused()
    page.keyboard.press("o")
    expect(page).to_have_url(live_site.url + href)
