"""A reading group's lead describes a shared collection; a stranger reads it in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from paperfeed.store.accounts import find_user
from paperfeed.store.library import user_collections
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser

NAME = "Week 49 🧪 <script>alert(1)</script> עברית"


def test_a_described_collection_shows_its_markdown_and_maths_to_a_stranger(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    sign_up(page, url, "grouplead")
    page.goto(f"{url}/library")
    made = page.get_by_role("form", name="New collection")
    made.get_by_label("Name").fill(NAME)
    made.get_by_role("button", name="New collection").click()
    edit = page.get_by_role("form", name="Edit collection")
    edit.get_by_label("Description (Markdown; math between $ signs)").fill(
        "We read **two** papers on $\\alpha + \\beta$.\n\nBring questions."
    )
    edit.get_by_label("Visibility").select_option("public")
    edit.get_by_role("button", name="Save collection").click()
    with live_site.engine.connect() as conn:
        found = find_user(conn, "grouplead")
        assert found is not None
        (week,) = [c for c in user_collections(conn, found[0].id) if c.name == NAME]
    browser = page.context.browser
    assert browser is not None
    stranger = browser.new_context().new_page()
    stranger.on("dialog", refuse)
    stranger.goto(f"{url}/c/{week.share_key}")
    expect(stranger.get_by_role("heading", level=1)).to_have_text(NAME)
    described = stranger.locator(".description")
    expect(described.locator("strong")).to_have_text("two")
    expect(described.locator(".katex")).to_have_count(1)  # typeset, not "$\alpha + \beta$"
    expect(described.locator("p")).to_have_count(2)
    assert dialogs == []  # the name's <script> never ran
