"""A library's BibTeX, imported by a co-author and exported again, keeps every paper's key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser

# Three real papers of the demo sample whose keys are all yang2026when.
NAMESAKES = ["2606.22203", "2606.30814", "2606.32029"]


def _keys(text: str) -> dict[str, str]:
    found = re.findall(r"@misc\{([^,]+),.*?eprint\s+= \{([^}]+)\}", text, re.S)
    return {eprint: key for key, eprint in found if eprint in NAMESAKES}


def _export_bibtex(page: Page, url: str, to: Path) -> str:
    page.goto(url + "/library")
    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX", exact=True).click()
    download.value.save_as(to)
    return to.read_text(encoding="utf-8")


def test_namesakes_keep_their_keys_through_an_export_and_an_import(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    """The first reader's file gave yang2026whena to one paper, the co-author's (the same papers,
    imported, so in another order in their library) to another: a shared .tex cited wrong."""
    url = live_site.url
    errors: list[str] = []

    def note_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", note_error)
    sign_up(page, url, "reviewer")
    for pid in NAMESAKES:  # saved oldest id first, so the library lists them newest id first
        page.goto(f"{url}/papers/{pid}")
        page.locator("main").get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("main").get_by_role("button", name="Saved")).to_be_visible()
    mine = _keys(_export_bibtex(page, url, tmp_path / "mine.bib"))
    assert sorted(mine.values()) == ["yang2026when", "yang2026whena", "yang2026whenb"]
    own = page.request.get(f"{url}/papers/{NAMESAKES[0]}/bibtex").text()
    assert own.startswith("@misc{yang2026when,")
    assert mine[NAMESAKES[0]] == "yang2026when"  # the first by id: as its own Cite box says

    browser = page.context.browser
    assert browser is not None
    other = browser.new_context(accept_downloads=True).new_page()
    other.on("console", note_error)
    sign_up(other, url, "coauthor")
    other.goto(url + "/library/import")
    other.get_by_label("File").set_input_files(tmp_path / "mine.bib")
    other.get_by_role("button", name="Import", exact=True).click()
    expect(other.locator("main")).to_contain_text("3 papers matched and saved")
    theirs = _keys(_export_bibtex(other, url, tmp_path / "theirs.bib"))
    assert theirs == mine
    assert errors == []
