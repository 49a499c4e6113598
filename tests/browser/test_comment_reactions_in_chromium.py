"""Reacting to a comment in real headless Chromium: in place with JavaScript (no reload, the
focus kept), by a plain form without it, and the paper page with reactions passing axe, light
and dark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, expect

from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment
from paperfeed.store.reactions import set_reaction
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser


@pytest.fixture
def plain(browser: Browser) -> Iterator[Page]:
    """A page in a browser context with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def _discussed(live_site: LiveSite) -> int:
    """A comment on the hostile paper, already given a heart by a reader with a hostile name."""
    with live_site.engine.begin() as conn:
        writer = create_user(conn, "writer", "!").id
        fan = create_user(conn, "fan_<b>x</b>", "!").id
        cid = add_comment(conn, HOSTILE_ID, writer, "Nice **result**.", None)
        set_reaction(conn, fan, cid, "heart", True)
    return int(cid)


def _pill(comment: Locator, label: str) -> Locator:
    """The comment's button for one emoji in its bar (not the picker's)."""
    return comment.locator(".reactions > form button", has_text=label)


def test_a_click_reacts_in_place_and_again_takes_it_back(page: Page, live_site: LiveSite) -> None:
    cid = _discussed(live_site)
    sign_up(page, live_site.url, "clicker")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    comment = page.locator(f"#c{cid}")
    heart = _pill(comment, "heart")
    expect(heart).to_have_attribute("title", "Heart: fan_<b>x</b>")  # a name stays text
    expect(heart).to_have_attribute("aria-pressed", "false")
    page.evaluate("window.stillHere = true")  # gone if the page reloads

    heart.click()
    expect(_pill(comment, "heart")).to_have_attribute("aria-pressed", "true")
    expect(_pill(comment, "heart").locator(".count")).to_have_text("2")
    expect(_pill(comment, "heart")).to_have_attribute("title", "Heart: fan_<b>x</b>, clicker")
    expect(_pill(comment, "heart")).to_be_focused()  # the keyboard keeps its place

    comment.locator(".react-box summary").click()
    comment.locator(".react-picker").get_by_role("button", name="rocket").click()
    expect(_pill(comment, "rocket").locator(".count")).to_have_text("1")
    expect(comment.locator(".react-picker button", has_text="rocket")).to_be_focused()
    _pill(comment, "heart").click()
    expect(_pill(comment, "heart")).to_have_attribute("aria-pressed", "false")
    expect(_pill(comment, "heart").locator(".count")).to_have_text("1")
    assert page.evaluate("window.stillHere") is True
    expect(page).to_have_url(f"{live_site.url}/papers/{HOSTILE_ID}")

    page.reload()  # the store kept it
    expect(_pill(page.locator(f"#c{cid}"), "rocket")).to_have_attribute("aria-pressed", "true")


def test_without_javascript_the_form_reacts_and_comes_back_to_the_comment(
    plain: Page, live_site: LiveSite
) -> None:
    cid = _discussed(live_site)
    sign_up(plain, live_site.url, "plainreact")
    plain.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    comment = plain.locator(f"#c{cid}")
    comment.locator(".react-box summary").click()
    comment.locator(".react-picker").get_by_role("button", name="eyes").click()
    expect(plain).to_have_url(f"{live_site.url}/papers/{HOSTILE_ID}?comment={cid}#c{cid}")
    comment = plain.locator(f"#c{cid}")
    expect(_pill(comment, "eyes")).to_have_attribute("aria-pressed", "true")
    expect(_pill(comment, "eyes")).to_have_attribute("title", "Eyes: plainreact")
    _pill(comment, "heart").click()
    expect(_pill(plain.locator(f"#c{cid}"), "heart").locator(".count")).to_have_text("2")
    _pill(plain.locator(f"#c{cid}"), "eyes").click()
    expect(_pill(plain.locator(f"#c{cid}"), "eyes")).to_have_count(0)  # nobody left: no pill


def _violations(page: Page, where: str) -> list[str]:
    response: dict[str, Any] = Axe().run(page).response
    return [
        f"{where}: {v['id']} ({v['impact']}) at {n['target']}: {v['help']}"
        for v in response["violations"]
        for n in v["nodes"]
    ]


def test_the_paper_page_with_reactions_passes_axe(page: Page, live_site: LiveSite) -> None:
    cid = _discussed(live_site)
    paper = f"{live_site.url}/papers/{HOSTILE_ID}"
    page.goto(paper)
    expect(_pill(page.locator(f"#c{cid}"), "heart")).to_be_visible()
    found = _violations(page, "signed out")
    sign_up(page, live_site.url, "axereader")
    page.goto(paper)
    comment = page.locator(f"#c{cid}")
    _pill(comment, "heart").click()
    expect(_pill(comment, "heart")).to_have_attribute("aria-pressed", "true")
    comment.locator(".react-box summary").click()  # the picker open
    found += _violations(page, "signed in, light")
    page.emulate_media(color_scheme="dark")
    found += _violations(page, "signed in, dark")
    assert found == []
