"""Save, rate, follow, mute, import, For you and a shared collection in headless Chromium."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Dialog, Page, ViewportSize, expect

from paperfeed.recommend.service import follows_of
from paperfeed.search import embed_papers
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.library import (
    ensure_collection,
    library,
    save_paper,
    user_collections,
    user_ratings,
)
from paperfeed.store.listings import newest_listed
from tests.browser.conftest import LiveSite, answer_next_dialog, newest_day_path, sign_up
from tests.web_support import HOSTILE, HOSTILE_ID

pytestmark = pytest.mark.browser
OLD_ID = "2501.99001"  # a copy of a recent paper, listed in January 2025
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_save_and_rate_without_reload_then_for_you(
    page: Page, live_site: LiveSite, screenshots: Path
) -> None:
    url = live_site.url
    page.set_viewport_size(DESKTOP)
    sign_up(page, url, "reader")
    page.goto(url + newest_day_path(live_site.engine))
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    cards = page.locator("article.card")
    first, second = cards.nth(0), cards.nth(1)
    first_id, second_id = first.get_attribute("data-id"), second.get_attribute("data-id")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("button", name="Saved")).to_have_attribute("aria-pressed", "true")
    second.get_by_role("button", name="More like this").click()
    expect(second.get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.__sameDocument") is True
    with live_site.engine.connect() as conn:
        assert [i.paper_id for i in library(conn, 1)] == [first_id]
        assert user_ratings(conn, 1) == {second_id: 1}

    page.goto(url + "/")  # home is For you now: the menu marks For you, not Daily
    expect(page.locator("nav[aria-label=Main] a[aria-current=page]")).to_have_text("For you")
    page.get_by_role("link", name="For you", exact=True).click()
    items = page.locator(".recommended")
    expect(items.first.locator(".why")).to_contain_text("Why:")
    assert items.count() >= 3
    shown = {items.nth(i).locator("article").get_attribute("data-id") for i in range(items.count())}
    assert first_id not in shown and second_id not in shown
    page.screenshot(path=str(screenshots / "for-you.png"))
    # 👎 on a suggestion folds its card, saying so; 👎 again takes it back (it stayed whole).
    third = items.nth(2).locator("article")
    third.get_by_role("button", name="Less like this").click()
    expect(third.get_by_role("status")).to_contain_text("For you will not suggest it again")
    expect(third.locator(".abstract")).to_be_hidden()
    third.get_by_role("button", name="Less like this").click()
    expect(third.locator(".rated-note")).to_have_count(0)
    expect(third.locator(".abstract")).to_be_visible()
    with live_site.engine.connect() as conn:
        assert user_ratings(conn, 1) == {second_id: 1}
    page.get_by_role("link", name="What the model learned").click()
    expect(page.locator("ul.terms li").first).to_be_visible()
    # A learned term muted from the page, which comes back offering to unmute it.
    page.locator("ul.terms li").first.get_by_role("button", name=re.compile("^mute ")).click()
    expect(page).to_have_url(re.compile(r"/for-you/learned$"))
    unmute = page.locator("ul.terms li").first.get_by_role("button", name=re.compile("^unmute "))
    expect(unmute).to_be_visible()
    with live_site.engine.connect() as conn:
        assert len(follows_of(conn, 1).muted_keywords) == 1
    # Reset asks first: "no" keeps the 👍, "yes" forgets it and the page says so.
    reset = page.get_by_role("button", name="Reset the model")
    page.once("dialog", lambda d: d.dismiss())
    reset.click()
    expect(page).to_have_url(re.compile(r"/for-you/learned$"))
    with live_site.engine.connect() as conn:
        assert user_ratings(conn, 1) == {second_id: 1}
    page.once("dialog", lambda d: d.accept())
    reset.click()
    expect(page.get_by_role("status")).to_contain_text("Reset: 1 rating forgotten")
    with live_site.engine.connect() as conn:
        assert user_ratings(conn, 1) == {}


def test_follow_mute_import_and_share_a_collection(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    url = live_site.url
    sign_up(page, url, "curator")
    # Follow: the author page leads to a check of papers and co-authors before following.
    page.goto(url + f"/papers/{HOSTILE_ID}")
    page.get_by_role("link", name=HOSTILE.authors[0]).click()
    page.get_by_role("link", name="Follow this author…").click()
    expect(page.locator("ul.coauthors")).to_contain_text("Eve <b>Bold</b>")
    page.get_by_role("button", name=f"Follow {HOSTILE.authors[0]}").click()
    expect(page.get_by_role("button", name=f"Unfollow {HOSTILE.authors[0]}")).to_be_visible()

    # Mute a category: the daily page hides the paper and says so, with a way to show it.
    page.goto(url + "/library")
    mute = page.get_by_role("form", name="Mute")
    mute.locator("select[name=kind]").select_option("category")
    mute.get_by_label("What to mute").fill("cs.CRR")  # a typo: said at the box, input kept
    mute.get_by_role("button", name="Mute").click()
    expect(mute.get_by_role("alert")).to_contain_text("Not muted:")
    expect(mute.get_by_label("What to mute")).to_have_value("cs.CRR")
    expect(mute.get_by_label("What to mute")).to_be_focused()
    expect(mute.locator("select[name=kind]")).to_have_value("category")
    expect(page.locator("ul.mutes li")).to_have_count(0)
    mute.get_by_label("What to mute").fill("cs.CR")
    mute.get_by_role("button", name="Mute").click()
    expect(page).to_have_url(url + "/library")
    expect(page.locator("ul.mutes")).to_contain_text("cs.CR")
    expect(mute.get_by_role("alert")).to_have_count(0)
    page.goto(url + f"/papers/{HOSTILE_ID}")
    page.locator("dd a[href^='/papers/date/']").first.click()
    expect(page.locator(".muted-note")).to_contain_text("hidden by your mutes")
    expect(page.locator(f"article[data-id='{HOSTILE_ID}']")).to_have_count(0)
    page.locator(".muted-note").get_by_role("link", name="show them").click()
    expect(page.locator(f"article[data-id='{HOSTILE_ID}']")).to_have_count(1)
    expect(page.locator(f"article[data-id='{HOSTILE_ID}'] .muted-why")).to_have_text(
        "Hidden by your mute of the category cs.CR: shown because you asked."
    )
    expect(page.locator(".muted-note")).to_contain_text("Showing the papers your mutes hide")
    page.locator(".muted-note").get_by_role("link", name="hide them").click()
    expect(page.locator(f"article[data-id='{HOSTILE_ID}']")).to_have_count(0)
    # On a list of several pages, the next page goes on showing them (its link dropped that).
    page.goto(url + newest_day_path(live_site.engine) + "?show_muted=1")
    page.locator("nav.pager").get_by_role("link", name="Next page →").click()
    expect(page).to_have_url(re.compile(r"page=2.*show_muted=1|show_muted=1.*page=2"))

    # Import a BibTeX file with one good entry and one malformed one.
    bib = tmp_path / "zotero.bib"
    bib.write_text(
        f"@article{{a, title={{x}}, eprint={{{HOSTILE_ID}}}}}\n@misc{{broken, title={{oops\n"
    )
    page.goto(url + "/library/import")
    page.get_by_label("File").set_input_files(str(bib))
    page.get_by_label("Into collection (optional)").fill("Security reading")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-report")).to_contain_text("1 paper matched")
    expect(page.locator("ul.unmatched")).to_contain_text("line 2 (cannot be read (")
    expect(page.locator(".import-report .into")).to_have_text(
        "Put into your collection Security reading."
    )

    # Share the collection and open its public page.
    page.goto(url + "/library")
    page.locator("aside").get_by_role("link", name="Security reading").click()
    page.wait_for_url(re.compile(r".*/library\?collection=\d+$"))
    collection_url = page.url
    form = page.get_by_role("form", name="Edit collection")
    form.get_by_label("Name").fill("Security papers")  # a rename keeps the collection
    form.get_by_label("Visibility").select_option("public")
    form.get_by_role("button", name="Save collection").click()
    expect(page).to_have_url(collection_url)
    expect(page.locator("h1")).to_have_text("Security papers")
    page.locator("a[href^='/c/']").click()
    expect(page.locator("h1")).to_have_text("Security papers")
    expect(page.locator(f"article[data-id='{HOSTILE_ID}']")).to_have_count(1)
    expect(page.locator("main").get_by_role("link", name="BibTeX")).to_have_attribute(
        "href", re.compile(r"\.bib$")
    )
    with live_site.engine.connect() as conn:
        assert [(c.name, c.visibility) for c in user_collections(conn, 1)] == [
            ("Security papers", "public")
        ]
    shared_url = page.url
    # Found again the way a visitor finds it: the footer's public collections, then its owner.
    page.get_by_role("contentinfo").get_by_role("link", name="Public collections").click()
    page.get_by_role("link", name="Security papers").click()
    expect(page).to_have_url(shared_url)
    page.get_by_role("main").get_by_role("link", name="curator", exact=True).click()
    expect(page.get_by_role("heading", name="Public collections")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Security papers").click()
    expect(page).to_have_url(shared_url)
    page.get_by_role("link", name="Edit in your library").click()
    expect(page.get_by_role("form", name="Edit collection")).to_be_visible()

    # The same paper in a second collection, typed on its library entry; then out of it again.
    page.goto(url + "/library")
    item = page.locator(f"article.library-item[data-id='{HOSTILE_ID}']")
    add = item.get_by_role("form", name=re.compile(r"^Add .+ to a collection$"))
    add.get_by_role("combobox").fill("To discuss")  # an input with a list of names
    add.get_by_role("button", name="Add to collection").click()
    expect(page).to_have_url(url + f"/library#item-{HOSTILE_ID}")  # back at the entry
    links = item.locator(".in-collections a")
    expect(links).to_have_text(["Security papers", "To discuss"])
    item.get_by_role("button", name="Take out of To discuss").click()
    expect(page).to_have_url(url + f"/library#item-{HOSTILE_ID}")
    expect(item.locator(".in-collections a")).to_have_text(["Security papers"])
    page.locator("aside").get_by_role("link", name="To discuss").click()
    expect(page.locator(".library-item")).to_have_count(0)
    asked: list[str] = []
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Delete this collection").click()
    expect(page).to_have_url(url + "/library")
    assert asked == ["Delete the collection “To discuss”? Its papers stay in your library."]
    expect(page.locator("aside").get_by_role("link", name="To discuss")).to_have_count(0)
    expect(item.locator(".in-collections a")).to_have_text(["Security papers"])

    # From the paper's own page: into a new collection, beside the one it is in.
    page.goto(url + f"/papers/{HOSTILE_ID}")
    held = page.locator("main .in-collections")
    expect(held.locator("a")).to_have_text(["Security papers"])
    held.get_by_role("combobox", name="Collection").fill("Reading group")
    held.get_by_role("button", name="Add to collection").click()
    expect(page).to_have_url(url + f"/papers/{HOSTILE_ID}")
    expect(held.locator("a")).to_have_text(["Reading group", "Security papers"])

    # For you ranked by one collection (its link on the library page), then by everything again
    # through the page's own "Rank by" form.
    page.goto(url + "/library")
    page.locator("aside").get_by_role("link", name="Security papers").click()
    page.get_by_role("link", name="Papers like these").click()
    expect(page.locator("h1")).to_have_text("Papers like “Security papers”")
    page.get_by_role("link", name="This month").click()
    expect(page).to_have_url(re.compile(r"window=month&collection=\d+$"))
    rank_by = page.get_by_role("form", name="Rank by")
    expect(rank_by.get_by_label("Rank by")).to_have_value(re.compile(r"^\d+$"))
    rank_by.get_by_label("Rank by").select_option(label="everything you saved, rated and follow")
    rank_by.get_by_role("button", name="Rank").click()
    expect(page.locator("h1")).to_have_text("Papers for curator")
    expect(page).to_have_url(re.compile(r"/for-you\?window=month&collection=$"))  # "everything"


def test_import_fetches_an_unknown_arxiv_paper(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    url = live_site.url
    sign_up(page, url, "importer")
    with live_site.engine.connect() as conn:
        assert get_paper(conn, "1605.08386") is None
    bib = tmp_path / "mendeley.bib"
    bib.write_text(
        f"@article{{here, title={{x}}, eprint={{{HOSTILE_ID}}}}}\n"
        "@article{new, title={Heat-bath random walks}, eprint={1605.08386}}\n"
    )
    page.goto(url + "/library/import")
    page.get_by_label("File").set_input_files(str(bib))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-report")).to_contain_text("2 papers matched")
    expect(page.locator(".import-report .fetched")).to_contain_text("1 of them fetched from arXiv")
    page.locator(".import-report .fetched").get_by_role("link", name="1605.08386").click()
    expect(page.locator("h1")).to_contain_text("Heat-bath random walks with Markov bases")
    with live_site.engine.connect() as conn:
        assert {i.paper_id for i in library(conn, 1)} == {HOSTILE_ID, "1605.08386"}
    assert [r.params.get("id_list") for r in live_site.arxiv.requests] == ["1605.08386"]


def test_a_reading_list_of_ids_and_urls_is_imported_from_a_text_file(
    page: Page, live_site: LiveSite, tmp_path: Path
) -> None:
    """The upload box offered .txt files, and a plain list of arXiv ids and URLs was refused
    as "not BibTeX, RIS or CSL-JSON"."""
    url = live_site.url
    sign_up(page, url, "lister")
    reading = tmp_path / "reading-list.txt"
    reading.write_text(
        f"# to read this week\n{HOSTILE_ID}\nhttps://arxiv.org/abs/1605.08386v2\nask Ana\n"
    )
    page.goto(url + "/library/import")
    page.get_by_label("File").set_input_files(str(reading))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-report")).to_contain_text("2 papers matched")
    expect(page.locator(".import-report")).to_contain_text("list of ids")
    expect(page.locator(".import-report")).to_contain_text("line 4")
    with live_site.engine.connect() as conn:
        assert {i.paper_id for i in library(conn, 1)} == {HOSTILE_ID, "1605.08386"}


def test_all_time_ranks_an_old_paper_the_month_does_not_hold(
    page: Page, live_site: LiveSite
) -> None:
    url, engine = live_site.url, live_site.engine
    sign_up(page, url, "historian")
    page.goto(url + newest_day_path(engine))
    liked = page.locator("article.card").nth(0)
    liked_id = liked.get_attribute("data-id")
    assert liked_id is not None
    # The same text, listed long before this month: only "All time" can find it.
    with engine.begin() as conn:
        original = get_paper(conn, liked_id)
        assert original is not None
        upsert_papers(conn, [replace(original, id=OLD_ID, listing_date=date(2025, 1, 10))])
    embed_papers(live_site.settings, engine)
    liked.get_by_role("button", name="More like this").click()
    expect(liked.get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.goto(url + "/for-you?window=month")
    expect(page.locator(".recommended").first).to_be_visible()
    assert page.locator(f'article[data-id="{OLD_ID}"]').count() == 0
    page.get_by_role("navigation", name="Window").get_by_role("link", name="All time").click()
    expect(page).to_have_url(re.compile(r"window=all"))
    expect(page.get_by_role("link", name="All time")).to_have_attribute("aria-current", "page")
    old = page.locator(f'.recommended article[data-id="{OLD_ID}"]')
    expect(old).to_be_visible()
    assert page.locator(f'article[data-id="{liked_id}"]').count() == 0  # rated: not again


def test_a_private_feed_from_the_for_you_page_then_revoked(page: Page, live_site: LiveSite) -> None:
    """For you links to the private feed; the URL made there serves the reader's list to a feed
    reader (no cookie) until it is revoked."""
    url = live_site.url
    sign_up(page, url, "feeder")
    page.goto(url + newest_day_path(live_site.engine))
    card = page.locator("article.card").first
    card.get_by_role("button", name="More like this").click()
    expect(card.get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("link", name="For you", exact=True).click()
    page.get_by_role("link", name="Private RSS/Atom feed").click()
    expect(page.locator("#private-feed")).to_be_in_viewport()
    page.get_by_role("button", name="Make a private feed URL").click()
    feed_url = page.get_by_label("Private feed URL").input_value()
    assert feed_url.startswith(url + "/feeds/for-you/") and feed_url.endswith(".atom")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == feed_url
    page.reload()  # the same URL again, not a new one (nor a question)
    expect(page.get_by_label("Private feed URL")).to_have_value(feed_url)
    reader = page.context.browser
    assert reader is not None
    outsider = reader.new_context()  # a feed reader: no session cookie
    try:
        got = outsider.request.get(feed_url)
        assert got.status == 200 and got.text().count("<entry>") >= 3
        page.get_by_role("link", name="Back to your library").click()
        expect(page.locator("#private-feed + p")).to_contain_text("You have one")
        asked: list[str] = []  # a revoke asks first; cancelled, the URL still works
        answer_next_dialog(page, False, asked)
        page.get_by_role("button", name="revoke").click()
        expect(page.get_by_role("button", name="revoke")).to_be_visible()
        assert outsider.request.get(feed_url).status == 200
        answer_next_dialog(page, True, asked)
        page.get_by_role("button", name="revoke").click()
        expect(page.locator("main")).to_contain_text("was revoked")
        assert len(asked) == 2 and "Revoke your private feed URL?" in asked[0]
        assert outsider.request.get(feed_url).status == 404
    finally:
        outsider.close()


def test_a_note_and_reading_state_from_the_library_page_go_out_with_the_export(
    page: Page, live_site: LiveSite
) -> None:
    """The library's note form (state, note, Save note), then its Export links: the downloads
    carry the note and the tags a reference manager imports."""
    url = live_site.url
    page.set_viewport_size(DESKTOP)
    sign_up(page, url, "archivist")
    page.goto(url + newest_day_path(live_site.engine))
    card = page.locator("article.card").first
    pid = card.get_attribute("data-id")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_role("button", name="Saved")).to_be_visible()
    page.get_by_role("link", name="Library").first.click()
    item = page.locator(f'article.library-item[data-id="{pid}"]')
    item.get_by_label("Reading state").select_option("read")
    # The state is kept as soon as it is chosen: no button, and still there after a reload.
    expect(item.get_by_role("status")).to_have_text("Saved: read")
    expect(item.locator("p.meta")).to_have_text("Read")
    page.reload()
    expect(item.get_by_label("Reading state")).to_have_value("read")
    item.get_by_label("Private note (Markdown)").fill("Read **twice**: the 50% claim holds.")
    item.get_by_role("button", name="Save note").click()
    expect(item.locator(".note strong")).to_have_text("twice")
    expect(item.locator("p.meta")).to_contain_text("Read")
    # A second paper, then the library's own search box and its reading-state links.
    page.goto(url + newest_day_path(live_site.engine))
    other_card = page.locator("article.card").nth(1)
    other_card.get_by_role("button", name="Save").click()
    expect(other_card.get_by_role("button", name="Saved")).to_be_visible()
    page.get_by_role("link", name="Library").first.click()
    expect(page.locator("article.library-item")).to_have_count(2)
    violations = Axe().run(page).response["violations"]  # one form per paper, each its own name
    assert [v["id"] for v in violations] == []
    read = page.get_by_role("link", name="Read (1)", exact=True)
    read.click()
    expect(page.locator("article.library-item")).to_have_count(1)
    expect(read).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="All (2)").click()
    finder = page.get_by_role("search", name="Find in your library")
    finder.get_by_label("Find in your library").fill("TWICE")  # a word of the note
    finder.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"/library\?q=TWICE$"))
    expect(page.locator("article.library-item")).to_have_count(1)
    expect(page.locator(f'article.library-item[data-id="{pid}"]')).to_have_count(1)
    finder.get_by_role("link", name="Show all").click()
    expect(page.locator("article.library-item")).to_have_count(2)
    page.get_by_role("navigation", name="Order").get_by_role("link", name="title").click()
    expect(page).to_have_url(re.compile(r"/library\?order=title$"))
    titles = page.locator("article.library-item h3").all_inner_texts()
    assert titles == sorted(titles, key=str.lower)
    texts = {}
    for name in ("BibTeX", "RIS"):
        with page.expect_download() as download:
            page.get_by_role("link", name=name, exact=True).first.click()
        path = download.value.path()
        texts[name] = Path(path).read_text(encoding="utf-8")
    assert f"eprint        = {{{pid}}}" in texts["BibTeX"]
    assert r"Read **twice**: the 50\% claim holds." in texts["BibTeX"]
    assert "keywords      = {paperfeed:read}" in texts["BibTeX"]
    assert "N1  - Read **twice**: the 50% claim holds." in texts["RIS"]
    assert "KW  - paperfeed:read" in texts["RIS"]

    # The BibTeX download, imported by another account (the form's file, checkbox and button),
    # brings the note and the reading state back.
    assert page.context.browser is not None
    elsewhere = page.context.browser.new_context()
    try:
        other = elsewhere.new_page()
        other.set_viewport_size(DESKTOP)
        sign_up(other, url, "arriver")
        other.goto(url + "/library/import")
        bib = Path(str(download.value.path())).with_suffix(".bib")
        bib.write_text(texts["BibTeX"], encoding="utf-8")
        other.get_by_label("File").set_input_files(str(bib))
        other.get_by_label("Put papers into collections named after their tags").check()
        other.get_by_role("button", name="Import", exact=True).click()
        report = other.locator(".import-report")
        expect(report).to_contain_text("2 papers matched")
        expect(report).to_contain_text("1 note added to yours; 1 paper marked read.")
        report.get_by_role("link", name="Go to your library").click()
        moved = other.locator(f'article.library-item[data-id="{pid}"]')
        expect(moved.locator(".note strong")).to_have_text("twice")
        expect(moved.get_by_label("Reading state")).to_have_value("read")
    finally:
        elsewhere.close()


def test_a_new_reader_ticks_categories_then_for_you_ranks(page: Page, live_site: LiveSite) -> None:
    """The empty For you page's category picker (each checkbox, then Follow and rank), its search
    box, and the page itself checked by axe-core."""
    url = live_site.url
    page.set_viewport_size(DESKTOP)
    sign_up(page, url, "newcomer")
    page.get_by_role("link", name="For you", exact=True).click()
    picker = page.locator("form.start fieldset")
    expect(picker.get_by_role("checkbox").first).to_be_visible()
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations] == []
    names = [b.get_attribute("value") for b in picker.get_by_role("checkbox").all()]
    assert len(names) >= 2
    page.get_by_label("Or find a few papers you like, and Save them:").fill("neural")
    page.get_by_role("search", name="Find papers you like").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/search\?q=neural"))
    page.go_back()
    page.get_by_role("button", name="Follow and rank").click()  # nothing ticked yet
    expect(page.get_by_role("alert")).to_contain_text("tick at least one category")
    for name in names[:2]:
        picker.get_by_label(name).check()
    page.get_by_role("button", name="Follow and rank").click()
    expect(page).to_have_url(re.compile(r"/for-you\?window=month$"))
    why = page.locator(".recommended .why").first
    expect(why).to_contain_text("which you follow")
    expect(page.locator("form.start")).to_have_count(0)


def test_follow_and_mute_from_a_category_page_and_follow_a_search(
    page: Page, live_site: LiveSite
) -> None:
    """A category's page follows or mutes it in one click (pressed once done, and undone by the
    same button); a search's page follows the search. The library lists what was followed."""
    url = live_site.url
    sign_up(page, url, "one-click")
    page.goto(url + "/categories/cs.CL")
    expect(page.locator("h1")).to_have_text("cs.CL · Computation and Language")
    expect(page.locator(".interests button")).to_have_count(2)  # the forms sit in their box
    page.get_by_role("button", name="Follow this category").click()
    expect(page).to_have_url(url + "/categories/cs.CL")
    following = page.get_by_role("button", name="Following · unfollow")
    expect(following).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.locator(".muted-note")).to_contain_text("hidden by your mutes")
    expect(page.locator("article.card")).to_have_count(0)  # every paper here is in cs.CL
    # Muting what one follows ends the follow: never both.
    expect(page.get_by_role("button", name="Follow this category")).to_be_visible()
    page.get_by_role("button", name="Muted · unmute").click()
    expect(page.locator("article.card").first).to_be_visible()
    page.get_by_role("button", name="Follow this category").click()
    expect(page.get_by_role("button", name="Following · unfollow")).to_be_visible()
    page.get_by_label("Search papers").fill("graph  neural networks")
    page.get_by_label("Search papers").press("Enter")
    page.get_by_role("button", name="Follow this search").click()
    expect(page.get_by_role("button", name="Following this search · unfollow")).to_be_visible()
    page.goto(url + "/library")
    follows = page.locator("ul.follows")
    expect(follows).to_contain_text("cs.CL")
    expect(follows).to_contain_text("graph neural networks")
    expect(page.locator("ul.mutes")).not_to_contain_text("cs.CL")
    with live_site.engine.connect() as conn:
        got = follows_of(conn, 1)
    assert got.categories == {"cs.CL"} and got.searches == ("graph neural networks",)
    assert not got.muted_categories


