"""Without JavaScript a card's and a library item's forms come back to that card, scrolled to;
with it, Back after a change in place shows the change, not the page as it was first loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from paperfeed.store import library as lib
from paperfeed.store.accounts import find_user
from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


@pytest.fixture
def plain(browser: Browser) -> Iterator[Page]:
    """A page in a browser context with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_card_buttons_come_back_to_the_card(plain: Page, live_site: LiveSite) -> None:
    sign_up(plain, live_site.url, "plainreader")
    listing = live_site.url + "/search?q=learning&mode=keyword&page=2"
    plain.goto(listing)
    pid = plain.locator("article.card").nth(20).get_attribute("data-id")
    card = plain.locator(f'article.card[data-id="{pid}"]')
    presses = (("Save", "Saved"), ("More like this", "More like this"), ("Upvote", "Undo upvote"))
    for press, pressed in presses:
        card.get_by_role("button", name=press, exact=True).or_(card.get_by_title(press)).click()
        button = card.get_by_role("button", name=pressed, exact=True).or_(
            card.get_by_title(pressed)
        )
        expect(button).to_have_attribute("aria-pressed", "true")
        expect(plain).to_have_url(f"{listing}#card-{pid}")  # the same query and page number
        expect(card).to_be_in_viewport()  # where the reader was, not the top of the page
        plain.evaluate("window.scrollTo(0, 0)")


def test_library_item_forms_come_back_to_the_item(plain: Page, live_site: LiveSite) -> None:
    sign_up(plain, live_site.url, "plainshelf")
    plain.goto(live_site.url + newest_day_path(live_site.engine))
    ids = [str(card.get_attribute("data-id")) for card in plain.locator("article.card").all()]
    with live_site.engine.begin() as conn:
        found = find_user(conn, "plainshelf")
        assert found is not None
        lib.save_papers(conn, found[0].id, ids[:20])
    plain.goto(live_site.url + "/library?state=to_read")
    pid = plain.locator("article.library-item").nth(15).get_attribute("data-id")
    item = plain.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_label("Private note (Markdown)").fill("Read **section 3**.")
    item.get_by_role("button", name="Save note").click()
    expect(item.locator(".note strong")).to_have_text("section 3")
    expect(plain).to_have_url(f"{live_site.url}/library?state=to_read#item-{pid}")
    expect(item).to_be_in_viewport()
    item.locator("input[name=collection]").fill("Thesis")
    item.get_by_role("button", name="Add to collection").click()
    expect(item.locator(".in-collections a")).to_have_text(["Thesis"])
    expect(item).to_be_in_viewport()


def test_back_after_a_change_in_place_shows_the_change(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "tabreader")
    listing = live_site.url + "/search?q=learning&mode=keyword"
    page.goto(listing)
    pid = page.locator("article.card").nth(5).get_attribute("data-id")
    card = page.locator(f'article.card[data-id="{pid}"]')
    card.get_by_role("button", name="Save", exact=True).click()  # sent by fetch: no reload
    expect(card.get_by_role("button", name="Saved", exact=True)).to_be_visible()
    card.locator("form.vote button").click()
    expect(card.locator("form.vote button")).to_have_attribute("aria-pressed", "true")
    card.locator("h3 a").click()
    expect(page).to_have_url(f"{live_site.url}/papers/{pid}")
    page.go_back()
    expect(page).to_have_url(listing)
    # Not the page as first loaded (Save, not upvoted), whose next click would undo nothing.
    expect(card.get_by_role("button", name="Saved", exact=True)).to_be_visible()
    expect(card.locator("form.vote button")).to_have_attribute("aria-pressed", "true")
    expect(card.locator("input[name=saved]")).to_have_value("0")


def test_a_paper_saved_or_rated_on_for_you_is_said_as_it_leaves(
    plain: Page, live_site: LiveSite
) -> None:
    sign_up(plain, live_site.url, "plainfan")
    plain.goto(live_site.url + "/for-you")
    picker = plain.locator("form.start fieldset")
    picker.get_by_role("checkbox").first.check()
    plain.get_by_role("button", name="Follow and rank").click()
    for press, said in (("Save", "saved to your library"), ("Less like this", "rated 👎")):
        card = plain.locator("article.card").nth(2)
        pid = card.get_attribute("data-id")
        title = card.locator("h3").inner_text()
        card.get_by_role("button", name=press, exact=True).click()
        # For you leaves out what was saved or rated: the card goes, and the page says why.
        expect(plain.locator(f'article.card[data-id="{pid}"]')).to_have_count(0)
        notice = plain.get_by_role("status").filter(has_text=said)
        expect(notice).to_contain_text(title)
        expect(notice.get_by_role("link", name=title)).to_have_attribute("href", f"/papers/{pid}")
    plain.goto(live_site.url + "/for-you?window=month")  # said after the button, not after
    expect(plain.get_by_role("status").filter(has_text="rated 👎")).to_have_count(0)


def test_a_comment_upvote_stays_in_place(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "talker")
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.locator("article.card h3 a").first.click()
    page.wait_for_url(re.compile(re.escape(live_site.url) + r"/papers/[^/?#]+$"))
    paper = page.url
    page.get_by_label("Add a comment").fill("A question about lemma 2.")
    page.get_by_role("button", name="Post comment").click()
    vote = page.locator("article.comment").first.locator("form.comment-vote button")
    expect(vote.locator(".count")).to_have_text("0")
    page.evaluate("window.stayed = true")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text("1")
    vote.press("Enter")  # the keyboard stays on it, and undoes it
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote.locator(".count")).to_have_text("0")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stayed === true")  # no reload
    page.goto(paper)  # the server agrees
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".count")).to_have_text("1")


def test_back_shows_the_reading_state_as_it_is_now(page: Page, live_site: LiveSite) -> None:
    sign_up(page, live_site.url, "stater")
    page.goto(live_site.url + newest_day_path(live_site.engine))
    pid = page.locator("article.card").first.get_attribute("data-id")
    page.locator("article.card").first.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("article.card").first.locator(".save-btn")).to_have_text("Saved")
    page.goto(live_site.url + "/library")
    item = page.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_label("Reading state").select_option("read")  # kept at once, in place
    expect(item.locator(".state-saved")).to_contain_text("Saved: read")
    item.locator("h3 a").click()
    state = page.locator(".my-note").get_by_label("Reading state")
    expect(state).to_have_value("read")
    state.select_option("to_read")
    expect(page.locator(".my-note .state-saved")).to_contain_text("Saved: to read")
    page.go_back()
    # What the library says now, not the choice the browser remembered for this page: a note
    # saved next would otherwise mark the paper read again.
    expect(item.locator("p.meta")).to_have_text("To read")
    expect(item.get_by_label("Reading state")).to_have_value("to_read")


def test_a_follow_says_what_it_did_where_it_comes_back(page: Page, live_site: LiveSite) -> None:
    """Follow and mute reload the page (with or without JavaScript) and only their button
    changed: no line said what was done, so a screen reader heard nothing."""
    sign_up(page, live_site.url, "statusreader")
    page.goto(live_site.url + "/categories/cs.CR")
    page.get_by_role("button", name="Follow this category").click()
    said = page.get_by_role("status").filter(has_text="Followed category “cs.CR”.")
    expect(said).to_be_visible()
    expect(page.get_by_role("button", name="Following · unfollow")).to_be_visible()
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Followed category")).to_have_count(0)
