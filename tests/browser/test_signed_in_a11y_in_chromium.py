"""What a keyboard and screen-reader user, and a phone user, met on the signed-in pages the
wider axe sweep did not reach: a chosen collection's sidebar link, the admin tables scrolled
sideways on a phone, and the Copy button's result."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.store.accounts import set_admin
from tests.browser.conftest import LiveSite, newest_day_path, sign_up, wait_until
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


def _violations(page: Page, where: str) -> list[str]:
    response: dict[str, Any] = Axe().run(page).response
    return [
        f"{where}: {v['id']} at {n['target']}: {v['help']}"
        for v in response["violations"]
        for n in v["nodes"]
    ]


def _new_collection(page: Page, url: str, name: str) -> None:
    page.goto(url + "/library")
    made = page.locator("form[aria-label='New collection']")
    made.evaluate("f => f.closest('details').open = true")
    made.get_by_label("Name").fill(name)
    made.get_by_role("button", name="New collection").click()
    expect(page.locator("main h1")).to_have_text(name)


def test_a_chosen_collection_and_the_admin_tables_pass_axe(page: Page, live_site: LiveSite) -> None:
    """The sidebar marked the chosen collection by colour alone (a blue link among dark text,
    2.6:1), and on a phone /admin's tables scrolled sideways where the keyboard could not."""
    url = live_site.url
    sign_up(page, url, "shelver")
    page.goto(url + newest_day_path(live_site.engine))
    page.locator("article.card").first.get_by_role("button", name="Save").click()
    expect(page.locator("article.card").first.get_by_role("button", name="Saved")).to_be_visible()
    _new_collection(page, url, "Reading group")
    _new_collection(page, url, "Thesis")
    chosen = page.locator(".library-layout aside a[aria-current=page]")
    expect(chosen).to_have_text("Thesis")
    found = _violations(page, "a chosen collection")
    with live_site.engine.begin() as conn:
        set_admin(conn, "shelver", True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/admin")
    found += _violations(page, "/admin on a phone")
    assert found == []
    runs = page.get_by_role("region", name="Recent runs")
    runs.focus()  # Tab reaches it; the arrow keys then scroll it
    expect(runs).to_be_focused()
    assert runs.evaluate("el => el.scrollWidth > el.clientWidth")  # there is something to scroll
    page.keyboard.press("ArrowRight")
    # The browser scrolls on its own time (smoothly, where it does): wait for it, not a frame.
    wait_until(page, "el => el.scrollLeft > 0", runs.element_handle(), timeout=5)


def test_copying_the_bibtex_is_said(page: Page, live_site: LiveSite) -> None:
    """Copy BibTeX changed only its own text to "Copied", which a screen reader does not read
    out for the focused button: the reader never learned whether it copied."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    copy = page.get_by_role("button", name="Copy BibTeX")
    copy.focus()
    page.keyboard.press("Enter")
    said = page.locator("button[data-copy='#bibtex'] + [role=status]")  # its own status line
    expect(said).to_have_text("Copied.")
    expect(copy).to_be_focused()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@")