def test_maths_in_notes_and_on_the_learned_page_is_typeset(page: Page, live_site: LiveSite) -> None:
    """A note's `$x^2$` and `# heading`, a title's `$\\Omega$` on the learned page, typeset by
    KaTeX; the paper's tab title reads Ω. The paper, saved, rated and upvoted, is listed once."""
    url, pid = live_site.url, "2606.99996"
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [replace(HOSTILE, id=pid, title="TerraDiT-$\\Omega$: terrain")])
    sign_up(page, url, "typesetter")
    page.goto(f"{url}/papers/{pid}")
    expect(page).to_have_title("TerraDiT-Ω: terrain · paperfeed")
    main = page.locator("main")
    main.get_by_role("button", name="Save").first.click()
    main.get_by_role("button", name="More like this").first.click()
    main.get_by_role("button", name=re.compile("upvote", re.I)).first.click()
    page.goto(url + "/library")
    item = page.locator(f"article.library-item[data-id='{pid}']")
    item.get_by_label("Private note (Markdown)").fill("# Key idea\n\nIt is $x^2$, not $$x^3$$.")
    item.get_by_role("button", name="Save note").click()
    note = page.locator(f"article.library-item[data-id='{pid}'] .note")
    expect(note.locator("h4")).to_have_text("Key idea")
    expect(note.locator(".katex")).to_have_count(2)
    page.goto(url + "/for-you/learned")
    expect(page.locator("main")).to_contain_text("Trained on 1 paper ")
    leaned = page.locator("main ol li")
    expect(leaned).to_have_count(1)
    expect(leaned.locator("a .katex")).to_have_count(1)
    expect(leaned).to_contain_text("saved, 👍, upvoted")


