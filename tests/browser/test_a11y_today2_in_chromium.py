"""Today's second round of new controls for a reader on a keyboard with a screen reader, on a
375 px phone at 200 % zoom (187 px) and with forced colours, in Chromium: /admin's bulk
suspension and held comments (tick boxes, Select all, the question, what was done), a held
comment's Awaiting review, the search page beside its rebuild notice and a collection kept in
its owner's order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect
from sqlalchemy import select

from paperfeed.search import SearchService
from paperfeed.search.keyword import KeywordIndex
from paperfeed.settings import Settings
from paperfeed.store import library as lib
from paperfeed.store import open_store
from paperfeed.store.accounts import create_user, set_admin
from paperfeed.store.community import add_comment, find_user_id
from paperfeed.store.library import add_to_collection, ensure_collection
from paperfeed.store.tables import papers
from paperfeed.web.app import create_app
from tests.browser.a11y_support import violations
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up, wait_until
from tests.digest_support import free_port, serve

pytestmark = pytest.mark.browser
PHONE_ZOOMED: ViewportSize = {"width": 187, "height": 370}  # a 375 px phone at 200 % zoom
# Records what status lines say once the page has loaded (what a screen reader reads out): a
# status line already there when the page loads is not read out, only one that changes.
_LISTEN = """window.said = [];
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver((changes) => changes.forEach((change) => {
    const box = change.target.closest && change.target.closest("[role=status], [role=alert]");
    if (box && change.addedNodes.length) window.said.push(box.textContent.trim());
  })).observe(document.body, { childList: true, subtree: true });
});"""


def _sideways(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _said(page: Page, words: str) -> None:
    wait_until(page, "words => (window.said || []).some((t) => t.includes(words))", words)


def _small(boxes: Locator) -> list[str]:
    """The boxes less than 24 px wide or tall (a thumb's tap), with their names."""
    found = []
    for box in boxes.all():
        size = box.bounding_box()
        assert size is not None
        if size["width"] < 24 or size["height"] < 24:
            name = box.get_attribute("aria-label") or box.evaluate("e => e.labels[0].innerText")
            found.append(f"{name}: {size['width']:g}x{size['height']:g}")
    return found


def _paper(site: LiveSite) -> str:
    with site.engine.connect() as conn:
        return str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))


def _spam_wave(site: LiveSite) -> None:
    """Three spam accounts, two of them with a comment held for its links."""
    pid = _paper(site)
    with site.engine.begin() as conn:
        for name in ("sp4m1", "sp4m2", "sp4m3"):
            made = create_user(conn, name, "not a usable hash")
            if name != "sp4m3":
                add_comment(conn, pid, made.id, "Pills at https://pills.example", None, held=True)


def test_admin_tick_boxes_are_taps_and_select_all_says_what_is_ticked(
    page: Page, live_site: LiveSite
) -> None:
    """/admin's tick boxes (Select all, each account, each held comment) were 13 px, and
    'Select all' said 'not ticked' with some or all of the boxes ticked one by one; the held
    comments' was named only 'Select all' beside the users' 'Select all on this page'. They are
    24 px now, 'Select all held comments' is one, and Select all is mixed while some are
    ticked, ticked once all are. After the question, what was done is read out."""
    _spam_wave(live_site)
    page.add_init_script(_LISTEN)
    sign_up(page, live_site.url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    page.set_viewport_size(PHONE_ZOOMED)
    page.goto(live_site.url + "/admin")
    assert _small(page.locator("main input[type=checkbox]")) == []
    assert _sideways(page) <= 0
    held = page.get_by_label("Select all held comments", exact=True)
    expect(held).not_to_be_checked()
    page.get_by_label("Select sp4m1's held comment", exact=False).check()
    expect(held).to_be_checked(indeterminate=True)  # "mixed", as a screen reader says it
    page.get_by_label("Select sp4m2's held comment", exact=False).check()
    expect(held).to_be_checked()

    everyone = page.get_by_label("Select all on this page", exact=True)
    first = page.get_by_label("Select sp4m1", exact=True)
    first.focus()
    page.keyboard.press("Space")  # ticked from the keys, its focus shown
    expect(first).to_be_checked()
    assert first.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    expect(everyone).to_be_checked(indeterminate=True)
    page.emulate_media(forced_colors="active")  # the ring stays without the page's colours
    assert first.evaluate("b => getComputedStyle(b).outlineStyle") != "none"
    found = violations(page, "forced colours, some ticked")
    page.emulate_media(forced_colors="none")
    everyone.check()
    expect(page.get_by_label("Select sp4m3", exact=True)).to_be_checked()
    expect(everyone).to_be_checked()
    page.get_by_label("Select sp4m3", exact=True).uncheck()
    expect(everyone).to_be_checked(indeterminate=True)
    found += violations(page, "phone, two of three ticked")
    assert found == []

    asked: list[str] = []
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Suspend ticked").click()
    _said(page, "suspend 2 accounts")
    assert asked and asked[0].startswith("Suspend 2 ticked accounts?")
    expect(page.get_by_role("status").filter(has_text="Done:")).to_contain_text("2 accounts")


def test_a_held_comment_and_a_paper_page_on_a_zoomed_phone(page: Page, live_site: LiveSite) -> None:
    """On a paper page at 200 % zoom the Cite box's 'Download BibTeX' was a 19 px target right
    under 'Copy BibTeX' (axe: target-size); it is 24 px now. The author's own held comment,
    marked 'Awaiting review' and why, passes axe there, light and with forced colours."""
    pid = _paper(live_site)
    sign_up(page, live_site.url, "fresh")
    with live_site.engine.begin() as conn:
        found = find_user_id(conn, "fresh")
        assert found is not None
        add_comment(conn, pid, found[0], "Mine https://pills.example", None, held=True)
    page.set_viewport_size(PHONE_ZOOMED)
    page.goto(f"{live_site.url}/papers/{pid}")
    mine = page.locator("article.comment", has_text="pills.example")
    expect(mine.locator("[data-held]")).to_have_text("Awaiting review")
    expect(mine.locator("p.notice[role=status]")).to_contain_text("waits for a moderator")
    assert _sideways(page) <= 0
    download = page.get_by_role("link", name="Download BibTeX")
    size = download.bounding_box()
    assert size is not None and size["height"] >= 24, size
    found = violations(page, "phone")
    page.emulate_media(forced_colors="active")
    found += violations(page, "phone, forced colours")
    assert found == []


def test_a_collections_own_order_on_a_zoomed_phone(page: Page, live_site: LiveSite) -> None:
    """At 200 % zoom a collection's Atom, RSS, RIS and JSON links wrapped onto two lines of
    14 px targets touching each other (axe: target-size); they are 24 px now. Move up, Move
    down and 'Move to place' of a collection in its owner's order are 24 px, reached by the
    keys, no sideways scroll at 187 px, and what moved is read out."""
    page.add_init_script(_LISTEN)
    sign_up(page, live_site.url, "lecturer")
    with live_site.engine.begin() as conn:
        found = find_user_id(conn, "lecturer")
        assert found is not None
        made = ensure_collection(conn, found[0], "Course", visibility="unlisted")
        ids = [str(i) for i in conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(3))]
        for pid in ids:
            add_to_collection(conn, made.id, pid)
    page.set_viewport_size(PHONE_ZOOMED)
    page.goto(f"{live_site.url}/c/{made.share_key}?order=list")
    moves = page.locator(".list-move").locator("button, input:not([type=hidden])")
    assert _small(moves) == []
    assert _sideways(page) <= 0
    assert violations(page, "phone, list order") == []
    entry = page.locator(f'[id="note-{ids[2]}"]')
    entry.get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    _said(page, "Moved to place 2")
    expect(page.locator(".list-entry").nth(1)).to_have_id(f"note-{ids[2]}")


