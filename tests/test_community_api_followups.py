"""Community and API follow-ups: profiles without papers a moderator hid, reactions under the
site's rate limit, `sort=new` on the daily API, the library API paged, counts that link. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import add_submission, create_user, find_user, set_admin, set_vote
from paperfeed.store.community import add_claim, add_comment, decide_claim, save_profile
from paperfeed.store.listings import set_flags
from paperfeed.store.papers import get_paper
from paperfeed.store.reactions import reactions_on
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, post_form, sign_up

_MARK = "hidden by a moderator"
PASSWORD = "correct horse battery"  # sign_up's


def _section(page: str, heading: str) -> str:
    """The HTML between a profile's heading and the next one."""
    found = re.search(rf"<h2[^>]*>{heading}</h2>(.*?)(?=<h2|$)", page, re.S)
    assert found, heading
    return found[1]


def _poster(site: Settings, engine: Engine) -> tuple[str, str]:
    """'ada' submitted, upvoted (publicly) and claimed two papers; a moderator hid one.
    Returns (the hidden paper's id, the shown one's)."""
    hidden, shown = sorted(on_day(engine, DAYS[1]))[:2]
    with client(site, engine) as c:
        sign_up(c, "ada")
    with engine.begin() as conn:
        found = find_user(conn, "ada")
        assert found is not None
        uid = int(found[0].id)
        save_profile(conn, uid, public_upvotes=True)
        for pid in (hidden, shown):
            add_submission(conn, pid, uid, DAYS[1])
            assert set_vote(conn, uid, pid, True)
            paper = get_paper(conn, pid)
            assert paper is not None
            decide_claim(conn, add_claim(conn, uid, pid, paper.authors[0]), True, "")
        assert set_flags(conn, hidden, hidden=True, featured=False)
    return hidden, shown


def test_a_profile_lists_no_paper_a_moderator_hid_but_to_moderators_and_its_owner(
    site: Settings, engine: Engine
) -> None:
    hidden, shown = _poster(site, engine)
    with client(site, engine) as c:
        page = c.get("/users/ada").text  # a visitor
        for heading in ("Submissions", "Upvoted", "Papers they authored"):
            part = _section(page, heading)
            assert f"/papers/{shown}" in part and f"/papers/{hidden}" not in part, heading
        assert _MARK not in page
        assert c.get("/api/users/ada").json()["claimedPapers"] == [shown]

        sign_up(c, "root")  # a moderator sees it, marked
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        page = c.get("/users/ada").text
        for heading in ("Submissions", "Upvoted", "Papers they authored"):
            part = _section(page, heading)
            assert f"/papers/{hidden}" in part and part.count(_MARK) == 1, heading

        c.cookies.clear()
        sign_up(c, "bob")  # another reader does not
        assert f"/papers/{hidden}" not in c.get("/users/ada").text

        c.cookies.clear()
        assert post_form(c, "/signin", {"username": "ada", "password": PASSWORD}).status_code == 303
        part = _section(c.get("/users/ada").text, "Submissions")  # the owner sees why it left
        assert f"/papers/{hidden}" in part and part.count(_MARK) == 1