def test_ticked_papers_in_the_library_are_filed_moved_and_removed_at_once(
    page: Page, live_site: LiveSite
) -> None:
    """The library's bulk bar as a reader uses it: "Tick all", untick one, add the rest to a
    new collection; in that collection, move one on; mark them read; remove after the
    question (declined first, then accepted). The collection box shows only when needed. Then
    a saved paper's page: its note and reading state, edited there."""
    url = live_site.url
    page.set_viewport_size(DESKTOP)
    sign_up(page, url, "sorter")
    page.goto(url + newest_day_path(live_site.engine))
    cards = page.locator("article.card")
    ids = [cards.nth(i).get_attribute("data-id") for i in range(3)]
    for i in range(3):
        cards.nth(i).get_by_role("button", name="Save").click()
        expect(cards.nth(i).get_by_role("button", name="Saved")).to_be_visible()
    page.get_by_role("link", name="Library").first.click()
    bar = page.get_by_role("form", name="Change the ticked papers")
    apply, where = bar.get_by_role("button", name="Apply"), bar.get_by_label("Collection to put")
    expect(apply).to_be_disabled()
    expect(where).to_be_hidden()  # "mark read" needs no collection
    bar.get_by_label("Tick all on this page").check()
    expect(bar).to_contain_text("3 ticked")
    page.locator(f'article.library-item[data-id="{ids[2]}"]').get_by_role("checkbox").uncheck()
    expect(bar).to_contain_text("2 ticked")
    bar.get_by_label("With the ticked papers").select_option("add")
    expect(where).to_be_visible()
    where.fill("Reading group")
    apply.click()
    expect(page.get_by_role("status")).to_have_text("2 papers added to Reading group.")
    with live_site.engine.connect() as conn:
        [group] = user_collections(conn, 1)
        assert sorted(i.paper_id for i in library(conn, 1, group.id)) == sorted(ids[:2])
    page.get_by_role("link", name="Reading group").first.click()
    expect(page.locator("article.library-item")).to_have_count(2)
    page.locator(f'article.library-item[data-id="{ids[0]}"]').get_by_role("checkbox").check()
    bar.get_by_label("With the ticked papers").select_option("move")
    where.fill("Done")
    apply.click()
    expect(page.get_by_role("status")).to_have_text("1 paper moved to Done.")
    expect(page.locator("article.library-item")).to_have_count(1)  # still in Reading group
    page.get_by_role("link", name="All saved papers").first.click()
    export = bar.get_by_role("button", name="Export the ticked papers as RIS")
    expect(export).to_be_disabled()
    page.locator(f'article.library-item[data-id="{ids[2]}"]').get_by_role("checkbox").check()
    bar.get_by_label("With the ticked papers").select_option("add")  # box required, empty
    with page.expect_download() as download:
        export.click()  # an export needs no collection name
    ris = Path(download.value.path()).read_text(encoding="utf-8")
    assert ris.count("ER  -") == 1 and ids[2] in ris
    assert download.value.suggested_filename == "library-selection.ris"
    bar.get_by_label("With the ticked papers").select_option("read")
    bar.get_by_label("Tick all on this page").check()
    apply.click()
    expect(page.get_by_role("status")).to_have_text("3 papers marked read.")
    violations = Axe().run(page).response["violations"]
    where_found = [n["target"] for v in violations for n in v["nodes"]]
    assert [v["id"] for v in violations] == [], where_found
    page.locator(f'article.library-item[data-id="{ids[1]}"]').get_by_role("checkbox").check()
    bar.get_by_label("With the ticked papers").select_option("remove")
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    apply.click()
    expect(page.locator("article.library-item")).to_have_count(3)
    assert asked == ["Remove 1 paper from your library, with their notes?"]
    page.once("dialog", lambda dialog: dialog.accept())
    apply.click()
    expect(page.get_by_role("status")).to_have_text("1 paper removed from your library.")
    expect(page.locator("article.library-item")).to_have_count(2)
    with live_site.engine.connect() as conn:
        assert {i.paper_id: i.state for i in library(conn, 1)} == {
            ids[0]: "read",
            ids[2]: "read",
        }
    # A saved paper's own page: the reader's note and reading state, written there.
    page.locator(f'article.library-item[data-id="{ids[0]}"] h3 a').click()
    mine = page.get_by_role("region", name="Your note")
    expect(mine).to_contain_text("(private) · read")
    mine.get_by_label("Reading state").select_option("to_read")
    expect(mine.get_by_role("status")).to_have_text("Saved: to read")
    expect(mine.locator("h2")).to_contain_text("(private) · to read")
    mine.get_by_label("Private note (Markdown)").fill("See *section 4*")
    mine.get_by_role("button", name="Save note").click()
    expect(page).to_have_url(re.compile(r"/papers/"))
    expect(mine.locator(".note em")).to_have_text("section 4")
    expect(mine).to_contain_text("(private) · to read")
    expect(mine.get_by_text("Edit your note")).to_be_visible()
    assert [v["id"] for v in Axe().run(page).response["violations"]] == []


