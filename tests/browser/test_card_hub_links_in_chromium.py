"""A card's "2 models" is a link a reader clicks, or reaches by keyboard, to land on the paper
page's "Code, models and data" section."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from paperfeed.store.enrichment import save_artifacts
from paperfeed.store.listings import latest_day
from tests.browser.conftest import LiveSite, newest_day_path
from tests.web_support import on_day

pytestmark = pytest.mark.browser


def test_a_cards_model_count_leads_to_the_papers_models(page: Page, live_site: LiveSite) -> None:
    day = live_site.url + newest_day_path(live_site.engine)
    with live_site.engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None
    with live_site.engine.begin() as conn:  # each of the day's papers, before its page is made
        for pid in on_day(live_site.engine, newest):
            save_artifacts(conn, pid, "model", [("example/small", 1, 1), ("example/large", 2, 2)])
            save_artifacts(conn, pid, "dataset", [("example/bench", None, None)])
    page.goto(day)
    pid = page.locator("article.card").nth(2).get_attribute("data-id")
    assert pid
    card = page.locator(f'article.card[data-id="{pid}"]')
    models = card.get_by_role("link", name="2 models using this paper")
    expect(models.locator(".sr")).to_have_text(" using this paper")  # read out, not shown
    expect(models).to_have_attribute("href", f"/papers/{pid}#links")
    models.click()
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{pid}#links") + "$"))
    section = page.locator("section#links:target")  # the section the address names
    expect(section.get_by_role("heading", name="Code, models and data")).to_be_in_viewport()
    expect(section.get_by_role("link", name="example/large")).to_have_attribute(
        "href", "https://huggingface.co/example/large"
    )
    # By keyboard: the dataset count takes the focus, and Enter follows it.
    page.goto(day)
    datasets = page.locator(f'article.card[data-id="{pid}"]').get_by_role(
        "link", name="1 dataset using this paper"
    )
    datasets.focus()
    expect(datasets).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{pid}#links") + "$"))
    expect(
        page.locator("section#links").get_by_role("link", name="example/bench")
    ).to_be_in_viewport()
