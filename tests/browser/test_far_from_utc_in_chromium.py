"""Readers in Tokyo and California, and titles in Arabic, in Chromium set to their time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from paperfeed.models import Paper
from paperfeed.store import upsert_papers
from paperfeed.store.community import comments
from tests.browser.conftest import LiveSite, sign_up
from tests.web_support import HOSTILE_ID

pytestmark = pytest.mark.browser

ARABIC_ID = "2606.99990"
ARABIC_TITLE = "ما هو التعلم العميق؟"


def _local(at: datetime, zone: str) -> str:
    """How the page should write a UTC moment for a reader in `zone` ("2026-12-06 08:30 GMT+9")."""
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    hours = (local.utcoffset() or timedelta()) // timedelta(hours=1)
    # Intl's English names the US zones (PST, PDT) and writes others as offsets (GMT+9).
    shown = local.tzname() if zone.startswith("America/") else f"GMT{hours:+d}"
    return f"{local:%Y-%m-%d %H:%M} {shown}"


def test_comment_times_read_in_each_readers_own_time_zone(
    browser: Browser, live_site: LiveSite
) -> None:
    """A researcher in Tokyo comments and sees the time on her own clock, not UTC; a reader in
    California sees the same comment on his (Pacific time), on the paper and on /discussions."""
    tokyo = browser.new_context(timezone_id="Asia/Tokyo", locale="ja-JP")
    page = tokyo.new_page()
    sign_up(page, live_site.url, "tokyo1")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}#discussion")
    page.locator("#comment-body").fill("面白い論文です。")
    page.get_by_role("button", name="Post comment").click()
    with live_site.engine.connect() as conn:
        cid, at = conn.execute(select(comments.c.id, comments.c.created_at)).one()
    stamp = page.locator(f"#c{cid} time")
    expect(stamp).to_have_text(_local(at, "Asia/Tokyo"))
    expect(stamp).to_have_attribute("title", f"{at:%Y-%m-%d %H:%M} UTC")
    tokyo.close()
    california = browser.new_context(timezone_id="America/Los_Angeles", locale="en-US")
    reader = california.new_page()
    for path in (f"/papers/{HOSTILE_ID}", "/discussions"):
        reader.goto(live_site.url + path)
        expect(reader.locator(f"#c{cid} time")).to_have_text(_local(at, "America/Los_Angeles"))
    california.close()


def test_without_javascript_a_comment_time_says_it_is_utc(
    browser: Browser, live_site: LiveSite
) -> None:
    """Without JavaScript the time stays written in UTC, and says so."""
    page = browser.new_page()
    sign_up(page, live_site.url, "utc1")
    page.goto(f"{live_site.url}/papers/{HOSTILE_ID}#discussion")
    page.locator("#comment-body").fill("Plain text.")
    page.get_by_role("button", name="Post comment").click()
    with live_site.engine.connect() as conn:
        cid, at = conn.execute(select(comments.c.id, comments.c.created_at)).one()
    context = browser.new_context(java_script_enabled=False, timezone_id="Asia/Tokyo")
    plain = context.new_page()
    plain.goto(f"{live_site.url}/papers/{HOSTILE_ID}")
    expect(plain.locator(f"#c{cid} time")).to_have_text(f"{at:%Y-%m-%d %H:%M} UTC")
    context.close()


def _first_letters_at_right(page: Page, selector: str) -> tuple[float, float]:
    """Where the element's first letters end on the right, and where the element ends."""
    found: list[float] = page.evaluate(
        """(el) => { const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        let t = walker.nextNode(); while (t && !t.textContent.trim()) t = walker.nextNode();
        const r = document.createRange(); r.setStart(t, 0); r.setEnd(t, 2);
        return [r.getBoundingClientRect().right, el.getBoundingClientRect().right]; }""",
        page.locator(selector).element_handle(),
    )
    return found[0], found[1]


def test_an_arabic_title_reads_right_to_left_on_its_card_and_page(
    page: Page, live_site: LiveSite
) -> None:
    """A paper titled in Arabic reads right to left (its first words at the right, its "؟" at
    its end, the left) on the day's card and on its page; an English title stays left to right."""
    day = date(2026, 6, 25)
    paper = Paper(
        id=ARABIC_ID,
        title=ARABIC_TITLE,
        abstract="نقدم في هذه الورقة طريقة جديدة للتعلم العميق، ونقارنها بالطرق السابقة.",
        authors=("محمد علي", "שרה כהן"),
        categories=("cs.LG",),
        version=1,
        source="test",
        listing_date=day,
    )
    with live_site.engine.begin() as conn:
        upsert_papers(conn, [paper])
    page.goto(f"{live_site.url}/papers/{ARABIC_ID}")
    for selector in (".paper > h1", ".abstract > p"):
        first, right = _first_letters_at_right(page, selector)
        assert right - 2 <= first <= right + 1, (selector, first, right)
    page.goto(f"{live_site.url}/papers/date/{day.isoformat()}?page=1")
    cards = page.locator(f'.card[data-id="{ARABIC_ID}"]')
    if not cards.count():  # the day's cards are paged: its place on a later page
        page.goto(f"{live_site.url}/search?q=التعلم")
    first, right = _first_letters_at_right(page, f'.card[data-id="{ARABIC_ID}"] h3')
    assert right - 2 <= first <= right + 1, (first, right)
    # An English title beside it still starts at the left.
    english = page.locator(f'.card:not([data-id="{ARABIC_ID}"]) h3').first
    box, words = page.evaluate(
        """(el) => { const r = document.createRange(); const t = el.querySelector('a').firstChild;
        r.setStart(t, 0); r.setEnd(t, 1);
        return [el.getBoundingClientRect().left, r.getBoundingClientRect().left]; }""",
        english.element_handle(),
    )
    assert abs(words - box) <= 2, (words, box)
