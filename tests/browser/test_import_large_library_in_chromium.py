"""A large library's import report read on a phone: long lists start folded, open on a tap."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID


def test_a_long_import_report_folds_its_lists_on_a_phone(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    """A 10,000-entry library's report listed every title match and every entry not imported
    at once: on a phone the page ran to 266,000 pixels, the entries not imported after 2,188
    title matches. Lists longer than a dozen now start folded under their count."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page, live_site.url, "mover")
    books = "".join(
        f"@book{{b{i}, title={{A Handbook of Sparse Things, volume {i}}}, publisher={{Press}}}}\n"
        for i in range(1005)
    )
    bib = tmp_path / "library.bib"
    bib.write_text(
        f"@misc{{a, title={{x}}, eprint={{{HOSTILE_ID}}}}}\n{books}@misc{{bad, title={{oops\n"
    )
    page.goto(live_site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(bib))
    # While the import runs the button says so (the page stopped here before it is sent)
    page.evaluate("document.addEventListener('submit', e => e.preventDefault())")
    button = page.get_by_role("button", name="Import", exact=True)
    button.click()
    busy = page.locator("form[data-busy] button[aria-busy=true]")
    expect(busy).to_have_text("Importing… (a large library takes a while)")
    page.goto(live_site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(bib))
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-report")
    expect(report).to_contain_text("1 paper matched and saved (bibtex): 1 new to your library.")
    folded = report.locator("details.unmatched")
    expect(folded.locator("summary")).to_have_text(
        "1006 entries not imported (1 of them could not be read, or had no title, DOI or arXiv id)"
    )
    # a 200,000-entry file's page listed every one (17 MB): the first thousand, and a count
    expect(folded.locator("li")).to_have_count(1000)
    expect(folded).to_contain_text("… and 6 more, not listed here (the first 1,000 are).")
    first_book = folded.get_by_text("A Handbook of Sparse Things, volume 0", exact=False)
    expect(first_book).to_be_hidden()
    folded.locator("summary").click()
    expect(first_book).to_be_visible()
    expect(folded.locator("li").first).to_contain_text("line 1007 (cannot be read (")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
