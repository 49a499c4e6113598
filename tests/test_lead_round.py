"""Defects found by the lead this round, each with the check that failed before its fix."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, client

_REL_RE = re.compile(r'<a rel="(prev|next)" href="([^"]+)"')


def test_a_day_page_names_one_prev_and_one_next_neighbour(site: Settings, engine: Engine) -> None:
    """Page 2 of a middle day had two rel="prev" links (the pager's and the day before's)."""
    middle = f"/papers/date/{DAYS[1].isoformat()}"
    with client(site, engine) as c:
        first = _REL_RE.findall(c.get(middle).text)
        second = _REL_RE.findall(c.get(f"{middle}?page=2").text)
    rels_first = [rel for rel, _ in first]
    rels_second = [rel for rel, _ in second]
    # Page 1: the day before is "prev", the pager's next page is "next" (not the next day too).
    assert rels_first.count("prev") == 1 and rels_first.count("next") == 1, first
    assert dict(first)["prev"].startswith(f"/papers/date/{DAYS[0].isoformat()}")
    assert "page=2" in dict(first)["next"]
    # Last page: the pager's previous page is "prev", the next day is "next".
    assert rels_second.count("prev") == 1 and rels_second.count("next") == 1, second
    assert dict(second)["prev"].startswith(middle)
    assert dict(second)["next"].startswith(f"/papers/date/{DAYS[2].isoformat()}")
