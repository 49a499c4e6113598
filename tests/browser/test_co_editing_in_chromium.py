"""A lab's shared reading list in Chromium, as its members click: two editors write one note at
once (the second is shown both notes and chooses); an admin suspending a list's owner is told,
in the browser's own question, which lists its editors and followers lose sight of; an editor
moves team papers they never saved into a list of their own."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from paperfeed.store.accounts import create_user, set_admin
from paperfeed.store.collection_editors import add_editor
from paperfeed.store.community import add_comment, find_user_id, report_comment
from paperfeed.store.library import (
    Collection,
    collection_paper_ids,
    ensure_collection,
    save_paper,
    saved_ids,
    user_collections,
)
from paperfeed.store.shared_lists import follow_collection, item_note
from paperfeed.store.tables import papers
from paperfeed.web.auth import hash_new_password
from tests.browser.conftest import LiveSite, answer_next_dialog, sign_up

pytestmark = pytest.mark.browser

LIST = "Lab <b>list</b>"  # markup in a name stays text, in the page and in a dialog
BRACED = "Lab {n} <i>list</i> {s}"  # and a question's own "{n}" in a name is only text


def _paper_ids(site: LiveSite, n: int) -> list[str]:
    with site.engine.connect() as conn:
        return [str(p) for p in conn.scalars(select(papers.c.id).order_by(papers.c.id).limit(n))]


def _user_id(site: LiveSite, name: str) -> int:
    with site.engine.connect() as conn:
        found = find_user_id(conn, name)
    assert found is not None
    return int(found[0])


def _reader(site: LiveSite, name: str) -> int:
    """An account made in the store, for someone who never opens a browser here."""
    with site.engine.begin() as conn:
        return int(create_user(conn, name, hash_new_password("a long password")).id)


def _team(site: LiveSite, owner: str, name: str, pids: list[str], *editors: str) -> Collection:
    """`owner`'s public list `name` holding `pids` (saved by the owner), edited by `editors`."""
    owner_id = _user_id(site, owner)
    with site.engine.begin() as conn:
        found = ensure_collection(conn, owner_id, name, visibility="public")
        for pid in pids:
            save_paper(conn, owner_id, pid, name)
        for editor in editors:
            add_editor(conn, found, editor)
    return found


def _second_browser(page: Page) -> Page:
    browser: Browser | None = page.context.browser
    assert browser is not None
    return browser.new_context().new_page()


