"""A reader moving from Scholar Inbox uploads their ratings (id,rating) on the import page:
the report says what became 👍 and 👎, and the model's page lists them at once."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite, sign_up


def test_a_ratings_table_uploaded_on_the_import_page_becomes_thumbs(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    with live_site.engine.connect() as conn:
        liked, disliked = conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(2))
    table = tmp_path / "scholar-inbox-ratings.csv"
    table.write_text(f"id,rating\n{liked}v1,1\n{disliked},-1\n{liked},up\n2401.99999,maybe\n")
    sign_up(page, live_site.url, "inboxer")
    page.goto(live_site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(table))
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-report")
    expect(report).to_contain_text(
        "2 papers matched (table of ratings), 1 saved: 1 new to your library."
    )
    expect(report.locator(".ratings")).to_contain_text(
        "Ratings: 1 👍 and 1 👎 added (a paper rated 👎 is not saved)."
    )
    expect(report.locator("ul.unmatched")).to_contain_text(
        "line 5 (the rating 'maybe' is neither 👍 nor 👎 (1 or -1, up or down))"
    )
    report.get_by_role("link", name="See what For you learned").click()
    thumbs = page.locator("ul.ratings li")
    expect(thumbs).to_have_count(2)
    expect(
        page.locator(f"ul.ratings li:has(a[href$='/papers/{liked}']) [role=img]")
    ).to_have_attribute("aria-label", "more like this")
    expect(
        page.locator(f"ul.ratings li:has(a[href$='/papers/{disliked}']) [role=img]")
    ).to_have_attribute("aria-label", "less like this")
    page.goto(live_site.url + "/library")
    expect(page.locator(f"a[href$='/papers/{liked}']").first).to_be_visible()
    expect(page.locator(f"a[href$='/papers/{disliked}']")).to_have_count(0)


def test_a_table_of_star_ratings_uploaded_on_the_import_page_becomes_thumbs(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    with live_site.engine.connect() as conn:
        loved, panned, middling = conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(3))
    table = tmp_path / "mendeley-library.csv"
    table.write_text(f"Title,arXiv ID,Rating\nA,{loved},5\nB,{panned},1\nC,{middling},3\n")
    sign_up(page, live_site.url, "stargazer")
    page.goto(live_site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(table))
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-report")
    expect(report).to_contain_text("3 papers matched (table of ratings), 2 saved")
    expect(report.locator(".ratings")).to_contain_text("Ratings: 1 👍 and 1 👎 added")
    expect(report.locator(".rating-scale")).to_have_text(
        "Ratings were read as stars: 4 or 5 became 👍, 1 or 2 became 👎, "
        "and a paper with 3 stars or none was saved without a rating."
    )
    expect(report.locator("ul.unmatched")).to_have_count(0)
