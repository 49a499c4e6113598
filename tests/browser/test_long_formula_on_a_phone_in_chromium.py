"""A paper's long inline formula on a phone zoomed to 200 % (187 px wide), in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.web.periods import month_period
from paperfeed.web.render import paper_url
from tests.browser.conftest import LiveSite
from tests.web_support import HOSTILE

pytestmark = pytest.mark.browser
WIDTH = 187  # a 375 px phone zoomed to 200 %
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize(
    "path", [month_period(HOSTILE.listing_date).path, paper_url(HOSTILE.id)]
)  # a card among the month's papers, and the paper's own page
def test_a_long_inline_formula_scrolls_in_its_own_box(
    page: Page, live_site: LiveSite, path: str
) -> None:
    """The month page scrolled sideways by 24 px at 187 px: a card's long inline formula
    cannot wrap. The formula now wraps where KaTeX may break it, else scrolls inside its own
    box (reached by the keyboard too), and the page does not scroll sideways."""
    assert HOSTILE.listing_date is not None
    page.set_viewport_size({"width": WIDTH, "height": 740})
    page.goto(live_site.url + path)
    formula = page.locator(
        f"[data-id='{HOSTILE.id}'] .abstract .katex, main > article .abstract .katex"
    )
    expect(formula.first).to_be_visible()  # typeset by KaTeX (the fonts loaded with it)
    assert page.evaluate(SIDEWAYS) <= 0
    # the formula's pieces within its box (wrapped where KaTeX may, else scrolled to)
    outside: list[Any] = formula.first.evaluate(
        """e => { const box = e.getBoundingClientRect(), reach = e.scrollWidth - e.clientWidth;
        const pieces = [...e.querySelectorAll('.katex-html .base')];
        const out = pieces.map(b => b.getBoundingClientRect())
            .filter(r => r.left < box.left - 1 || r.right > box.right + reach + 1);
        return out.map(r => [r.left, r.right]).concat(box.right > innerWidth ? [box.right] : []);
        }"""
    )
    assert outside == []
    # a formula that scrolls is one the keyboard reaches, to scroll it with the arrow keys
    unreachable = Axe().run(page, options={"runOnly": ["scrollable-region-focusable"]})
    assert unreachable.response["violations"] == []
