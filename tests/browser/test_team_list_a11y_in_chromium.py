"""Team reading lists' newest controls for keyboard, screen-reader and phone users, in
Chromium: the editor's "offered to you" mark and the "Take over …?" question in the library,
the owner's "Offered to …" line with "Withdraw the offer", the notifications of a team list
(offered, took over, papers added, a deleted account's), the page of a shared note changed
meanwhile and the profile's switch for notices of papers put in: axe-core in light and dark,
at 1280 and 320 px; and each by keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select, update

from paperfeed.store.accounts import create_user, find_user
from paperfeed.store.collection_editors import accept, add_editor, offer, put_in
from paperfeed.store.community import notifications
from paperfeed.store.erasure import delete_account
from paperfeed.store.library import ensure_collection
from paperfeed.store.shared_lists import set_item_note
from paperfeed.store.tables import papers
from tests.browser.a11y_support import checked
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser
NAME = "Team <b>list</b>"  # shown as typed, never as markup


@dataclass
class Team:
    """lead owns NAME, offered to its editor ana (and "Old list", which ana took over); ana
    and bob (since deleted) put papers in NAME. Both lead and ana signed in."""

    lead: Page
    ana: Page
    collection_id: int
    share_key: str
    paper_id: str


@pytest.fixture
def team(browser: Browser, live_site: LiveSite) -> Iterator[Team]:
    contexts: list[BrowserContext] = []
    for name in ("lead", "ana"):
        contexts.append(browser.new_context())
        sign_up(contexts[-1].new_page(), live_site.url, name)
    with live_site.engine.begin() as conn:
        ids = list(conn.execute(select(papers.c.id).order_by(papers.c.id).limit(4)).scalars())
        lead, ana = (find_user(conn, name) for name in ("lead", "ana"))
        assert lead is not None and ana is not None
        bob = create_user(conn, "bob", "!")
        made = ensure_collection(conn, lead[0].id, NAME, "", "unlisted")
        old = ensure_collection(conn, lead[0].id, "Old list")
        for editor in ("ana", "bob"):
            add_editor(conn, made, editor)
        add_editor(conn, old, "ana")
        offer(conn, old, "ana", True)
        accept(conn, ana[0].id, old.id)  # lead: "ana took over …"
        for pid in ids[:3]:
            put_in(conn, ana[0].id, made, pid)  # lead: "ana added 3 papers to …"
        put_in(conn, bob.id, made, ids[3])
        delete_account(conn, bob.id)  # lead: "A deleted account added 1 paper to …"
        offer(conn, made, "ana", True)  # ana: "lead offered you the shared list …"
    yield Team(contexts[0].pages[0], contexts[1].pages[0], made.id, made.share_key, ids[0])
    for context in contexts:
        context.close()


def _note_changed(team: Team, site: LiveSite) -> str:
    """The page lead's note gets when ana saved hers on the paper meanwhile (409)."""
    page = team.lead
    page.goto(f"{site.url}/c/{team.share_key}")
    entry = page.locator(f'[id="note-{team.paper_id}"]')
    entry.get_by_text("Add a note").click()
    entry.get_by_label(re.compile("^Public note on this paper")).fill("Read on 12 Dec")
    with site.engine.begin() as conn:
        ana = find_user(conn, "ana")
        assert ana is not None
        set_item_note(conn, team.collection_id, team.paper_id, "Read <i>on</i> 5 Dec", ana[0].id)
    entry.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The note changed while you wrote yours"
    )
    return page.content()


def _unseen(site: LiveSite) -> None:
    """Every notice unread again (opening the page marks them read), so each pass shows
    their "New" badges."""
    with site.engine.begin() as conn:
        conn.execute(update(notifications).values(seen=False))


def test_the_team_lists_new_controls_pass_axe_in_light_and_dark_and_at_320_px(
    team: Team, live_site: LiveSite
) -> None:
    url = live_site.url
    mine = f"{url}/library?collection={team.collection_id}"
    addresses = [
        (team.ana, f"{url}/library"),  # "offered to you" beside the list
        (team.ana, mine),  # Take over “…”? Accept, Decline
        (team.ana, f"{url}/notifications"),  # lead offered you the shared list …
        (team.lead, mine),  # Offered to ana … Withdraw the offer
        (team.lead, f"{url}/notifications"),  # took over, added 3 papers, A deleted account
        (team.lead, f"{url}/settings/profile"),  # Tell me when editors put papers …
    ]
    changed = _note_changed(team, live_site)
    found: list[str] = []
    for scheme, width in (("light", 1280), ("dark", 320), ("dark", 1280), ("light", 320)):
        for page in (team.ana, team.lead):
            page.set_viewport_size({"width": width, "height": 800})
            page.emulate_media(color_scheme=cast(Any, scheme))
        for page, address in addresses:
            _unseen(live_site)
            page.goto(address)
            found += checked(page, f"{scheme} {width} {address}", width)
        team.lead.goto(f"{url}/c/{team.share_key}")
        team.lead.set_content(changed)
        found += checked(team.lead, f"{scheme} {width} note changed", width)
    assert found == []
    # what was checked was there
    team.ana.goto(mine)
    expect(team.ana.get_by_role("region", name=f"Take over “{NAME}”?")).to_be_visible()
    team.lead.goto(f"{url}/notifications")
    told = team.lead.locator("article.notice-list")
    for said in ("ana took over", "ana added 3 papers", "A deleted account added 1 paper"):
        expect(told.filter(has_text=said)).to_have_count(1)