def test_two_editors_write_one_note_and_the_second_chooses_between_them(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    (pid,) = _paper_ids(live_site, 1)
    ana = _second_browser(page)
    sign_up(page, url, "lead")
    sign_up(ana, url, "ana")
    group = _team(live_site, "lead", LIST, [pid], "ana")
    at = f"{url}/library?collection={group.id}"
    page.goto(at)
    ana.goto(at)  # both open the note's form before either saves

    def write(who: Page, text: str) -> None:
        item = who.locator(f'article.library-item[data-id="{pid}"]')
        item.locator("details.list-note-edit summary").click()
        item.get_by_label(re.compile("on this paper")).fill(text)
        item.get_by_role("button", name="Save list note").click()

    write(page, "Read on **12 Dec**, led by lead")
    expect(page.locator("[data-said]")).to_have_text("Note saved.")
    write(ana, "Led by <b>Ana</b> on 14 Dec")
    expect(ana.get_by_role("heading", level=1)).to_have_text(
        "The note changed while you wrote yours"
    )
    expect(ana.get_by_role("alert")).to_contain_text(
        "lead changed this note while you were writing yours"
    )
    expect(ana.locator(".list-note strong")).to_have_text("12 Dec")  # theirs, as kept
    expect(ana.get_by_label("Your note (not saved)")).to_have_value("Led by <b>Ana</b> on 14 Dec")
    with live_site.engine.connect() as conn:
        kept = item_note(conn, group.id, pid)
    assert kept is not None and kept.by == "lead" and "12 Dec" in kept.text

    ana.get_by_role("button", name="Save mine over theirs").click()
    expect(ana.locator("[data-said]")).to_have_text("Note saved.")
    mine = ana.locator(f'article.library-item[data-id="{pid}"]')
    expect(mine.locator(".list-note")).to_contain_text("Led by <b>Ana</b> on 14 Dec")  # as text
    expect(mine.locator(".note-credit")).to_have_text("note by ana, just now")
    expect(ana.locator(".list-note b")).to_have_count(0)

    write(page, "Moved to 19 Dec")  # lead's page still holds the version before ana's
    expect(page.get_by_role("alert")).to_contain_text(
        "ana changed this note while you were writing yours"
    )
    expect(page.locator(".list-note")).to_contain_text("Led by <b>Ana</b> on 14 Dec")
    expect(page.get_by_label("Your note (not saved)")).to_have_value("Moved to 19 Dec")
    page.get_by_role("link", name="Go back, keeping theirs").click()
    expect(page).to_have_url(re.compile(rf"/library\?collection={group.id}#item-"))
    theirs = page.locator(f'article.library-item[data-id="{pid}"]')
    expect(theirs.locator(".list-note")).to_contain_text("Led by <b>Ana</b> on 14 Dec")
    expect(theirs.locator(".note-credit")).to_have_text("note by ana, just now")
    with live_site.engine.connect() as conn:
        kept = item_note(conn, group.id, pid)
    assert kept is not None and kept.by == "ana" and kept.text == "Led by <b>Ana</b> on 14 Dec"


HIDDEN = (
    " Their collections that others use are hidden from those editors and followers until the"
    " suspension is lifted: “{}” (1 editor, 1 follower)."
)


def _owners(site: LiveSite) -> tuple[int, int]:
    """lead's list LIST and mo's “Mo's picks”, each with an editor (ana) and a follower (bob);
    mo's reported comment, for the moderation queue."""
    for name in ("lead", "mo", "ana", "bob"):
        _reader(site, name)
    pid, other = _paper_ids(site, 2)
    lead = _team(site, "lead", BRACED, [pid], "ana")
    mo = _team(site, "mo", "Mo's picks", [other], "ana")
    bob = _user_id(site, "bob")
    with site.engine.begin() as conn:
        follow_collection(conn, bob, lead)
        follow_collection(conn, bob, mo)
        comment = add_comment(conn, pid, _user_id(site, "mo"), "Buy my course", None)
        report_comment(conn, comment, bob, "spam")
    return _user_id(site, "lead"), _user_id(site, "mo")


def _state(page: Page, name: str) -> str:
    return page.locator(f'tr[data-user="{name}"] td').nth(3).inner_text()


def test_an_admin_suspending_a_lists_owner_is_told_in_the_dialog_which_lists_go_out_of_sight(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    _owners(live_site)
    sign_up(page, url, "keeper")
    with live_site.engine.begin() as conn:
        set_admin(conn, "keeper", True)
    asked: list[str] = []

    page.goto(f"{url}/admin#users")
    answer_next_dialog(page, False, asked)  # Cancel: nothing happens
    page.get_by_role("button", name="Suspend lead", exact=True).click()
    expect(page.get_by_role("button", name="Suspend lead", exact=True)).to_be_visible()
    assert asked == [
        "Suspend lead? Their sessions end and they cannot sign in." + HIDDEN.format(BRACED)
    ]
    assert _state(page, "lead") == "active"

    page.get_by_label("Select lead", exact=True).check()
    page.get_by_label("Select ana", exact=True).check()
    answer_next_dialog(page, False, asked)
    page.get_by_role("button", name="Suspend ticked").click()
    assert asked[1].startswith("Suspend 2 ticked accounts?")
    assert asked[1].endswith(HIDDEN.format(BRACED)), asked[1]
    assert _state(page, "lead") == "active"
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Suspend ticked").click()
    expect(page.locator('tr[data-user="lead"] td').nth(3)).to_have_text("suspended")
    assert asked[2] == asked[1]
    assert _state(page, "ana") == "suspended" and _state(page, "mo") == "active"

    page.goto(f"{url}/admin/community")
    answer_next_dialog(page, False, asked)
    page.get_by_role("button", name="Suspend mo", exact=True).first.click()
    assert asked[3] == (
        "Suspend mo? Their sessions end, and they cannot sign in or post."
        + HIDDEN.format("Mo's picks")
    )
    answer_next_dialog(page, True, asked)
    page.get_by_role("button", name="Suspend mo", exact=True).first.click()
    expect(page.get_by_role("status")).to_contain_text("mo is suspended")


def test_an_editor_moves_team_papers_they_never_saved_into_a_list_of_their_own(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    first, second, third = _paper_ids(live_site, 3)
    _reader(live_site, "lead")
    sign_up(page, url, "ana")
    group = _team(live_site, "lead", "Team reading", [first, second, third], "ana")
    ana = _user_id(live_site, "ana")
    page.on("dialog", lambda dialog: dialog.dismiss())  # a move asks nothing: any question fails

    page.goto(f"{url}/library?collection={group.id}")
    for pid in (first, second):
        item = page.locator(f'article.library-item[data-id="{pid}"]')
        item.get_by_role("checkbox", name=re.compile("^Tick ")).check()
    bulk = page.get_by_role("form", name="Change the ticked papers")
    bulk.get_by_label("With the ticked papers").select_option("move")
    bulk.get_by_label("Collection to put them in").fill("Mine to read")
    bulk.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-said]")).to_have_text("2 papers moved to Mine to read.")
    expect(page.locator("article.library-item")).to_have_count(1)  # gone from the team's
    expect(page.locator(f'article.library-item[data-id="{third}"]')).to_have_count(1)

    page.locator(f'article.library-item[data-id="{third}"]').get_by_role(
        "checkbox", name=re.compile("^Tick ")
    ).check()
    bulk.get_by_label("With the ticked papers").select_option("add")  # a copy: it stays
    bulk.get_by_label("Collection to put them in").fill("Copied")
    bulk.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-said]")).to_have_text("1 paper added to Copied.")
    expect(page.locator(f'article.library-item[data-id="{third}"]')).to_have_count(1)

    page.locator("aside").get_by_role("link", name="Mine to read").click()
    for pid in (first, second):
        expect(page.locator(f'article.library-item[data-id="{pid}"]')).to_have_count(1)
    page.goto(f"{url}/library")
    for pid in (first, second):
        expect(page.locator(f'article.library-item[data-id="{pid}"]')).to_have_count(1)
    expect(page.locator(f'article.library-item[data-id="{third}"]')).to_have_count(1)
    with live_site.engine.connect() as conn:
        lists = {c.name: c.id for c in user_collections(conn, ana)}
        assert set(collection_paper_ids(conn, lists["Mine to read"])) == {first, second}
        assert collection_paper_ids(conn, lists["Copied"]) == [third]
        assert saved_ids(conn, ana) == {first, second, third}
        assert collection_paper_ids(conn, group.id) == [third]


def test_on_a_long_shared_lists_second_page_a_note_and_its_conflict_come_back_to_the_paper(
    page: Page, live_site: LiveSite
) -> None:
    url = live_site.url
    per = live_site.settings.page_size
    ids = _paper_ids(live_site, per + 2)
    ana = _second_browser(page)
    sign_up(page, url, "lead")
    sign_up(ana, url, "ana")
    group = _team(live_site, "lead", LIST, ids, "ana")
    second_page = f"{url}/c/{group.share_key}?order=title&page=2"
    page.goto(second_page)
    ana.goto(second_page)
    pid = page.locator(".list-entry").first.get_attribute("id")
    assert pid is not None and pid.startswith("note-")

    def write(who: Page, text: str) -> None:
        entry = who.locator(f'[id="{pid}"]')
        entry.locator("details.list-note-edit summary").click()
        entry.get_by_label(re.compile("^Public note on this paper")).fill(text)
        entry.get_by_role("button", name="Save note").click()

    write(page, "Read on **12 Dec**")
    expect(page.locator("[data-said]")).to_have_text("Note saved.")
    expect(page).to_have_url(f"{second_page}#{pid}")  # the page it was written on
    expect(page.locator(f'[id="{pid}"] .list-note strong')).to_have_text("12 Dec")
    write(ana, "Led by Ana")
    expect(ana.get_by_role("alert")).to_contain_text("lead changed this note")
    ana.get_by_role("link", name="Go back, keeping theirs").click()
    expect(ana).to_have_url(f"{second_page}#{pid}")
    expect(ana.locator(f'[id="{pid}"] .note-credit')).to_have_text("note by lead, just now")
    write(ana, "Led by Ana")  # now from the note as it is
    expect(ana).to_have_url(f"{second_page}#{pid}")
    expect(ana.locator(f'[id="{pid}"] .note-credit')).to_have_text("note by ana, just now")
