"""This round's new controls for keyboard, screen-reader and phone users, in Chromium: the day's
Category select, venue badges and the paper page's Venue line, the import report's ratings, a
collection's hand-over form and its question without JS, the warning on /account/delete, the
paper page's "In …" line naming shared collections and a digest's "…and N more" line: axe-core
in light and dark, at 1280 and 320 px; keyboard alone; the badge's tooltip without a mouse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func, select

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.more import listing_path
from paperfeed.digest.render import Links, render_digest
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import find_user
from paperfeed.store.collection_editors import add_editor, put_in
from paperfeed.store.library import ensure_collection
from paperfeed.store.tables import papers
from paperfeed.web.periods import day_period
from tests.browser.a11y_support import RULES, checked
from tests.browser.conftest import LiveSite, sign_up

pytestmark = pytest.mark.browser
ACCEPTED = "2606.30777"  # its real arXiv comment: "Accepted to ECCV 2026"
# A journal reference naming no venue, and a comment naming one (as PMLR papers have them).
PMLR = Paper(
    id="2608.00001",
    title="A paper in the proceedings",
    abstract="Its venue is in its comment; its journal reference names the series.",
    authors=("Ada Lovelace",),
    categories=("cs.LG",),
    version=1,
    comments="12 pages. Accepted at ICML 2026",
    journal_ref="Proceedings of Machine Learning Research 267 (2026)",
    source="test",
    listing_date=date(2026, 8, 14),
)
PMLR_DAY = "/papers/date/2026-08-14"


def _wider_than(page: Page, width: int, where: str) -> list[str]:
    wide = int(page.evaluate("document.documentElement.scrollWidth"))
    return [f"{where}: {wide} px wide on a {width} px screen"] if wide > width else []


def _biggest_day(site: LiveSite) -> str:
    """The address of the day with the most papers (the one a Category filter is for)."""
    day = papers.c.listing_date
    with site.engine.connect() as conn:
        n = func.count()
        top = conn.execute(select(day, n).group_by(day).order_by(n.desc()).limit(1)).one()[0]
    return str(day_period(date.fromisoformat(str(top))).path)


@dataclass
class Team:
    """A lead owning "Team list", which ana edits (she put a paper in it), each signed in."""

    lead: Page
    ana: Page
    collection_id: int


@pytest.fixture
def team(browser: Browser, live_site: LiveSite) -> Iterator[Team]:
    contexts: list[BrowserContext] = []
    for name in ("lead", "ana"):
        contexts.append(browser.new_context())
        sign_up(contexts[-1].new_page(), live_site.url, name)
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [PMLR])
        lead, ana = (find_user(conn, name) for name in ("lead", "ana"))
        assert lead is not None and ana is not None
        made = ensure_collection(conn, lead[0].id, "Team list")
        add_editor(conn, made, "ana")
        put_in(conn, ana[0].id, made, ACCEPTED)
    yield Team(contexts[0].pages[0], contexts[1].pages[0], made.id)
    for context in contexts:
        context.close()


def _import_report(page: Page, site: LiveSite, folder: Path) -> None:
    """Upload a table of ratings on the import page: its report is the page shown."""
    table = folder / "ratings.csv"
    table.write_text(f"id,rating\n{ACCEPTED},1\n{PMLR.id},-1\n2401.99999,maybe\n")
    page.goto(site.url + "/library/import")
    page.get_by_label("File").set_input_files(str(table))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-report .ratings")).to_be_visible()


def _question(browser: Browser, team: Team, site: LiveSite) -> str:
    """The hand-over question page the server asks a browser without JS (axe needs JS: it
    is checked as the lead's own page shows it)."""
    state = team.lead.context.storage_state()
    context = browser.new_context(java_script_enabled=False, storage_state=state)
    page = context.new_page()
    page.goto(f"{site.url}/library?collection={team.collection_id}#editors")
    page.get_by_role("form", name="Hand over this collection").locator("button").click()
    expect(page.get_by_role("heading", name="Are you sure?")).to_be_visible()
    html = page.content()
    context.close()
    return html


def test_this_rounds_pages_pass_axe_in_light_and_dark_and_at_320_px(
    browser: Browser, team: Team, live_site: LiveSite, tmp_path: Path
) -> None:
    url = live_site.url
    big = _biggest_day(live_site)
    addresses = [
        (team.ana, url + big),  # the Category select
        (team.ana, url + big + "?category=cs.CV"),  # ... with a choice and "All categories"
        (team.ana, url + PMLR_DAY),  # a venue badge
        (team.ana, f"{url}/papers/{ACCEPTED}"),  # Venue, and "In Team list (shared by lead)"
        (team.lead, f"{url}/library?collection={team.collection_id}"),  # Editors, Hand over
        (team.lead, f"{url}/account/delete"),  # the warning naming Team list
    ]
    _import_report(team.ana, live_site, tmp_path)
    report = team.ana.content()
    asked = _question(browser, team, live_site)
    found: list[str] = []
    for scheme, width in (("light", 1280), ("dark", 320)):  # each scheme's colours, a phone
        for page in (team.ana, team.lead):
            page.set_viewport_size({"width": width, "height": 800})
            page.emulate_media(color_scheme=cast(Any, scheme))
        for page, address in addresses:
            page.goto(address)
            found += checked(page, f"{scheme} {width} {address}", width)
        team.ana.goto(url + "/library/import")
        team.ana.set_content(report)  # the report, without uploading again
        found += checked(team.ana, f"{scheme} {width} import report", width)
        team.lead.goto(f"{url}/library")
        team.lead.set_content(asked)
        found += checked(team.lead, f"{scheme} {width} hand-over question", width)
    assert found == []
    team.ana.goto(url + PMLR_DAY)
    expect(team.ana.locator(".badge.venue")).to_have_text("ICML 2026")  # it was checked
    team.lead.goto(f"{url}/account/delete")
    expect(team.lead.get_by_role("note")).to_contain_text("Team list")


def test_a_digests_more_line_passes_axe_in_light_and_dark_on_a_narrow_phone(
    browser: Browser,
) -> None:
    settings = Settings(secret_key="r" * 32, base_url="https://p.example/", _env_file=None)
    sub = Subscriber(3, "r@example.org", "confirmed", "n", Preferences())
    items = tuple(
        DigestItem(f"2606.{i}", f"Paper {i}", ("A",), "cs.CV", "s", "new in cs.CV", 1.0)
        for i in range(2)
    )
    day = date(2026, 6, 30)
    digest = Digest(sub, "daily:x", items, 1234, listing_path((day, day), ["cs.CV"]))
    links = Links(settings.public_url, "k", sub.id, sub.nonce)
    mail = render_digest(settings, links, digest, datetime(2026, 7, 1, 9, tzinfo=UTC))
    body = mail.parsed().get_body(("html",))
    assert body is not None
    html = str(body.get_content())
    found: list[str] = []
    for scheme in ("light", "dark"):
        phone = browser.new_context(viewport={"width": 320, "height": 640}, color_scheme=scheme)
        page = phone.new_page()
        page.set_content(html)
        expect(page.get_by_role("link", name=re.compile("^…and 1,234 more papers"))).to_be_visible()
        response: dict[str, Any] = Axe().run(page, options=RULES).response
        found += [
            f"{scheme}: {v['id']} at {n['target']}"
            for v in response["violations"]
            if v["id"] not in {"landmark-one-main", "region", "page-has-heading-one"}
            for n in v["nodes"]
        ]
        wide = int(page.evaluate("document.documentElement.scrollWidth"))
        found += [f"{scheme}: {wide} px wide"] if wide > 320 else []
        phone.close()
    assert found == []


def _focused(page: Page) -> tuple[str, bool]:
    """The focused control's name and whether a focus ring or shadow shows round it."""
    name, shown = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        return [e.getAttribute('aria-label') || e.name || e.textContent.trim(),
                ring || s.boxShadow !== 'none']; }"""
    )
    return str(name), bool(shown)


def _tab(page: Page, times: int) -> list[tuple[str, bool]]:
    stops = []
    for _ in range(times):
        page.keyboard.press("Tab")
        stops.append(_focused(page))
    return stops


def test_the_category_select_by_keyboard_alone(page: Page, live_site: LiveSite) -> None:
    """After the sort links come the Category select and Show, each with its focus ring; a
    category typed on the select and Enter on Show filter the day; then "All categories"."""
    big = _biggest_day(live_site)
    page.goto(live_site.url + big)
    page.locator(".sort-by").get_by_role("link", name="newest").focus()
    assert _tab(page, 1) == [("category", True)]
    page.keyboard.type("cs.CV")
    assert _tab(page, 1) == [("Show", True)]
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(big) + r"\?category=cs\.CV$"))
    page.locator(".sort-by").get_by_role("link", name="newest").focus()
    assert _tab(page, 3) == [("category", True), ("Show", True), ("All categories", True)]
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_site.url + big)


def test_the_hand_over_and_its_question_by_keyboard_alone_without_js(
    browser: Browser, team: Team, live_site: LiveSite
) -> None:
    """New owner, Stay one of its editors and the form's button follow Add editor, each with
    its focus ring; Space unticks Stay, Enter sends it; the server's question (no JS) is
    reached by Tab past the site's header, shows its focus, and Enter answers it."""
    state = team.lead.context.storage_state()
    page = browser.new_context(java_script_enabled=False, storage_state=state).new_page()
    page.goto(f"{live_site.url}/library?collection={team.collection_id}#editors")
    form = page.get_by_role("form", name="Hand over this collection")
    send = form.locator("button[type=submit]").inner_text()
    page.get_by_role("button", name="Add editor").focus()
    assert _tab(page, 3) == [("username", True), ("stay", True), (send, True)]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    expect(form.get_by_label("Stay one of its editors")).not_to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Are you sure?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("“Team list”")
    answer = page.get_by_role("main").locator("form button[type=submit]").inner_text()
    stops = _tab(page, 1)
    while stops[-1][0] != answer and len(stops) < 30:
        stops += _tab(page, 1)
    assert stops[-1] == (answer, True) and all(shown for _, shown in stops), stops
    page.keyboard.press("Enter")
    expect(page.locator("[data-said]")).to_contain_text("ana")
    page.context.close()


