"""An editor of a shared collection puts a paper in it from the paper's page in Chromium: the
page's "In …" line then names that collection (linking to it), and never the owner's private
collection holding the same paper."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def test_an_editor_sees_the_shared_collection_they_put_a_paper_in(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    browser = page.context.browser
    assert browser is not None
    editor = browser.new_context().new_page()
    sign_up(editor, url, "ana")

    sign_up(page, url, "organiser")
    page.goto(url + newest_day_path(live_site.engine))
    paper = page.locator("article.card").first.get_attribute("data-id")
    page.goto(f"{url}/papers/{paper}")
    page.get_by_role("form", name="Add to a collection").get_by_label("Collection").fill("Secret")
    page.get_by_role("button", name="Add to collection").click()
    expect(page.locator(".in-collections > span")).to_have_text("In Secret")
    page.goto(f"{url}/library")
    page.get_by_text("New collection", exact=True).first.click()  # closed: they have one
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill("Reading group")
    made.get_by_role("button", name="New collection").click()
    editors = page.get_by_role("region", name="Editors")
    editors.get_by_label("User name").fill("ana")
    editors.get_by_role("button", name="Add editor").click()
    expect(page.locator("[data-said]")).to_have_text("ana may edit it now.")

    editor.goto(f"{url}/papers/{paper}")
    expect(editor.locator(".in-collections > span")).to_have_count(0)
    shared = editor.get_by_role("form", name="Add to a collection shared with you")
    shared.get_by_role("combobox").select_option(label="Reading group (organiser)")
    shared.get_by_role("button", name="Add to shared collection").click()
    line = editor.locator(".in-collections > span")
    expect(line).to_have_text(re.compile(r"^In Reading group \(shared by organiser\)$"))
    line.get_by_role("link", name="Reading group").click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Reading group")
    expect(editor.locator(f'article.library-item[data-id="{paper}"]')).to_have_count(1)
