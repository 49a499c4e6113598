"""A reading group's two organisers share one collection in Chromium: the owner names the other
an editor; the editor, in their own browser, puts a paper in from a card of their library and
writes its note; the owner finds both in their library."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def test_an_editor_adds_a_paper_from_a_card_and_notes_it_and_the_owner_sees_both(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    browser = page.context.browser
    assert browser is not None
    editor = browser.new_context().new_page()
    editor.on("dialog", refuse)
    sign_up(editor, url, "ana")

    page.on("dialog", refuse)
    sign_up(page, url, "organiser")
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill("Reading group")
    made.get_by_role("button", name="New collection").click()  # private: no shared page
    expect(page.get_by_role("heading", level=1)).to_have_text("Reading group")
    editors = page.get_by_role("region", name="Editors")
    editors.get_by_label("User name").fill("ana")
    editors.get_by_role("button", name="Add editor").click()
    expect(page.locator("[data-said]")).to_have_text("ana may edit it now.")
    expect(page.locator("ul.editors li")).to_have_text(re.compile(r"^\s*ana\b"))

    editor.goto(url + newest_day_path(live_site.engine))
    pid = editor.locator("article.card").first.get_attribute("data-id")
    card = editor.locator(f'article.card[data-id="{pid}"]')
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("button", name="Saved")).to_be_visible()
    editor.goto(f"{url}/library")
    expect(editor.locator(".shared-with")).to_have_text(
        re.compile(r"Reading group\s+shared with you by organiser")
    )
    item = editor.locator(f'article.library-item[data-id="{pid}"]')
    shared = item.get_by_role("form", name=re.compile("shared with you$"))
    expect(shared.get_by_role("combobox")).to_have_value(re.compile(r"^\d+$"))
    shared.get_by_role("button", name="Add to shared collection").click()
    editor.locator(".shared-with").get_by_role("link", name="Reading group").click()
    expect(editor.locator(".shared-by")).to_contain_text("Shared with you by organiser")
    item = editor.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_text("Add a note for Reading group").click()
    item.get_by_label(re.compile("on this paper")).fill("Read on **12 Dec**, led by Ana")
    item.get_by_role("button", name="Save list note").click()  # beside the private note's
    expect(editor.locator("[data-said]")).to_have_text("Note saved.")
    expect(editor.locator(f'[id="item-{pid}"] .list-note strong')).to_have_text("12 Dec")
    expect(editor.get_by_role("region", name="Editors")).to_have_count(0)  # the owner's alone
    expect(editor.get_by_role("form", name="Edit collection")).to_have_count(0)

    page.goto(f"{url}/library")
    page.locator("aside").get_by_role("link", name="Reading group").click()
    mine = page.locator(f'article.library-item[data-id="{pid}"]')
    expect(mine).to_have_count(1)
    expect(mine.locator(".list-note strong")).to_have_text("12 Dec")
    expect(mine.locator(".meta").first).to_have_text("To read")  # in the owner's library too
    assert dialogs == []
