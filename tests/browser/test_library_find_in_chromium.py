"""The library's own find box in Chromium: a note is found typed without its accents or in
another case, and an editor finds the papers and public notes of a collection shared with them,
not only the papers they saved."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.store import shared_lists as lists
from paperfeed.store.accounts import create_user
from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def _find(page: Page, words: str) -> None:
    """Type `words` into the library's find box and press its Find button."""
    box = page.get_by_role("search", name="Find in your library")
    box.get_by_label("Find in your library").fill(words)
    box.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote_plus(words)) + "(&|$)"))
    page.wait_for_load_state()
    expect(box.get_by_label("Find in your library")).to_have_value(words)


def _shown(page: Page) -> list[str | None]:
    return [a.get_attribute("data-id") for a in page.locator("article.library-item").all()]


def test_a_note_is_found_without_its_accents_and_in_any_case(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "phd")
    page.goto(url + newest_day_path(live_site.engine))
    cards = page.locator("article.card")
    ids = [cards.nth(i).get_attribute("data-id") for i in range(2)]
    for i in range(2):
        cards.nth(i).get_by_role("button", name="Save").click()
        expect(cards.nth(i).get_by_role("button", name="Saved")).to_be_visible()
    page.get_by_role("link", name="Library").first.click()
    item = page.locator(f'article.library-item[data-id="{ids[0]}"]')
    item.get_by_label("Private note (Markdown)").fill("A naïve baseline: see the Café talk by ZOË")
    item.get_by_role("button", name="Save note").click()
    expect(item.locator(".note")).to_contain_text("Café talk by ZOË")

    for words in ("naive zoë", "CAFE", "Naïve"):
        _find(page, words)
        expect(page.locator("p.sub").first).to_contain_text(f"1 paper matching “{words}”")
        assert _shown(page) == [ids[0]], words
    _find(page, "cafe nothing-like-this")
    expect(page.locator("p.empty")).to_have_text(re.compile("Nothing here matches"))


def test_an_editor_finds_the_collections_papers_and_public_notes(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    engine = live_site.engine
    sign_up(page, url, "ana")
    page.goto(url + newest_day_path(engine))
    cards = page.locator("article.card")
    first, second = (cards.nth(i).get_attribute("data-id") for i in range(2))
    assert first and second
    pair = [first, second]
    with engine.connect() as conn:
        rows = conn.execute(select(papers.c.id, papers.c.title).where(papers.c.id.in_(pair)))
        titles = {str(pid): str(title) for pid, title in rows}
    # a word of the second paper's title that the first's does not hold
    word = max(
        (
            w
            for w in re.findall(r"[A-Za-z]{5,}", titles[second])
            if w.lower() not in titles[first].lower()
        ),
        key=len,
    )
    with engine.begin() as conn:
        lead = create_user(conn, "organiser", "x").id
        for pid in (first, second):
            lib.save_paper(conn, lead, pid, "Reading group")
        (group,) = lib.user_collections(conn, lead)
        lists.set_item_note(conn, group.id, first, "Café session: chapter 3")
        lib.update_item(conn, lead, second, note="organiser's private plan")
        editors.add_editor(conn, group, "ana")
    page.goto(f"{url}/library")
    page.locator(".shared-with").get_by_role("link", name="Reading group").click()
    expect(page.locator(".shared-by")).to_contain_text("Shared with you by organiser")

    _find(page, word.upper())  # a paper the editor did not save
    expect(page.locator("p.sub").last).to_contain_text(f"1 paper matching “{word.upper()}”")
    assert _shown(page) == [second]
    _find(page, "cafe chapter")  # the collection's public note
    expect(page.locator(f'article.library-item[data-id="{first}"]')).to_have_count(1)
    assert _shown(page) == [first]
    _find(page, "private plan")  # the owner's own note stays the owner's
    expect(page.locator("p.empty")).to_have_text(re.compile("Nothing here matches"))
