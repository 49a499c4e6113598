"""A suspended account's name leaves the submission credits (cards, paper page, API, Markdown,
the "already submitted" answer) as a deleted account's does, and returns when it is lifted."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import DELETED_NAME, add_submission, set_suspended
from tests.web_support import DAYS, client, post_form, sign_up

DANA = 1  # the first account signed up


def _credits(c: TestClient, pid: str) -> list[str]:
    """Every name the site credits `pid`'s submission to, wherever it shows it."""
    day = c.get(f"/papers/date/{DAYS[0]}").text
    card = re.search(
        rf'<article class="card[^"]*" data-id="{re.escape(pid)}".*?</article>', day, re.S
    )
    assert card is not None, day
    page = c.get(f"/papers/{pid}").text
    api = c.get(f"/api/papers/{pid}").json()
    daily = [
        i for i in c.get(f"/api/daily_papers?date={DAYS[0]}").json() if i["paper"]["id"] == pid
    ]
    md = c.get(f"/papers/{pid}.md").text
    again = post_form(c, "/submit", {"paper": pid})
    assert again.status_code == 409, again.text
    return [
        *re.findall(r"submitted by (?:<a [^>]*>)?(.+?)(?:</a>)?</span>", card.group(0)),
        *re.findall(r'<p class="credit">Submitted by (?:<a [^>]*>)?(.+?)(?:</a>)? on ', page),
        api["submittedOnDailyBy"]["name"],
        daily[0]["paper"]["submittedOnDailyBy"]["name"],
        *re.findall(r"\*\*Submitted by:\*\* (.+)", md),
        *re.findall(r"already submitted by (.+?) on ", again.text),
    ]


def test_a_suspended_submitter_is_not_named(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "dana")
        first = re.search(r'data-id="([^"]+)"', c.get(f"/papers/date/{DAYS[0]}").text)
        assert first is not None
        pid = first.group(1)
        with engine.begin() as conn:
            add_submission(conn, pid, DANA, DAYS[0])
        assert _credits(c, pid) == ["dana"] * 6
        with engine.begin() as conn:
            assert set_suspended(conn, DANA, True)
        with client(site, engine) as reader:
            sign_up(reader, "reader")
            assert _credits(reader, pid) == [DELETED_NAME] * 6
            with engine.begin() as conn:
                assert set_suspended(conn, DANA, False)
            assert _credits(reader, pid) == ["dana"] * 6
