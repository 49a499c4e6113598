"""What the search page's own form says, driven as a reader does."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def keyword_results(page: Page, text: str) -> int:
    """Type `text` into the search page's own box, pick Keyword, click its Search button, and
    read the number of results the page says it found (0 when it says "No results")."""
    form = page.locator("form.search-form")
    form.get_by_label("Query").fill(text)
    form.get_by_label("Keyword").check()
    form.get_by_role("button", name="Search").click()
    summary = page.locator("p.sub")
    expect(summary).to_contain_text("(keyword)")
    found = re.search(r"([\d,]+) results? for", summary.inner_text())
    if found is None:
        expect(summary).to_contain_text("No results")
        return 0
    return int(found[1].replace(",", ""))
