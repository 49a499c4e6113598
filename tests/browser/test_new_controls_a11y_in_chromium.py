"""This morning's new controls for keyboard, screen-reader and phone users, in Chromium: the
'Go to day' calendar and 'Sort: most upvoted · newest' on the day, week and month pages, and
comment times shown in the reader's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select

from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment, comments
from paperfeed.store.tables import papers
from paperfeed.web.periods import day_period, month_period, week_period
from tests.browser.a11y_support import violations
from tests.browser.conftest import LiveSite
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser
# WCAG 2.2 AA (tap targets among them) and Deque's best practices, not only the default set.
# The header's controls, each a box that must neither leave the screen nor cover another.
HEADER_CONTROLS = ".hero h1, .hero .sub, .days > a, .views a, .pick-day > *, .sort-by a"


def _listing_days(site: LiveSite) -> list[date]:
    with site.engine.connect() as conn:
        listed = conn.scalars(select(func.distinct(papers.c.listing_date))).all()
    return sorted(date.fromisoformat(str(d)) for d in listed if d is not None)


def _periods(site: LiveSite) -> list[str]:
    """A day with both neighbours, its week and month, and the day sorted newest first."""
    day = _listing_days(site)[-2]
    path = day_period(day).path
    return [path, week_period(day).path, month_period(day).path, path + "?sort=new"]


def _focus_stops(page: Page, until: Locator) -> list[tuple[str, bool]]:
    """Tab from where the focus is to `until`: each control once, and whether its focus shows."""
    stops: list[tuple[str, bool]] = []
    for _ in range(30):
        page.keyboard.press("Tab")
        name, shown = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
            const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            return [e.id || e.textContent.trim(), ring || s.boxShadow !== 'none']; }"""
        )
        if not stops or stops[-1][0] != name:  # the date's fields (month, day, year) are one
            stops.append((name, shown))
        if until.evaluate("e => e === document.activeElement"):
            return stops
    raise AssertionError(f"the focus never reached {until}: {stops}")


def _frame(link: Locator) -> str:
    """What draws round a link (with forced colours a background is the page's own colour)."""
    return str(
        link.evaluate(
            "a => { const s = getComputedStyle(a);"
            " return [s.borderTopStyle, s.borderBottomStyle, s.outlineStyle].join(' / '); }"
        )
    )


def test_the_new_controls_pass_axe_light_and_dark(page: Page, live_site: LiveSite) -> None:
    """Day, week, month and sorted pages with the calendar and the sort, in both schemes."""
    found: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=cast(Any, scheme))
        for path in _periods(live_site):
            page.goto(live_site.url + path)
            expect(page.get_by_label("Go to day")).to_be_visible()
            found += violations(page, f"{scheme} {path}")
    assert found == []


