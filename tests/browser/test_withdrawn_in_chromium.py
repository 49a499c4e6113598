"""A reader scanning a day's papers sees which one its authors withdrew on arXiv, and its page
says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store.listings import latest_day
from tests.browser.conftest import LiveSite, newest_day_path
from tests.test_arxiv_withdrawn import _withdraw
from tests.web_support import on_day

pytestmark = pytest.mark.browser


def test_a_withdrawn_paper_is_marked_on_its_card(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    pid, other = sorted(on_day(live_site.engine, newest))[:2]
    _withdraw(live_site.engine, live_site.settings, tmp_path / "v2", pid)
    page.goto(live_site.url + newest_day_path(live_site.engine))
    card = page.locator(f'article.card[data-id="{pid}"]')
    expect(card.locator(".badge.withdrawn")).to_have_text("Withdrawn")
    expect(card.locator(".badge.withdrawn")).to_be_visible()
    expect(page.locator(f'article.card[data-id="{other}"] .badge.withdrawn')).to_have_count(0)
    card.locator("h3 a").click()
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{pid}") + "$"))
    expect(page.get_by_text("This paper has been withdrawn.")).to_be_visible()
