"""A workshop organiser pastes their accepted-papers page into the import box: the titles
with their authors match the papers here, into the collection they name, and the page's
headings and a title with other authors are listed as not imported."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from paperfeed.models import Paper
from paperfeed.store import get_papers
from paperfeed.store.tables import papers
from tests.browser.conftest import LiveSite, sign_up


def _long_titled(live_site: LiveSite) -> list[Paper]:
    with live_site.engine.connect() as conn:
        ids = list(conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(40)))
        found = get_papers(conn, ids)
    return [p for p in found.values() if len(p.title.split()) >= 6 and len(p.authors) >= 2][:2]


def test_a_pasted_accepted_papers_page_is_matched_by_title_and_authors(
    page: Page, live_site: LiveSite
) -> None:
    first, second = _long_titled(live_site)
    pasted = (
        "Accepted Papers\n"
        f"1. {first.title}. {first.authors[0]}, {first.authors[1]}\n"
        f"2. {second.title}. Nobody Known, Someone Else\n"
    )
    sign_up(page, live_site.url, "organiser")
    page.goto(live_site.url + "/library/import")
    page.get_by_label("Or paste a list of papers").fill(pasted)
    page.get_by_label("Into collection (optional)").fill("Workshop 2026")
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-report")
    expect(report).to_contain_text("1 paper matched and saved (pasted text)")
    expect(report.locator("ul.by-title")).to_contain_text(first.title)
    expect(report.locator("ul.unmatched")).to_contain_text(
        "line 1 (“Accepted Papers” is a heading, not a paper)"
    )
    expect(report.locator("ul.unmatched")).to_contain_text(
        f"line 3: {second.title} (a paper of that title is stored ({second.id}), "
        "but its authors differ)"
    )
    report.get_by_role("link", name="Workshop 2026").click()
    expect(page.locator(f"a[href$='/papers/{first.id}']").first).to_be_visible()
    expect(page.locator(f"a[href$='/papers/{second.id}']")).to_have_count(0)
