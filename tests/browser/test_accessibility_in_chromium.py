"""Every page a reader meets, checked by axe-core (Deque's WCAG rules, bundled by
axe-playwright-python) in headless Chromium: signed out and signed in, wide and phone-sized,
light and dark, with the states that add text (a vote, a saved paper, For you's reasons, a
comment)."""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize, expect

from paperfeed.settings import Settings
from paperfeed.store.community import add_claim, decide_claim, find_user_id
from paperfeed.store.library import add_note
from paperfeed.web.render import author_url
from tests.browser.conftest import LiveSite, mail_site, newest_day_path, sign_up
from tests.web_support import HOSTILE, HOSTILE_ID

pytestmark = pytest.mark.browser
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
PUBLIC = (
    "/",
    "/daily?view=week",
    "/trending",
    "/trending/stars",
    "/search?q=graph+neural+networks",
    "/search?q=qwertyuiopasdf",
    "/about",
    "/signin",
    "/signup",
    "/discussions",
    "/collections",
    "/categories/cs.LG",
    "/venues",
    "/no-such-page",
)
SIGNED_IN = (
    "/",
    "/for-you",
    "/for-you?window=all",
    "/for-you/learned",
    "/library",
    "/library/import",
    "/account",
    "/settings/profile",
    "/notifications",
    "/submit",
    "/users/reader",
)


def _violations(page: Page, axe: Axe, path: str) -> list[str]:
    response: dict[str, Any] = axe.run(page).response
    return [
        f"{path}: {v['id']} ({v['impact']}) at {n['target']}: {v['help']}"
        for v in response["violations"]
        for n in v["nodes"]
    ]


def _check(page: Page, url: str, paths: tuple[str, ...]) -> list[str]:
    axe, found = Axe(), []
    for path in paths:
        page.goto(url + path)
        expect(page.locator("main")).to_be_visible()
        found += _violations(page, axe, path)
    return found


def _subscribed(page: Page, url: str, address: str) -> list[str]:
    """The digest's own page (its notice box): subscribe from the home page's form."""
    page.goto(url + "/")
    page.locator("#subscribe-email").fill(address)
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".digest-page")).to_be_visible()
    return _violations(page, Axe(), "subscribed")


def test_pages_pass_axe_signed_out_and_signed_in(page: Page, live_site: LiveSite) -> None:
    url = live_site.url
    day = newest_day_path(live_site.engine)
    paper = f"/papers/{HOSTILE_ID}"
    author = author_url(HOSTILE.authors[0])
    assert author is not None
    page.set_viewport_size(DESKTOP)
    found = _check(page, url, (*PUBLIC, day, paper, author))
    found += _subscribed(page, url, "light@example.org")
    page.emulate_media(color_scheme="dark")
    found += _subscribed(page, url, "dark@example.org")
    page.emulate_media(color_scheme="light")

    sign_up(page, url, "reader")
    page.goto(url + day)
    cards = page.locator("article.card")
    cards.nth(0).get_by_role("button", name="Save").click()
    expect(cards.nth(0).get_by_role("button", name="Saved")).to_be_visible()
    cards_saved = str(cards.nth(0).get_attribute("data-id"))
    cards.nth(1).get_by_role("button", name="More like this").click()
    expect(cards.nth(1).get_by_role("button", name="More like this")).to_have_attribute(
        "aria-pressed", "true"
    )
    cards.nth(2).locator(".vote-btn").click()
    expect(cards.nth(2).locator(".vote-btn.on")).to_be_visible()
    page.goto(url + paper)
    page.locator("#comment-body").fill("A comment with a [link](https://arxiv.org) and $x^2$.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment").first).to_be_visible()
    page.goto(url + "/for-you")
    expect(page.locator(".recommended .why").first).to_be_visible()  # the reasons are checked
    follow = author.replace("/authors/", "/follow/author/", 1)
    # A decided claim (notification and the header's count) and the unsave question page.
    with live_site.engine.begin() as conn:
        reader = find_user_id(conn, "reader")
        assert reader is not None
        claim = add_claim(conn, reader[0], HOSTILE_ID, HOSTILE.authors[0])
        decide_claim(conn, claim, False, "no proof <b>given</b>")
        add_note(conn, reader[0], cards_saved, "n")
    found += _check(page, url, (*SIGNED_IN, day, paper, author, follow))
    page.goto(url + f"/papers/{cards_saved}")
    saved = page.locator('main form.js-toggle[data-field="saved"]').first
    saved.evaluate("form => form.submit()")  # as without JavaScript: the question page
    expect(page.get_by_role("heading", name="Remove from your library?")).to_be_visible()
    found += _violations(page, Axe(), "unsave question")

    page.set_viewport_size(PHONE)
    found += _check(page, url, ("/", "/for-you", "/search?q=diffusion", paper))

    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme="dark")  # the dark palette, when the system asks for it
    assert (
        page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        == "rgb(17, 21, 28)"
    )
    dark = ("/", day, paper, "/search?q=graph+neural+networks", "/for-you", "/library", "/about")
    found += _check(page, url, (*dark, "/library/import", "/signin", "/notifications"))
    assert found == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_digest_pages_pass_axe(
    sqlite_settings: Settings, demo_settings: Settings, page: Page, scheme: str
) -> None:
    """Subscribe, confirm by mail, then the preferences page with its error and saved boxes
    (their colours came from the page's own style block, light only, before the dark theme)."""
    page.emulate_media(color_scheme=cast(Any, scheme))
    axe = Axe()
    with mail_site(sqlite_settings, demo_settings, "a") as site:
        site.subscribe(page, f"{scheme}@example.org")
        found = _violations(page, axe, "confirmed")
        page.click("text=Change what you get")
        page.fill("input[name=timezone]", "Mars/Olympus_Mons")
        page.click("form.digest-prefs button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("unknown time zone")
        found += _violations(page, axe, "preferences, not saved")
        page.fill("input[name=timezone]", "Europe/Berlin")
        page.click("form.digest-prefs button[type=submit]")
        expect(page.get_by_role("status")).to_contain_text("Saved")
        found += _violations(page, axe, "preferences, saved")
    assert found == []


def test_the_first_tab_offers_to_skip_to_the_content(page: Page, live_site: LiveSite) -> None:
    page.goto(live_site.url + f"/papers/{HOSTILE_ID}")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown while focused, off screen otherwise
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the paper, not the header
    inside = page.evaluate("document.activeElement.closest('main') !== null")
    assert inside


def test_phone_and_keyboard_details_a_tester_found(page: Page, live_site: LiveSite) -> None:
    """On a phone /admin and a library with a long collection name scrolled sideways; held
    sideways the sticky header took a third of the screen; the sign-up rule was never said;
    the results page put the keyboard over the results; the main nav marked no section."""
    url = live_site.url
    page.goto(f"{url}/signup")
    rule = page.locator("#username-rule")
    expect(rule).to_contain_text("3 to 32 characters")
    expect(page.get_by_label("User name")).to_have_attribute("aria-describedby", "username-rule")
    sign_up(page, url, "phoneadmin")
    with live_site.engine.begin() as conn:
        from paperfeed.store.accounts import set_admin

        set_admin(conn, "phoneadmin", True)
    long_name = (
        "Papers to read before the NeurIPS 2026 deadline on efficient diffusion transformers"
        " for video"
    )
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/admin", "/library"):
        if path == "/library":
            page.goto(f"{url}/library")
            made = page.locator("form[aria-label='New collection']")
            made.evaluate("f => f.closest('details').open = true")
            made.get_by_label("Name").fill(long_name)
            made.get_by_role("button", name="New collection").click()
            expect(page.locator("main")).to_contain_text(long_name)
        else:
            page.goto(f"{url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(f"{url}/search?q=diffusion")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") != "Query"
    expect(page.locator("nav[aria-label=Main] a[aria-current=page]")).to_have_count(0)
    page.goto(f"{url}/library")
    expect(page.locator("nav[aria-label=Main] a[aria-current=page]")).to_have_text("Library")
    page.set_viewport_size({"width": 740, "height": 375})  # a phone held sideways
    page.goto(f"{url}/papers/{HOSTILE_ID}")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('header.top')).position") == "static"
    )