def test_the_sort_and_calendar_by_keyboard_and_screen_reader(
    browser: Browser, live_site: LiveSite
) -> None:
    """The order shown was a bold word a screen reader read as plain text ('Sort: most
    upvoted · link newest'): nothing said which order was on. It is now a link marked current,
    as Day, Week and Month are; and with forced colours (Windows' contrast themes) the current
    view and order lost their shading and were told apart by a slightly bolder weight only."""
    day = _listing_days(live_site)[-2]
    url = live_site.url + day_period(day).path
    page = browser.new_context(locale="en-US").new_page()  # the date's fields: month, day, year
    page.goto(url)
    dates = page.get_by_role("navigation", name="Dates")
    sort = page.locator(".sort-by")
    dates.get_by_role("link").first.focus()
    stops = _focus_stops(page, sort.get_by_role("link", name="newest"))
    names = [name for name, _ in stops]
    assert names == ["Day", "Week", "Month", names[3], "pick-day", "Go", "most upvoted", "newest"]
    assert names[3].endswith("→"), names  # the next day, before the calendar
    assert [name for name, shown in stops if not shown] == []
    expect(sort.get_by_role("link", name="most upvoted")).to_have_attribute("aria-current", "true")
    expect(sort.get_by_role("link", name="newest")).not_to_have_attribute("aria-current", "true")
    page.keyboard.press("Enter")  # on "newest", reached by Tab alone
    expect(page).to_have_url(url + "?sort=new")
    expect(sort.get_by_role("link", name="newest")).to_have_attribute("aria-current", "true")
    expect(sort.get_by_role("link", name="most upvoted")).not_to_have_attribute("aria-current")
    expect(dates.get_by_role("link", name="Day", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    picker = page.get_by_label("Go to day")  # the calendar's own label names it
    picker.focus()
    earlier = _listing_days(live_site)[-4]
    page.keyboard.type(f"{earlier:%m%d%Y}")  # typed, then Enter: no mouse, no calendar popup
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_site.url + day_period(earlier).path}?sort=new")

    page.goto(url + "?sort=new")
    for scheme in ("light", "dark"):
        page.emulate_media(forced_colors="active", color_scheme=cast(Any, scheme))
        for current, other in (
            (
                dates.get_by_role("link", name="Day", exact=True),
                dates.get_by_role("link", name="Week", exact=True),
            ),
            (sort.get_by_role("link", name="newest"), sort.get_by_role("link", name="most")),
        ):
            assert _frame(current) != _frame(other), (scheme, _frame(current))


@pytest.mark.parametrize("width", [375, 187])  # a phone, and the same phone zoomed to 200 %
def test_the_days_header_fits_a_phone(page: Page, live_site: LiveSite, width: int) -> None:
    """At 200 % zoom on a 375 px phone the calendar (label, date and Go on one line) was wider
    than the screen: every daily page scrolled sideways by 34 px. It now wraps. (The page
    itself is not measured: a card's long inline formula is another matter.) The two orders
    were 19 px tall to tap, Day, Week and Month 23.8 px: all are now at least 24 px."""
    page.set_viewport_size({"width": width, "height": 740})
    for path in _periods(live_site):
        page.goto(live_site.url + path)
        hero = page.locator(".hero")
        overflow = hero.evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, (path, overflow)
        boxes: list[list[Any]] = page.locator(HEADER_CONTROLS).evaluate_all(
            """els => els.map(e => { const r = e.getBoundingClientRect();
            return [e.textContent.trim() || e.id, r.left, r.top, r.right, r.bottom]; })"""
        )
        assert len(boxes) >= 11, boxes
        for name, left, _top, right, _bottom in boxes:
            assert left >= 0 and right <= width, (path, name, left, right)
        covered = [
            (a[0], b[0])
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a[1] < b[3] - 1 and b[1] < a[3] - 1 and a[2] < b[4] - 1 and b[2] < a[4] - 1
        ]
        assert covered == [], (path, covered)
        taps = page.locator(".days a, .pick-day :is(input:not([type=hidden]), button), .sort-by a")
        sizes = taps.evaluate_all(
            """els => els.map(e => { const r = e.getBoundingClientRect();
            return [e.textContent.trim() || e.id, r.width, r.height]; })"""
        )
        assert [s for s in sizes if s[1] < 24 or s[2] < 24] == [], (path, sizes)


def _spoken(at: datetime, zone: str) -> str:
    """A comment's time as a screen reader should say it: '5 December 2026 at 20:20 ...'."""
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    names = {
        "Asia/Tokyo": ("Japan Standard Time", "Japan Standard Time"),
        "America/Los_Angeles": ("Pacific Standard Time", "Pacific Daylight Time"),
    }
    name = names[zone][1 if local.dst() else 0]
    return f"{local.day} {local:%B %Y} at {local:%H:%M} {name}"


def _accessible_name(page: Page, selector: str) -> str:
    """The name Chromium's accessibility tree gives a screen reader for the element."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    cdp.detach()
    return str(tree["nodes"][0]["name"]["value"])


def test_a_comment_time_is_read_in_words(browser: Browser, live_site: LiveSite) -> None:
    """A screen reader read a comment's local time as typed: '2026 dash 12 dash 05 20:20
    G M T plus 9'. It now hears '5 December 2026 at 20:20 Japan Standard Time' (its reader's
    zone by its name), the page still shows '2026-12-05 20:20 GMT+9' and the UTC time as title;
    the paper page with comments passes axe in Tokyo and California. The comments' order
    ('Sort: top · newest') said which was on only in bold; it is marked current too."""
    with live_site.engine.begin() as conn:
        writer = create_user(conn, "writer", "not a usable hash")
        add_comment(conn, HOSTILE_ID, writer.id, "Worth reading.", None)
        cid, at = conn.execute(select(comments.c.id, comments.c.created_at)).one()
    found: list[str] = []
    for zone in ("Asia/Tokyo", "America/Los_Angeles"):
        context = browser.new_context(timezone_id=zone, locale="en-US")
        page = context.new_page()
        page.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
        stamp = page.locator(f"#c{cid} time")
        expect(stamp).to_have_attribute("aria-label", _spoken(at, zone))
        expect(stamp).to_have_attribute("title", f"{at:%Y-%m-%d %H:%M} UTC")
        assert _accessible_name(page, f"#c{cid} time") == _spoken(at, zone)
        found += violations(page, zone)
        order = page.locator(".discussion .sort-by")
        expect(order.get_by_role("link", name="top")).to_have_attribute("aria-current", "true")
        order.get_by_role("link", name="newest").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{live_site.url}/papers/{HOSTILE_ID}?sort=new#discussion")
        expect(order.get_by_role("link", name="newest")).to_have_attribute("aria-current", "true")
        expect(order.get_by_role("link", name="top")).not_to_have_attribute("aria-current")
        found += violations(page, f"{zone}, newest first")
        context.close()
    assert found == []
