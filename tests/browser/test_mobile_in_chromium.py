"""A researcher reading on a phone (390 × 844, touch, 3× pixels): the site installs as an app on
the home screen, under the path it is served at, and its tick boxes sit beside their words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.browser.conftest import LiveSite, sign_up
from tests.digest_support import copy_newest_papers, free_port, serve
from tests.web_support import web_settings

pytestmark = pytest.mark.browser
AXE_RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag22aa", "best-practice"]}
}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def _phone(browser: Browser, **more: Any) -> BrowserContext:
    return browser.new_context(**PHONE, **more)


def test_the_site_installs_on_a_phones_home_screen_under_its_path(
    browser: Browser, sqlite_settings: Settings, demo_settings: Settings
) -> None:
    """There was no web app manifest: a phone offered no 'Install app', and one added to the
    home screen by hand had no name, no icon and the browser's colours. Chromium now reads a
    manifest without errors, finds nothing stopping an install (a test's incognito window
    aside), and the app opens at and stays within the site's path."""
    port = free_port()
    root = f"http://127.0.0.1:{port}/papers"
    s = web_settings(sqlite_settings, base_url=root, secret_key="m" * 32)
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    context = _phone(browser)
    try:
        with serve(create_app(s, engine), port):
            page = context.new_page()
            page.goto(root + "/")
            cdp = context.new_cdp_session(page)
            found = cdp.send("Page.getAppManifest")
            assert found["url"] == root + "/manifest.webmanifest"
            assert found["errors"] == []
            read = found["manifest"]
            assert read["startUrl"] == read["scope"] == read["id"] == root + "/"
            assert (read["name"], read["display"]) == ("paperfeed", "kStandalone")
            blocked = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            assert [e["errorId"] for e in blocked if e["errorId"] != "in-incognito"] == []
            icons = json.loads(found["data"])["icons"]
            drawn = {i["sizes"]: i for i in icons if i["type"] == "image/png"}
            assert {"192x192", "512x512"} <= set(drawn)
            assert any(i["purpose"] == "maskable" for i in icons)
            for icon in icons:  # each one loads, at the size the manifest says
                size = page.evaluate(
                    """async (src) => { const img = new Image(); img.src = src; await img.decode();
                       return img.naturalWidth + 'x' + img.naturalHeight; }""",
                    icon["src"],
                )
                assert icon["src"].startswith("/papers/static/")
                assert icon["sizes"] in (size, "any"), icon
            colours = page.locator("meta[name=theme-color]")
            expect(colours).to_have_count(2)  # the header's colour, light and dark
            touch_icon = page.locator("link[rel=apple-touch-icon]").get_attribute("href")
            assert touch_icon and touch_icon.startswith("/papers/static/")
    finally:
        context.close()
        engine.dispose()


def _beside(box: Locator) -> dict[str, float]:
    """Where a tick box sits in its label: its size, its left edge and its middle, measured
    from the label's own left edge and first line."""
    return dict(
        box.evaluate(
            """(box) => { const b = box.getBoundingClientRect();
               const l = box.closest('label').getBoundingClientRect();
               const line = parseFloat(getComputedStyle(box.closest('label')).lineHeight);
               return {width: b.width, height: b.height, left: b.left - l.left,
                       middle: b.top + b.height / 2 - l.top, line: line}; }"""
        )
    )


def test_tick_boxes_sit_beside_their_words_and_take_a_thumb(
    browser: Browser, live_site: LiveSite
) -> None:
    """On the account page (Show my upvotes publicly, a read-only token), the import page and
    the profile page, a 13-pixel tick box stood alone in the middle of its own line above its
    words. Each is now at the start of its first line, at least 24 px, and a tap on it ticks."""
    context = _phone(browser)
    page = context.new_page()
    sign_up(page, live_site.url, "thumb")
    boxes = {
        "/account": ("public", "read_only"),
        "/library/import": ("tags_as_collections", "keep"),  # the file's and Zotero's forms
        "/settings/profile": ("notify_replies",),
    }
    try:
        for path, names in boxes.items():
            page.goto(live_site.url + path)
            for name in names:
                found = page.locator(f"label > input[type=checkbox][name={name}]")
                assert found.count() >= 1, (path, name)
                for n in range(found.count()):
                    box = found.nth(n)
                    where = _beside(box)
                    assert where["width"] >= 24 and where["height"] >= 24, (path, name, where)
                    assert where["left"] <= 1, (path, name, where)
                    assert where["middle"] <= where["line"], (path, name, where)
                    was = box.is_checked()
                    box.tap()
                    assert box.is_checked() is not was, (path, name)
    finally:
        context.close()


def test_the_api_tokens_table_keeps_its_words_whole_on_a_small_phone(
    browser: Browser, live_site: LiveSite
) -> None:
    """At 320 px, a token with a long name squeezed the other columns to a letter or two a line:
    'La / st / us / ed' and a Revoke button four letters tall. The headings, dates and the
    button now keep their words whole; the table scrolls in its own box if it must."""
    context = browser.new_context(**(PHONE | {"viewport": {"width": 320, "height": 568}}))
    page = context.new_page()
    sign_up(page, live_site.url, "tokens")
    try:
        page.goto(live_site.url + "/account")
        page.get_by_label("Token name").fill("lab-slack-bot-for-the-reading-group-" * 3)
        page.get_by_role("button", name="Make a token").click()
        table = page.locator("table.api-tokens")
        expect(table).to_be_visible()
        broken = table.evaluate(
            """(t) => [...t.querySelectorAll('th, td:not(:first-child), button')].filter((el) => {
                 const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
                 const words = document.createRange();  // the text, not the cell's row height
                 words.selectNodeContents(el);
                 return words.getBoundingClientRect().height > 1.6 * line;
               }).map((el) => el.textContent.trim())"""
        )
        assert broken == []
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        for scheme in ("light", "dark"):  # its scrolling box is reached by the keys too
            page.emulate_media(color_scheme=scheme)
            found = Axe().run(page, options=AXE_RULES).response["violations"]
            assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in found] == [], scheme
    finally:
        context.close()
