"""A workshop organiser pastes her accepted-papers page, two sessions and their papers, into a
public collection: its page shows the papers under the sessions' headings, and she moves a
paper to another session and renames one through the page's own controls."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.models import Paper
from paperfeed.store import get_papers
from paperfeed.store.tables import papers
from tests.browser.a11y_support import violations
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _long_titled(live_site: LiveSite) -> list[Paper]:
    with live_site.engine.connect() as conn:
        ids = list(conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(80)))
        found = get_papers(conn, ids)
    return [p for p in found.values() if len(p.title.split()) >= 6 and len(p.authors) >= 2][:3]


def _shown(page: Page) -> list[str]:
    """The collection page's section headings and papers' ids, in the page's order."""
    found = page.locator("h2.list-section-heading, article.card")
    return [
        found.nth(i).get_attribute("data-id") or found.nth(i).inner_text()
        for i in range(found.count())
    ]


def _programme(*papers: Paper) -> str:
    """An accepted-papers page: the first paper under an oral session, the rest under posters."""
    return "Accepted Papers\n\nOral 1: Retrieval\n" + "".join(
        f"{n}. {p.title}. {p.authors[0]}, {p.authors[1]}\n"
        + ("\nPoster Session A (14:00-15:30)\n" if n == 1 else "")
        for n, p in enumerate(papers, 1)
    )


def test_a_pasted_programme_keeps_its_sessions_and_is_rearranged_on_its_page(
    page: Page, live_site: LiveSite
) -> None:
    one, two, three = _long_titled(live_site)
    pasted = _programme(one, two, three)
    url = live_site.url
    sign_up(page, url, "organiser")
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill("Workshop 2026")
    made.get_by_label("Visibility").select_option("public")
    made.get_by_role("button", name="New collection").click()
    page.goto(f"{url}/library/import")
    page.get_by_label("Or paste a list of papers").fill(pasted)
    page.get_by_label("Into collection (optional)").fill("Workshop 2026")
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-report")
    expect(report).to_contain_text("3 papers matched and saved (pasted text)")
    expect(report.locator(".into")).to_contain_text(
        "under its sections “Oral 1: Retrieval”, “Poster Session A (14:00-15:30)”"
    )
    expect(report.locator("ul.unmatched")).to_contain_text(
        "(“Poster Session A (14:00-15:30)” is a heading, not a paper)"
    )
    report.get_by_role("link", name="Workshop 2026").click()
    page.locator('a[href^="/c/"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshop 2026")
    oral, poster = "Oral 1: Retrieval", "Poster Session A (14:00-15:30)"
    assert _shown(page) == [oral, one.id, poster, two.id, three.id]
    assert violations(page, "a collection with sections") == []

    entry = page.locator(f'[id="note-{three.id}"]')
    entry.get_by_label("Section", exact=True).select_option(label=oral)
    entry.get_by_role("button", name="Move to section").click()
    expect(page.get_by_role("status").filter(has_text=f"Moved to “{oral}”.")).to_have_count(1)
    assert _shown(page) == [oral, one.id, three.id, poster, two.id]

    renamed = page.get_by_role("form", name="Rename section 1")
    renamed.get_by_label("Heading of section 1").fill("Oral 1: Dense <b>retrieval</b>")
    renamed.get_by_role("button", name="Rename").click()
    heading = page.get_by_role("heading", level=2, name=re.compile("Oral 1: Dense"))
    expect(heading).to_have_text("Oral 1: Dense <b>retrieval</b>")  # as typed, inert
    assert _shown(page)[0] == "Oral 1: Dense <b>retrieval</b>"
    assert violations(page, "the collection after its sections changed") == []


def test_a_programme_pasted_into_a_new_private_collection_is_arranged_in_the_library(
    page: Page, live_site: LiveSite
) -> None:
    one, two, three = _long_titled(live_site)
    pasted = _programme(one, two, three)
    url = live_site.url
    sign_up(page, url, "chair")
    page.goto(f"{url}/library/import")
    page.get_by_label("Or paste a list of papers").fill(pasted)
    page.get_by_label("Into collection (optional)").fill("Reading day")
    page.get_by_role("button", name="Import", exact=True).click()
    page.locator(".import-report").get_by_role("link", name="Reading day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading day")
    shown = page.locator("h2.list-section-heading, article.library-item")
    oral, poster = "Oral 1: Retrieval", "Poster Session A (14:00-15:30)"
    order = [oral, one.id, poster, two.id, three.id]
    expect(shown).to_have_count(5)
    assert [
        shown.nth(i).get_attribute("data-id") or shown.nth(i).inner_text() for i in range(5)
    ] == order
    assert violations(page, "a private collection's sections in the library") == []

    page.get_by_role("form", name="Move section 2").get_by_role("button", name="Move up").click()
    expect(page.get_by_role("status").filter(has_text="Section moved to place 1.")).to_have_count(1)
    entry = page.locator(f'[id="item-{one.id}"]')
    entry.get_by_label("Section", exact=True).select_option(label=poster)
    entry.get_by_role("button", name="Move to section").click()
    expect(page.get_by_role("status").filter(has_text=f"Moved to “{poster}”.")).to_have_count(1)
    assert page.url.startswith(f"{url}/library?collection=")
    expect(shown).to_have_count(4)  # the emptied section has no heading
    got = [shown.nth(i).get_attribute("data-id") or shown.nth(i).inner_text() for i in range(4)]
    assert got[0] == poster and sorted(got[1:]) == sorted([one.id, two.id, three.id])