def test_reactions_are_rate_limited_per_account_with_retry_after(
    site: Settings, engine: Engine
) -> None:
    """A script toggling a reaction meets the account's limit a minute: 429, Retry-After and a
    message saying the limit, on the API and on the page's form; another account is not held."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with engine.begin() as conn:
        writer = int(create_user(conn, "writer", "!").id)
        cid = int(add_comment(conn, pid, writer, "A fair point.", None))
    limited = site.model_copy(update={"reaction_rate_limit": 3})
    with client(limited, engine) as c:
        auth = bearer(c, "scripted")
        for i in range(3):
            verb = c.put if i % 2 == 0 else c.delete
            assert verb(f"/api/comments/{cid}/reactions/tada", headers=auth).status_code == 200
        refused = c.put(f"/api/comments/{cid}/reactions/tada", headers=auth)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"].startswith("at most 3 reactions a minute; try again in")
        with engine.connect() as conn:  # the refused one changed nothing
            assert reactions_on(conn, [cid], None)[cid][0].count == 1

        c.cookies.clear()
        sign_up(c, "reader")  # a person's own allowance; the page's script gets JSON
        token = csrf_token(c, "/")
        for i in range(4):
            answer = c.post(
                f"/comments/{cid}/react",
                data={"emoji": "heart", "on": str(1 - i % 2), "csrf_token": token},
                headers={"Accept": "application/json"},
            )
            assert answer.status_code == (429 if i == 3 else 200), answer.text
        assert answer.headers["Retry-After"].isdigit()
        assert answer.json()["detail"].startswith("at most 3 reactions a minute")
        page = post_form(c, f"/comments/{cid}/react", {"emoji": "heart", "on": "1"})
        assert page.status_code == 429 and "at most 3 reactions a minute" in page.text
        schema = c.get("/openapi.json").json()["paths"]
        assert "429" in schema["/api/comments/{comment_id}/reactions/{emoji}"]["put"]["responses"]


def test_the_daily_api_sorts_newest_first_on_a_day_and_a_week(
    site: Settings, engine: Engine
) -> None:
    """`sort=new`, as the day pages' ?sort=new: the latest day first, each day's newest arXiv
    ids first; an unknown sort is a 422 naming the sorts there are."""
    newest_first = [pid for day in reversed(DAYS) for pid in sorted(on_day(engine, day))[::-1]]
    week = DAYS[0].isocalendar()
    with client(site, engine) as c:
        by_day = c.get("/api/daily_papers", params={"date": DAYS[1].isoformat(), "sort": "new"})
        assert by_day.status_code == 200, by_day.text
        assert [i["paper"]["id"] for i in by_day.json()] == sorted(on_day(engine, DAYS[1]))[::-1]
        query = {"week": f"{week.year}-W{week.week:02d}", "sort": "new", "limit": "100"}
        by_week = c.get("/api/daily_papers", params=query).json()
        assert [i["paper"]["id"] for i in by_week] == newest_first
        voted = c.get("/api/daily_papers", params=query | {"sort": "publishedAt"}).json()
        assert [i["paper"]["id"] for i in voted] != newest_first  # the hostile one, 3 upvotes
        wrong = c.get("/api/daily_papers", params={"sort": "newest"})
        assert wrong.status_code == 422
        assert "use one of publishedAt, trending, new, not 'newest'" in wrong.json()["detail"]
        described = c.get("/openapi.json").json()["paths"]["/api/daily_papers"]["get"]
        sort = next(p for p in described["parameters"] if p["name"] == "sort")
        assert "new" in sort["schema"]["pattern"] and "?sort=new" in sort["description"]


def test_a_comment_refused_by_the_api_names_its_body(site: Settings, engine: Engine) -> None:
    """The comment's field is `body`: an empty or overlong one is said as `body: …`, not as
    `request: …` (the request's body and the field share the name)."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        auth = bearer(c, "writer")
        empty = c.post(f"/api/papers/{pid}/comments", json={"body": ""}, headers=auth)
        assert empty.status_code == 422
        assert empty.json()["detail"] == "body: String should have at least 1 character"
        made = c.post(f"/api/papers/{pid}/comments", json={"body": "A fine paper."}, headers=auth)
        assert made.status_code in (200, 201), made.text
        long = c.patch(
            f"/api/comments/{made.json()['id']}", json={"body": "x" * 20_001}, headers=auth
        )
        assert long.status_code == 422
        assert long.json()["detail"].startswith("body: String should have at most")
        stray = c.post(f"/api/papers/{pid}/comments", json={"body": "x", "bdy": 1}, headers=auth)
        assert stray.status_code == 422 and stray.json()["detail"].startswith("bdy: ")
