"""A lab's lead leaving, in Chromium: the account's Delete page names the team list others
edit; the lead follows its link and offers the list to its editor, who accepts it from her own
library in her own browser; the lead deletes the account and the editor owns the list, papers
and all."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, answer_next_dialog, newest_day_path, sign_up

pytestmark = pytest.mark.browser


def test_a_leaving_lead_is_told_of_the_team_list_and_hands_it_over_first(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    browser = page.context.browser
    assert browser is not None
    ana = browser.new_context().new_page()
    sign_up(ana, url, "ana")

    sign_up(page, url, "lead")
    page.goto(url + newest_day_path(live_site.engine))
    pid = page.locator("article.card").first.get_attribute("data-id")
    page.locator(f'article.card[data-id="{pid}"]').get_by_role("button", name="Save").click()
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill("Team list")
    made.get_by_role("button", name="New collection").click()
    editors = page.get_by_role("region", name="Editors")
    editors.get_by_label("User name").fill("ana")
    editors.get_by_role("button", name="Add editor").click()
    expect(page.locator("[data-said]")).to_have_text("ana may edit it now.")
    page.goto(f"{url}/library")
    page.locator(f'input[name=paper_id][value="{pid}"]').check()
    bulk = page.get_by_role("form", name="Change the ticked papers")
    bulk.get_by_label("With the ticked papers").select_option("add")
    bulk.get_by_label("Collection to put them in").fill("Team list")
    bulk.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-said]")).to_be_visible()

    page.goto(f"{url}/account/delete")
    warned = page.get_by_role("note")
    expect(warned).to_contain_text("Other readers use this collection of yours")
    expect(warned.get_by_role("listitem")).to_have_text(re.compile(r"Team list\s*· 1 editor$"))
    warned.get_by_role("link", name="Team list").click()
    handing = page.get_by_role("form", name="Hand over this collection")
    expect(handing.get_by_label("New owner")).to_have_value("ana")
    handing.get_by_label("Stay one of its editors").uncheck()
    asked: list[str] = []
    answer_next_dialog(page, True, asked)
    handing.get_by_role("button", name="Offer hand-over").click()
    expect(page.locator("[data-said]")).to_have_text(
        "Offered to ana: it stays yours until they accept."
    )
    assert asked == [
        "Offer “Team list” to its new owner? It stays yours until they accept; then they "
        "rename, share and delete it and name its editors."
    ]
    expect(page.locator("#offer-pending")).to_have_text(
        "Offered to ana: it stays yours until they accept it."
    )
    expect(page.get_by_role("form", name="Edit collection")).to_be_visible()  # still hers

    ana.goto(f"{url}/library")
    ana.locator("aside").get_by_role("link", name="offered to you").click()
    offer = ana.get_by_role("region", name="Take over “Team list”?")
    expect(offer).to_contain_text("lead offers you this collection")
    offer.get_by_role("button", name="Accept").click()
    expect(ana.locator("[data-said]")).to_have_text("“Team list” is yours now.")
    expect(ana.get_by_role("form", name="Edit collection")).to_be_visible()  # hers to rename

    page.goto(f"{url}/library")
    expect(page.locator("aside").get_by_role("link", name="Team list")).to_have_count(0)

    page.goto(f"{url}/account/delete")
    expect(page.get_by_role("note")).to_have_count(0)
    page.get_by_label("Your password").fill("a long password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/account/deleted$"))

    ana.goto(f"{url}/library")
    ana.locator("aside").get_by_role("link", name="Team list").click()
    expect(ana.get_by_role("form", name="Edit collection")).to_be_visible()  # hers still
    expect(ana.locator(f'article.library-item[data-id="{pid}"]')).to_have_count(1)
