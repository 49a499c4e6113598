"""A lab's team reading list in Chromium: the lead fills it, an editor clears it with the
library's tick boxes (the lead's papers as well as their own)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store import collection_editors as editors
from paperfeed.store.accounts import find_user
from paperfeed.store.library import (
    add_many_to_collection,
    collection_paper_ids,
    ensure_collection,
    save_papers,
    saved_ids,
)
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import stored

pytestmark = pytest.mark.browser


def _user_id(site: LiveSite, name: str) -> int:
    with site.engine.connect() as conn:
        found = find_user(conn, name)
    assert found is not None
    return found[0].id


def test_an_editor_ticks_every_paper_of_the_team_list_and_takes_them_all_out(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    browser = page.context.browser
    assert browser is not None
    lead = browser.new_context().new_page()
    sign_up(lead, url, "lead")
    sign_up(page, url, "eddie")
    first, second, third = sorted(stored(live_site.engine))[:3]
    lead_id, eddie_id = _user_id(live_site, "lead"), _user_id(live_site, "eddie")
    with live_site.engine.begin() as conn:
        team = ensure_collection(conn, lead_id, "Team reading", "", "unlisted")
        save_papers(conn, lead_id, [first, second])
        add_many_to_collection(conn, team.id, [first, second])
        editors.add_editor(conn, team, "eddie")
        editors.put_in(conn, eddie_id, team, third)  # one of the editor's own

    page.goto(f"{url}/library")
    page.locator(".shared-with").get_by_role("link", name="Team reading").click()
    expect(page.locator("article.library-item")).to_have_count(3)
    page.get_by_label("Tick all on this page").check()
    page.get_by_label("With the ticked papers").select_option("take_out")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-said]")).to_have_text("3 papers taken out of Team reading.")
    expect(page.locator("article.library-item")).to_have_count(0)
    with live_site.engine.connect() as conn:
        assert collection_paper_ids(conn, team.id) == []
        assert saved_ids(conn, lead_id) >= {first, second}  # still in the lead's library
