"""What the accessibility tests in Chromium share: axe-core's WCAG 2.2 AA and best-practice
rules, its findings as readable lines, a page's width against the screen's, and the light/dark,
desktop/phone screens a page is checked on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

RULES = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    }
}
SCREENS = (("light", 1280), ("dark", 320), ("dark", 1280), ("light", 320))


def violations(page: Page, where: str) -> list[str]:
    """axe-core's findings on the page as it is now, one line per element."""
    response: dict[str, Any] = Axe().run(page, options=RULES).response
    return [
        f"{where}: {v['id']} at {n['target']}: {v['help']}"
        for v in response["violations"]
        for n in v["nodes"]
    ]


def checked(page: Page, where: str, width: int) -> list[str]:
    """axe-core's findings, and the page if it is wider than a `width` px screen."""
    wide = int(page.evaluate("document.documentElement.scrollWidth"))
    found = [f"{where}: {wide} px wide on a {width} px screen"] if wide > width else []
    return found + violations(page, where)


def screens(page: Page) -> Iterator[tuple[str, int]]:
    """Set the page to each of SCREENS in turn (colour scheme and width)."""
    for scheme, width in SCREENS:
        page.set_viewport_size({"width": width, "height": 800})
        page.emulate_media(color_scheme=cast(Any, scheme))
        yield scheme, width