def test_a_public_reading_list_is_found_and_copied_into_a_readers_library(
    page: Page, live_site: LiveSite
) -> None:
    """A teacher's public collection, found from the footer's list by a student, who signs up
    from its page (the header's link brings them back to it) and copies it into a collection
    of their own, renamed."""
    url = live_site.url
    page.set_viewport_size(DESKTOP)
    with live_site.engine.begin() as conn:
        teacher = create_user(conn, "teacher", "not a hash: never signs in").id
        ids = sorted(newest_listed(conn, 3))
        week = ensure_collection(conn, teacher, "Week 1 readings", "For Monday", "public")
        for pid in ids:
            save_paper(conn, teacher, pid, week.name)
    page.goto(url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Public collections").click()
    page.get_by_role("link", name="Week 1 readings").click()
    expect(page.get_by_role("main")).to_contain_text("By teacher")
    page.get_by_role("banner").get_by_role("link", name="Sign up").click()  # the header's
    page.get_by_label("User name").fill("student")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{url}/c/{week.share_key}")  # back where they were
    copy = page.get_by_role("form", name="Copy into your library")
    copy.get_by_label("Copy its 3 papers into your library as").fill("Course: week 1")
    copy.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("3 papers added to Course: week 1.")
    expect(page.locator("h1")).to_have_text("Course: week 1")
    expect(page.locator("article.library-item")).to_have_count(3)
    with live_site.engine.connect() as conn:
        student = user_collections(conn, teacher + 1)
        assert [c.name for c in student] == ["Course: week 1"]
        assert sorted(i.paper_id for i in library(conn, teacher + 1, student[0].id)) == ids