def test_search_filters_fit_a_zoomed_phone_beside_the_rebuild_notice(
    page: Page, demo_settings: Settings, tmp_path: Path
) -> None:
    """While search is rebuilt, its page's Filters opened at 200 % zoom scrolled the page
    sideways by 79 px (From, Until and their dates kept one line wider than the screen); they
    wrap now. The notice and the footer's Privacy link pass axe there."""
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    settings = Settings(
        data_dir=data, search_wait_for_build=0, privacy_url="/about", _env_file=None
    )
    engine = open_store(settings)
    service = SearchService(settings, engine)
    service.refresh()
    service.close()
    live = settings.index_dir / "keyword"
    shutil.rmtree(live)  # the index is built from scratch, held by another worker
    writer = KeywordIndex(live).index.writer(15_000_000, 1)
    try:
        with serve(create_app(settings, engine), free_port()) as url:
            page.set_viewport_size(PHONE_ZOOMED)
            page.goto(url + "/search?q=graph+neural+networks")
            expect(page.locator("p.notice.rebuilding")).to_contain_text("being rebuilt")
            page.get_by_text("Filters", exact=True).click()
            expect(page.get_by_label("Until")).to_be_visible()
            assert _sideways(page) <= 0
            page.get_by_role("link", name="About & trending formula").focus()
            page.keyboard.press("Tab")  # the footer's new link, reached by the keys
            privacy = page.get_by_role("link", name="Privacy")
            expect(privacy).to_be_focused()
            assert privacy.evaluate("a => getComputedStyle(a).outlineStyle") != "none"
            assert violations(page, "phone, filters open") == []
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        del writer
        engine.dispose()


def test_the_librarys_tick_all_beside_its_find_box_is_a_tap(
    page: Page, live_site: LiveSite
) -> None:
    """The library's 'Tick all on this page', on the page of its find box, was a 13 px box;
    it is 24 px now and, with the find box's results, passes axe at 200 % zoom."""
    sign_up(page, live_site.url, "phd")
    with live_site.engine.begin() as conn:
        found = find_user_id(conn, "phd")
        assert found is not None
        lib.save_paper(conn, found[0], _paper(live_site), "Reading")
        lib.update_item(conn, found[0], _paper(live_site), note="Cafe notes")
    page.set_viewport_size(PHONE_ZOOMED)
    page.goto(live_site.url + "/library")
    box = page.get_by_role("search", name="Find in your library")
    box.get_by_label("Find in your library").fill("café")  # the note, found
    box.get_by_role("button", name="Find").click()
    expect(page.locator("article.library-item")).to_have_count(1)
    assert _small(page.get_by_label("Tick all on this page", exact=True)) == []
    assert _sideways(page) <= 0
    assert violations(page, "phone, library found") == []
