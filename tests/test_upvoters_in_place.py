"""The in-place upvote's JSON answer carries the paper page's new "Upvoted by …" line, escaped
(SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.community import save_profile
from tests.web_support import HOSTILE_ID, client, csrf_token, post_form, sign_up

JSON = {"Accept": "application/json"}


def _vote(c: TestClient, up: bool) -> dict[str, object]:
    form = {"csrf_token": csrf_token(c, "/"), "up": "1" if up else "0", "next": "/"}
    answer = c.post(f"/papers/{HOSTILE_ID}/upvote", data=form, headers=JSON)
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


def test_a_public_readers_upvote_answers_the_new_line(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "liner")
        assert post_form(c, "/account/upvotes", {"public": "1"}).status_code == 303
        with engine.begin() as conn:
            uid = conn.scalar(select(users.c.id).where(users.c.username == "liner"))
            save_profile(conn, uid, display_name="Eve <img src=x onerror=alert(1)>")
        up = _vote(c, True)
        down = _vote(c, False)
    line = str(up["upvotersHtml"])
    assert line.startswith(
        '<p class="upvoters muted" id="upvoters">Upvoted by <a href="/users/liner">'
    )
    assert "<bdi>Eve &lt;img src=x onerror=alert(1)&gt;</bdi>" in line  # inert
    assert "<img src=x" not in line
    assert line.rstrip().endswith("and 3 others</p>")
    assert down["upvotersHtml"] == ""  # the line goes with the only name on it


def test_a_private_readers_upvote_on_an_unnamed_paper_answers_no_line(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "quietliner")
        up = _vote(c, True)
    assert "upvotersHtml" not in up  # nothing to show before or after
