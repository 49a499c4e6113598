"""Claiming several papers at once from an author page in real headless Chromium: ticking
some, then all the rest on the page, with and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from paperfeed.store.tables import paper_authors
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser


def _prolific(live_site: LiveSite) -> tuple[str, int]:
    """The author page slug of a demo author with the most papers, and how many it lists."""
    n = func.count().label("n")
    query = select(paper_authors.c.name_key, n).group_by(paper_authors.c.name_key)
    with live_site.engine.connect() as conn:
        key, count = conn.execute(query.order_by(n.desc(), paper_authors.c.name_key)).first()  # type: ignore[misc]
    assert count >= 3, "the demo store has no author of three papers"
    return str(key).replace(" ", "-"), min(int(count), live_site.settings.page_size)


def _claim_some(page: Page, url: str, slug: str, shown: int) -> None:
    page.goto(f"{url}/authors/{slug}")
    box = page.locator("#claim-papers")
    box.locator("summary").click()
    ticks = box.locator("input[name=paper]")
    expect(ticks).to_have_count(shown)
    ticks.nth(0).check()
    ticks.nth(1).check()
    box.get_by_role("button", name="Claim the ticked papers").click()
    expect(page.locator("[data-said]")).to_have_text("Papers: 2 claimed, waiting for a moderator.")
    expect(box.get_by_text("claimed by you, waiting for a moderator")).to_have_count(2)
    # The rest of the page at once: the box says how many are left.
    box.locator("summary").click()  # the page came back with the box closed
    rest = shown - 2
    box.get_by_label(f"All {rest} unclaimed paper{'' if rest == 1 else 's'} on this page").check()
    box.get_by_role("button", name="Claim the ticked papers").click()
    expect(page.locator("[data-said]")).to_have_text(
        f"Papers: {rest} claimed, waiting for a moderator."
    )
    expect(box.get_by_text("claimed by you, waiting for a moderator")).to_have_count(shown)
    expect(box).to_contain_text("Nothing left to claim on this page.")


def test_an_author_ticks_papers_and_claims_them(page: Page, live_site: LiveSite) -> None:
    slug, shown = _prolific(live_site)
    sign_up(page, live_site.url, "prolific")
    _claim_some(page, live_site.url, slug, shown)
    # The claims wait for a moderator, one each, as single claims do.
    page.goto(f"{live_site.url}/users/prolific")
    expect(page.locator("ul.claims li")).to_have_count(shown)
    expect(page.locator("ul.claims")).to_contain_text("waiting for an admin")


def test_without_javascript_the_form_claims_too(browser: Browser, live_site: LiveSite) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    slug, shown = _prolific(live_site)
    sign_up(page, live_site.url, "nojs")
    _claim_some(page, live_site.url, slug, shown)
    context.close()