def _focused(page: Page) -> tuple[str, bool]:
    """The focused control's name and whether a focus ring or shadow shows round it."""
    name, shown = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        return [e.getAttribute('aria-label') || e.id || e.textContent.trim(),
                ring || s.boxShadow !== 'none']; }"""
    )
    return str(name), bool(shown)


def _tab_to(page: Page, name: str, back: bool = False) -> list[tuple[str, bool]]:
    """Press Tab (Shift+Tab) until `name` has the focus: each stop on the way."""
    stops: list[tuple[str, bool]] = []
    while not stops or stops[-1][0] != name:
        assert len(stops) < 60, stops
        page.keyboard.press("Shift+Tab" if back else "Tab")
        stops.append(_focused(page))
    return stops


def test_the_editor_takes_the_list_over_from_the_notice_by_keyboard_alone(
    team: Team, live_site: LiveSite
) -> None:
    """From the notifications page Tab reaches "Accept or decline the offer of …", Enter opens the
    question, and the next Tab is its Accept, then Decline, each with its focus ring."""
    page = team.ana
    page.goto(f"{live_site.url}/notifications")
    stops = _tab_to(page, f"Accept or decline the offer of “{NAME}”")
    assert all(shown for _, shown in stops), stops
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"collection={team.collection_id}#offer$"))
    page.keyboard.press("Tab")
    assert _focused(page) == ("Accept", True)
    page.keyboard.press("Tab")
    assert _focused(page) == ("Decline", True)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("[data-said]")).to_have_text(f"“{NAME}” is yours now.")


def test_the_offered_mark_leads_to_the_question_by_keyboard_alone(
    team: Team, live_site: LiveSite
) -> None:
    """In the library's list of collections "offered to you" follows the list's name; Enter
    on it and the next Tab is Accept."""
    page = team.ana
    page.goto(f"{live_site.url}/library")
    page.locator("aside").get_by_role("link", name="All saved papers").focus()
    stops = _tab_to(page, "offered to you")
    assert stops[-2:] == [(NAME, True), ("offered to you", True)], stops
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#offer$"))
    page.keyboard.press("Tab")
    assert _focused(page) == ("Accept", True)


def test_the_owner_withdraws_the_offer_by_keyboard_alone(team: Team, live_site: LiveSite) -> None:
    """After Add editor the next Tab is "Withdraw the offer", with its focus ring."""
    page = team.lead
    page.goto(f"{live_site.url}/library?collection={team.collection_id}")
    expect(page.locator("#offer-pending")).to_have_text(
        "Offered to ana: it stays yours until they accept it."
    )
    page.get_by_role("button", name="Add editor").focus()
    page.keyboard.press("Tab")
    assert _focused(page) == ("Withdraw the offer", True)
    page.keyboard.press("Enter")
    expect(page.locator("[data-said]")).to_be_visible()
    expect(page.locator("#offer-pending")).to_have_count(0)


def test_the_owners_notices_by_keyboard_alone(team: Team, live_site: LiveSite) -> None:
    """The owner's team-list notices' links are reached by Tab, each with its focus ring; the
    deleted account's notice names nobody to follow."""
    page = team.lead
    page.goto(f"{live_site.url}/notifications")
    told = page.locator("article.notice-list")
    gone = told.filter(has_text="A deleted account added 1 paper")
    expect(gone.get_by_role("link")).to_have_count(1)  # the list, not the account
    stops = _tab_to(page, "“Old list”")
    names = [name for name, _ in stops]
    assert names.count("ana") == 2 and names.count(f"“{NAME}”") == 2, stops
    assert all(shown for _, shown in stops), stops


def test_the_profiles_switch_by_keyboard_alone(team: Team, live_site: LiveSite) -> None:
    """Tab reaches "Tell me when editors put papers …" after the replies switch, with its
    focus ring; Space turns it off, and Save profile keeps that."""
    page = team.lead
    page.goto(f"{live_site.url}/settings/profile")
    switch = page.get_by_role("checkbox", name=re.compile("^Tell me when editors put papers"))
    expect(switch).to_be_checked()
    page.get_by_role("checkbox", name=re.compile("^Tell me when someone replies")).focus()
    page.keyboard.press("Tab")
    assert _focused(page) == ("notify_lists", True)
    page.keyboard.press("Space")
    expect(switch).not_to_be_checked()
    stops = _tab_to(page, "Save profile")
    assert all(shown for _, shown in stops), stops
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/users/lead$"))
    page.goto(f"{live_site.url}/settings/profile")
    expect(switch).not_to_be_checked()


def test_the_changed_note_page_by_keyboard_alone(team: Team, live_site: LiveSite) -> None:
    """On the page of a note changed meanwhile, Tab from the writer's text reaches "Save mine
    over theirs" and "Go back, keeping theirs", each with its focus ring; Enter on Save keeps
    the writer's note, the other's shown as text."""
    page = team.lead
    _note_changed(team, live_site)
    expect(page.get_by_role("alert")).to_contain_text("changed this note while you")
    expect(page.locator(".list-note i")).to_have_count(0)
    page.get_by_label("Your note (not saved)").focus()
    assert _tab_to(page, "Go back, keeping theirs") == [
        ("Save mine over theirs", True),
        ("Go back, keeping theirs", True),
    ]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("[data-said]")).to_have_text("Note saved.")
    expect(page.locator(f'[id="note-{team.paper_id}"] .list-note')).to_contain_text(
        "Read on 12 Dec"
    )