def test_a_venue_badge_says_where_it_comes_from_to_screen_readers_and_touch_users(
    browser: Browser, live_site: LiveSite
) -> None:
    """The badge's source ("Accepted at ICML 2026") was only its title, which a screen reader
    in reading mode skips and a phone never shows; and it quoted the journal reference even
    where the venue came from the comment. The badge now says the sentence it was read from,
    to screen readers too, and a tap on it opens the paper's facts (Venue, Comments)."""
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [PMLR])
    phone = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True)
    page = phone.new_page()
    page.goto(live_site.url + PMLR_DAY)
    card = page.locator(f'article.card[data-id="{PMLR.id}"]')
    expect(card.locator(".badge.venue")).to_have_attribute("title", "Accepted at ICML 2026")
    said = card.get_by_role("link", name="ICML 2026 (Accepted at ICML 2026)", exact=True)
    said.tap()
    expect(page).to_have_url(re.compile(re.escape(f"/papers/{PMLR.id}#facts") + "$"))
    for fact in ("ICML 2026", "12 pages. Accepted at ICML 2026"):
        expect(page.locator("dl.facts dd", has_text=fact).first).to_be_in_viewport()
    page.goto(live_site.url + PMLR_DAY)
    card.locator("p.authors a").last.focus()  # the links before it: title, then authors
    page.keyboard.press("Tab")
    assert _focused(page) == ("ICML 2026 (Accepted at ICML 2026)", True)
    phone.close()
