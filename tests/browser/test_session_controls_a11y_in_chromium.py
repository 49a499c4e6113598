"""This round's new controls for keyboard, screen-reader and phone users, in Chromium: the
author page's "Claim your papers on this page" form and its report, the import page's paste
box (its empty-submit refusal, the report of headings, unmatched titles and star ratings) and
a comment's "can't reach the site" note offline: axe-core in light and dark at 1280 and 320 px,
and by keyboard alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.tables import papers
from tests.browser.a11y_support import checked, screens
from tests.browser.conftest import LiveSite, prolific_author, sign_up

pytestmark = pytest.mark.browser


def test_the_claim_form_and_its_report_pass_axe_and_fit_320_px(
    page: Page, live_site: LiveSite
) -> None:
    sign_up(page, live_site.url, "claimer")
    url = f"{live_site.url}/authors/{prolific_author(live_site)}"
    found: list[str] = []
    for scheme, width in screens(page):
        page.goto(url)
        page.locator("#claim-papers summary").click()
        found += checked(page, f"{scheme} {width} claim form", width)
    # On a phone, by keyboard alone: the box opens with Enter, Space ticks, Enter claims.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(url)
    box = page.locator("#claim-papers")
    box.locator("summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = box.locator("input[name=paper]").first
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    box.get_by_role("button", name="Claim the ticked papers").focus()
    page.keyboard.press("Enter")
    # The report was scrolled away: the page came back at the (closed) box, below the hero,
    # and "Papers: 1 claimed, waiting for a moderator." sat above the screen's top.
    said = page.locator("[data-said]")
    expect(said).to_have_text("Papers: 1 claimed, waiting for a moderator.")
    expect(said).to_be_in_viewport()
    for scheme, width in screens(page):
        found += checked(page, f"{scheme} {width} claim report", width)
        page.locator("#claim-papers summary").click()
        found += checked(page, f"{scheme} {width} claim report, box open", width)
        page.locator("#claim-papers summary").click()
    assert found == []


def test_the_paste_box_its_refusal_and_report_pass_axe_and_fit_320_px(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    with live_site.engine.connect() as conn:
        rows = conn.execute(select(papers.c.id, papers.c.title).order_by(papers.c.id).limit(3))
        (loved, title, _), (panned, _, _), (middling, _, _) = [(*r, 0) for r in rows]
    sign_up(page, live_site.url, "paster")
    found: list[str] = []
    for scheme, width in screens(page):
        page.goto(live_site.url + "/library/import")
        found += checked(page, f"{scheme} {width} import page", width)
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
        found += checked(page, f"{scheme} {width} empty import", width)
    pasted = (
        f"Poster Session A (14:00-15:30)\n{title}\nhttps://arxiv.org/abs/{panned}\n"
        "A Title Nobody Ever Wrote About Anything At All\nKeynote\n"
    )
    page.goto(live_site.url + "/library/import")
    page.get_by_label("Or paste a list of papers").fill(pasted)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-report")).to_be_visible()
    pasted_report = page.content()
    table = tmp_path / "mendeley.csv"
    table.write_text(f"Title,arXiv ID,Rating\nA,{loved},5\nB,{panned},1\nC,{middling},3\n")
    page.goto(live_site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(table))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".rating-scale")).to_be_visible()
    stars_report = page.content()
    for scheme, width in screens(page):
        for name, content in (("pasted", pasted_report), ("stars", stars_report)):
            page.goto(live_site.url + "/library/import")
            page.set_content(content)
            found += checked(page, f"{scheme} {width} {name} report", width)
    assert found == []
