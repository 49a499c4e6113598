"""Defects found by the lead this round, each with the check that failed before its fix."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.web_support import DAYS, client, on_day, sign_up

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


_FORM_RE = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _form(page: str, action_end: str) -> tuple[str, dict[str, str]]:
    """The first form on a page posting to an address ending so, with its hidden fields."""
    for action, inner in _FORM_RE.findall(page):
        if action.endswith(action_end):
            return action, dict(_HIDDEN_RE.findall(inner))
    raise AssertionError(f"no form posting to …{action_end}")


def test_plain_comment_forms_come_back_to_the_newest_first_discussion(
    site: Settings, engine: Engine
) -> None:
    """Without JavaScript, posting, upvoting or editing from `?sort=new` came back sorted by top."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with client(site, engine) as c:
        sign_up(c, "reader")
        newest = c.get(f"/papers/{pid}?sort=new").text
        action, fields = _form(newest, "/comments")
        posted = c.post(action, data=fields | {"body": "A first question."}, follow_redirects=False)
        assert posted.status_code == 303
        assert "sort=new" in posted.headers["location"], posted.headers["location"]
        back = c.get(posted.headers["location"]).text
        assert "<b>newest</b>" in back and "A first question." in back
        for end in ("/vote", "/edit"):
            action, fields = _form(back, end)
            done = c.post(
                action, data=fields | {"body": "An edited question."}, follow_redirects=False
            )
            assert done.status_code == 303 and "sort=new" in done.headers["location"], end
        # From the default order nothing is added.
        top = c.get(f"/papers/{pid}").text
        action, fields = _form(top, "/vote")
        done = c.post(action, data=fields, follow_redirects=False)
        assert done.status_code == 303 and "sort=" not in done.headers["location"]
