"""A card's "Saved" button asks before a paper with the reader's note leaves the library."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, answer_next_dialog, newest_day_path, sign_up

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_unsaving_a_paper_with_a_note_asks_first(
    page: Page, live_site: LiveSite, javascript: bool
) -> None:
    url = live_site.url
    if not javascript:
        page.context.close()
        browser = page.context.browser
        assert browser is not None
        page = browser.new_context(java_script_enabled=False).new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    sign_up(page, url, f"keeper{'js' if javascript else 'plain'}")
    day = url + newest_day_path(live_site.engine)
    page.goto(day)
    card = page.locator("article.card").nth(2 if javascript else 3)
    pid = card.get_attribute("data-id")
    card.get_by_role("button", name="Save").click()
    saved = page.locator(f'article.card[data-id="{pid}"]').get_by_role("button", name="Saved")
    expect(saved).to_be_visible()  # saved (the fetch, or the form's round trip) before moving on
    page.goto(f"{url}/library")
    item = page.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_label("Private note (Markdown)").fill("Key idea: **lemma 2**.")
    item.get_by_role("button", name="Save note").click()
    expect(item.locator(".note strong")).to_have_text("lemma 2")
    page.goto(day)
    card = page.locator(f'article.card[data-id="{pid}"]')
    if javascript:
        asked: list[str] = []
        answer_next_dialog(page, False, asked)
        card.get_by_role("button", name="Saved").click()
        # Its request answered (the button is busy while it runs, and keeps the focus).
        expect(card.get_by_role("button", name="Saved")).not_to_have_attribute("aria-busy", "true")
        assert asked and "Your note goes with it" in asked[0]
        page.goto(f"{url}/library")
        expect(page.locator(f'article.library-item[data-id="{pid}"] .note')).to_contain_text(
            "lemma 2"
        )  # kept
        page.goto(day)
        card = page.locator(f'article.card[data-id="{pid}"]')
        answer_next_dialog(page, True, asked)
        card.get_by_role("button", name="Saved").click()
        expect(card.get_by_role("button", name="Save", exact=True)).to_be_visible()
    else:
        card.get_by_role("button", name="Saved").click()
        expect(page.get_by_role("heading", name="Remove from your library?")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Your note goes with it")
        page.get_by_role("link", name="Keep it").click()
        expect(
            page.locator(f'article.card[data-id="{pid}"]').get_by_role("button", name="Saved")
        ).to_be_visible()
        page.locator(f'article.card[data-id="{pid}"]').get_by_role("button", name="Saved").click()
        page.get_by_role("button", name="Remove it").click()
        card = page.locator(f'article.card[data-id="{pid}"]')
        expect(card.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.goto(f"{url}/library")
    expect(page.locator(f'article.library-item[data-id="{pid}"]')).to_have_count(0)
    assert errors == []  # asking is an answer, not a failed request in the console
    if not javascript:
        page.context.close()
