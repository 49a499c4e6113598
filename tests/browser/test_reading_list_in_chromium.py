"""A lecturer's course reading list in Chromium: they put its papers in the order of the weeks
with the page's own buttons and, from the keyboard, a place typed; a student, signed out, reads
it in that order with its notes, and prints it without the site's controls."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store import library as lib
from paperfeed.store.accounts import find_user
from paperfeed.store.shared_lists import set_item_note
from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def _course(page: Page, live_site: LiveSite) -> tuple[str, list[str]]:
    """The lecturer's unlisted course list of four papers of the newest day, put in in the
    page's order: its link's key and the papers as put in."""
    page.goto(live_site.url + newest_day_path(live_site.engine))
    ids = [a.get_attribute("data-id") or "" for a in page.locator("article.card").all()][:4]
    with live_site.engine.begin() as conn:
        found = find_user(conn, "lecturer")
        assert found is not None
        uid = found[0].id
        course = lib.ensure_collection(conn, uid, "ML 101", "Read **before** class", "unlisted")
        lib.save_papers(conn, uid, ids)
        for pid in ids:
            lib.add_to_collection(conn, course.id, pid)
        set_item_note(conn, course.id, ids[2], "Week 1: read sections 1–3")
    return course.share_key, ids


def _papers(page: Page) -> list[str]:
    return [a.get_attribute("data-id") or "" for a in page.locator("article.card").all()]


def test_a_lecturer_orders_the_list_by_clicks_and_keys_and_a_student_reads_and_prints_it(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "lecturer")
    key, ids = _course(page, live_site)
    page.goto(f"{url}/c/{key}")
    expect(page.get_by_role("button", name="Move up")).to_have_count(0)  # newest added first
    page.get_by_role("navigation", name="Order").get_by_role(
        "link", name="the list’s order"
    ).click()
    expect(page).to_have_url(re.compile(rf"/c/{key}\?order=list$"))  # read once it is there
    expect(page.locator("article.card")).to_have_count(len(ids))
    assert _papers(page) == ids
    third = page.get_by_role("form", name=re.compile("up or down$")).nth(2)
    third.get_by_role("button", name="Move up").click()
    expect(page).to_have_url(re.compile(rf"/c/{key}\?order=list#note-"))
    assert _papers(page) == [ids[0], ids[2], ids[1], ids[3]]
    # from the keyboard: to the last paper's place field, type 1, Enter
    place = page.get_by_role("form", name=re.compile("to a place$")).last
    place.get_by_label("Move to place").focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("article.card").first).to_have_attribute("data-id", ids[3])
    wanted = [ids[3], ids[0], ids[2], ids[1]]
    assert _papers(page) == wanted

    browser = page.context.browser
    assert browser is not None
    student = browser.new_context().new_page()  # one of the 60, not signed in
    student.goto(f"{url}/c/{key}")
    assert _papers(student) == wanted
    entry = student.locator(f'[id="note-{ids[2]}"]')
    expect(entry.locator(".list-note")).to_contain_text("Week 1: read sections 1–3")
    expect(student.locator(".description strong")).to_have_text("before")
    expect(student.get_by_role("button", name="Move up")).to_have_count(0)
    expect(
        student.get_by_role("navigation", name="Order").locator("[aria-current=page]")
    ).to_have_text("the list’s order")
    bib = student.request.get(f"{url}/c/{key}/feed.bib").text()
    assert sorted(ids, key=bib.index) == wanted

    student.emulate_media(media="print")
    for hidden in ("header.top", "footer", "nav", "form", "button", ".feeds"):
        shown = student.locator(hidden).filter(visible=True)
        expect(shown).to_have_count(0)
    expect(student.get_by_role("heading", level=1)).to_have_text("ML 101")
    expect(student.locator(".list-note").first).to_be_visible()
    first = student.locator("article.card").first
    expect(first.locator("h3")).to_be_visible()
    expect(first.locator(".authors")).to_be_visible()
    printed_id = first.evaluate("c => getComputedStyle(c, '::after').content")
    assert printed_id == f'"Paper id: {ids[3]}"'
    share = student.locator("#share-url")
    expect(share).to_be_visible()
    expect(share).to_have_value(re.compile(rf"/c/{key}$"))
    student.emulate_media(media="screen")
    expect(student.locator("header.top")).to_be_visible()  # the screen keeps the site
