"""A reading group's lead describes a shared collection; a stranger reads it in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Dialog, Page, expect

from paperfeed.store.accounts import find_user
from paperfeed.store.library import (
    add_many_to_collection,
    ensure_collection,
    save_papers,
    user_collections,
)
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import stored

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


def test_a_stranger_sorts_a_collection_and_finds_it_again_from_a_papers_page(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    sign_up(page, url, "sorter")
    with live_site.engine.begin() as conn:
        found = find_user(conn, "sorter")
        assert found is not None
        week = ensure_collection(conn, found[0].id, NAME, "Week **49**: $e^{i\\pi}$", "public")
        ids = sorted(stored(live_site.engine))[:3]
        save_papers(conn, found[0].id, ids)
        add_many_to_collection(conn, week.id, ids)
    page.context.clear_cookies()  # now a stranger
    page.goto(f"{url}/c/{week.share_key}")
    page.get_by_role("navigation", name="Order").get_by_role("link", name="title").click()
    expect(page.get_by_role("link", name="title")).to_have_attribute("aria-current", "page")
    problems = _violations(page)
    titles = page.locator("article.card h3").all_inner_texts()
    assert len(titles) == 3 and titles == sorted(titles, key=str.lower)
    page.locator("article.card h3 a").first.click()
    held = page.get_by_role("region", name="In public collections")
    expect(held).to_be_visible()
    assert problems + _violations(page) == []
    held.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)


def _violations(page: Page) -> list[str]:
    """What axe-core finds wrong on the page, one line each."""
    response: dict[str, Any] = Axe().run(page).response
    return [f"{v['id']} at {n['target']}" for v in response["violations"] for n in v["nodes"]]