_TAB_STOPS = """(scope) => [...document.querySelectorAll(scope)].flatMap((root) =>
  [...root.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')])
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => { const r = el.getBoundingClientRect();
                 return [el.textContent.trim() || el.getAttribute('aria-label') || el.name,
                         Math.round(r.top), Math.round(r.left), Math.round(r.bottom)]; })"""


def _out_of_reading_order(stops: list[list[Any]]) -> list[tuple[str, str]]:
    """Consecutive Tab stops where the second is above the first's line, or left of it on
    the same line: where the keyboard jumps against the eye."""
    jumps = []
    for (name_a, top_a, left_a, bottom_a), (name_b, top_b, left_b, bottom_b) in itertools.pairwise(
        stops
    ):
        above = bottom_b <= top_a + 2  # wholly above the first's line
        same_line = top_b < bottom_a - 2 and bottom_b > top_a + 2
        if above or (same_line and left_b < left_a):
            jumps.append((name_a, name_b))
    return jumps


@pytest.mark.parametrize("width", [390, 1280])
def test_tab_goes_through_the_header_and_the_library_as_they_are_seen(
    page: Page, live_site: LiveSite, width: int
) -> None:
    """On a phone the header's account links were shown first but reached last by Tab, and
    the library's sidebar was reached before the papers shown left of (or above) it."""
    page.set_viewport_size({"width": width, "height": 900})
    sign_up(page, live_site.url, f"tabber{width}")
    page.goto(live_site.url + newest_day_path(live_site.engine))
    page.locator("article.card").first.get_by_role("button", name="Save").click()
    expect(page.locator("article.card").first.get_by_role("button", name="Saved")).to_be_visible()
    page.goto(live_site.url + "/library")
    header = page.evaluate(_TAB_STOPS, "header.top")
    assert len(header) >= 8 and _out_of_reading_order(header) == []
    items, aside = (
        page.evaluate(_TAB_STOPS, s) for s in (".library-items", ".library-layout > aside")
    )
    assert items and aside
    everything = page.evaluate(_TAB_STOPS, ".library-layout")
    assert everything == items + aside  # Tab reaches the papers, then the sidebar
    first_aside, last_item = aside[0], items[-1]
    beside = first_aside[2] > max(i[2] for i in items)  # to the right of the papers
    below = first_aside[1] > last_item[1]
    assert beside if width > 760 else below
