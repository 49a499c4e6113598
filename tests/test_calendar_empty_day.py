"""The daily pages' 'Go to day' calendar on a day without papers (a weekend, a holiday, a day
before the store's first), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, client

SATURDAY = date(2026, 6, 27)  # the day after DAYS[-1], a Friday


def test_a_saturday_picked_opens_the_friday_before_saying_so(
    site: Settings, engine: Engine
) -> None:
    """Picking a Saturday showed '0 papers · No papers for Jun 27'; it now opens Friday's
    papers, in the order chosen, with a notice why."""
    assert SATURDAY.weekday() == 5 and DAYS[-1].weekday() == 4
    with client(site, engine) as c:
        moved = c.get(f"/daily?date={SATURDAY}&sort=new", follow_redirects=False)
        page = c.get(moved.headers["location"])
    assert moved.status_code == 302  # the day may get papers later: not a permanent move
    assert moved.headers["location"] == f"/papers/date/{DAYS[-1]}?sort=new&asked={SATURDAY}"
    assert page.status_code == 200
    assert "<h1>Jun 26</h1>" in page.text
    assert "No papers were announced on Saturday, 27 June 2026 (arXiv announces none at" in (
        page.text
    )
    assert 'aria-current="true"><b>newest</b>' in page.text
    assert "0 papers" not in page.text


def test_a_day_before_the_first_opens_the_first(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        moved = c.get("/daily?date=2026-06-20", follow_redirects=False)
        page = c.get(moved.headers["location"])
        listed = c.get(f"/daily?date={DAYS[1]}", follow_redirects=False)
    assert moved.headers["location"] == f"/papers/date/{DAYS[0]}?asked=2026-06-20"
    assert "Nothing is listed on Saturday, 20 June 2026: the papers here begin on" in page.text
    assert listed.status_code == 301  # a day with papers is opened as before, with no notice
    assert listed.headers["location"] == f"/papers/date/{DAYS[1]}"


def test_a_notice_is_shown_only_where_the_calendar_led(site: Settings, engine: Engine) -> None:
    """`asked` is not a place for made-up notices: a day with papers, or one that leads
    elsewhere, shows none; a malformed one is a 400, not a 500."""
    with client(site, engine) as c:
        listed = c.get(f"/papers/date/{DAYS[0]}?asked={DAYS[0]}")
        elsewhere = c.get(f"/papers/date/{DAYS[0]}?asked={SATURDAY}")
        bad = c.get(f"/papers/date/{DAYS[0]}?asked=2026-02-31")
        junk = c.get(f"/papers/date/{DAYS[0]}?asked=<b>x</b>")
    assert listed.status_code == elsewhere.status_code == 200
    assert 'class="notice"' not in listed.text + elsewhere.text
    assert bad.status_code == junk.status_code == 400
    assert "<b>x</b>" not in junk.text
