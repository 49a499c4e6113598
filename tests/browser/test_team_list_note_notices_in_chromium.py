"""A student's reading list shared with her advisor, in Chromium: the advisor writes a note on a
paper of it in his library; the student's header counts one new notification, which says he
wrote a note in her list and links to it, where the note shows under the paper; with the note
editor open she still sees the paper's reading state (on a phone's width too) and marks it
read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, newest_day_path, sign_up

pytestmark = pytest.mark.browser

NAME = "Thesis <b>reading</b>"  # shown as typed, never as markup


def _shared_list(page: Page, live_site: LiveSite) -> str:
    """The student saves a paper into her new list NAME and names alan its editor: the paper."""
    url = live_site.url
    page.goto(url + newest_day_path(live_site.engine))
    pid = page.locator("article.card").first.get_attribute("data-id")
    assert pid
    card = page.locator(f'article.card[data-id="{pid}"]')
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("button", name="Saved")).to_be_visible()
    page.goto(f"{url}/library")
    item = page.locator(f'article.library-item[data-id="{pid}"]')
    add = item.get_by_role("form", name=re.compile(r"^Add .+ to a collection$"))
    add.get_by_role("textbox").fill(NAME)
    add.get_by_role("button", name="Add to collection").click()
    page.locator("aside").get_by_role("link", name=NAME).click()
    editors = page.get_by_role("region", name="Editors")
    editors.get_by_label("User name").fill("alan")
    editors.get_by_role("button", name="Add editor").click()
    expect(page.locator("[data-said]")).to_have_text("alan may edit it now.")
    return pid


def test_the_student_follows_the_notice_of_her_advisors_note_to_her_list(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    url = live_site.url
    browser = page.context.browser
    assert browser is not None
    alan = browser.new_context().new_page()
    sign_up(alan, url, "alan")
    sign_up(page, url, "sara")
    pid = _shared_list(page, live_site)

    alan.goto(f"{url}/library")
    alan.locator(".shared-with").get_by_role("link", name=NAME).click()
    item = alan.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_text(f"Add a note for {NAME}").click()
    item.get_by_label(re.compile("on this paper")).fill("Read **section 3** first")
    item.get_by_role("button", name="Save list note").click()
    expect(alan.locator("[data-said]")).to_have_text("Note saved.")
    expect(alan.locator("a.notices .unseen")).to_have_count(0)  # not told of his own note

    page.goto(url + "/")
    bell = page.get_by_role("link", name="Notifications: 1 new")
    expect(bell).to_have_text("Notifications 1")
    bell.click()
    notice = page.locator("article.notice-list")
    expect(notice).to_contain_text(f"alan wrote a note on 1 paper in “{NAME}”")
    expect(notice.locator("b")).to_have_count(0)
    notice.get_by_role("link", name=f"“{NAME}”").click()
    expect(page).to_have_url(re.compile(r"/library\?collection=\d+$"))
    mine = page.locator(f'article.library-item[data-id="{pid}"]')
    expect(mine.locator(".list-note strong")).to_have_text("section 3")
    expect(mine.locator(".note-credit")).to_contain_text("note by alan")

    mine.get_by_text(f"Edit the note for {NAME}").click()  # the note editor open
    expect(mine.get_by_label(re.compile("on this paper"))).to_be_visible()
    state = mine.get_by_role("combobox", name="Reading state")
    expect(state).to_be_visible()
    page.screenshot(path=str(tmp_path / "note-editor-open.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column
    expect(state).to_be_visible()
    expect(mine.get_by_label(re.compile("on this paper"))).to_be_visible()
    state.select_option("read")
    expect(mine.locator(".state-saved")).to_have_text("Saved: read")
    expect(mine.locator("p.meta")).to_have_text("Read")
    page.reload()
    expect(page.locator(f'article.library-item[data-id="{pid}"] p.meta')).to_have_text("Read")
