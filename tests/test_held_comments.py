"""Link spam in comments waits for a moderator: a comment with more links than
PAPERFEED_COMMENT_HOLD_LINKS, or with any link from a new account, is held (its author and
moderators see it, nobody else, nothing counts or tells of it) until approved or removed from
/admin; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.markup import link_count
from paperfeed.settings import Settings
from paperfeed.store.accounts import bump_revision, set_admin, users
from paperfeed.store.community import comments, get_comment, notified
from paperfeed.store.jobs import recent_actions
from paperfeed.util import utcnow
from tests.web_support import (
    DAYS,
    bearer,
    client,
    csrf_token,
    on_day,
    post_form,
    sign_up,
    web_settings,
)

SPAM = "Cheap pills https://pills.example/a and https://pills.example/b"
FOUR = " ".join(f"https://ok.example/{i}" for i in range(4))


def _age(engine: Engine, name: str, hours: float) -> None:
    """Make an account `hours` old."""
    with engine.begin() as conn:
        made = utcnow() - timedelta(hours=hours)
        conn.execute(update(users).where(users.c.username == name).values(created_at=made))
        bump_revision(conn)


def _post(c: TestClient, pid: str, body: str, parent: int | None = None) -> Any:
    data = {"body": body} | ({"parent": str(parent)} if parent else {})
    return post_form(c, f"/papers/{pid}/comments", data)


def _id(posted: Any) -> int:
    assert posted.status_code == 303, posted.text
    return int(posted.headers["location"].rsplit("#c", 1)[1])


def _held(engine: Engine, cid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(select(comments.c.held).where(comments.c.id == cid)))


def _review(c: TestClient, action: str, *ids: int, confirmed: bool = False) -> Any:
    form: dict[str, Any] = {"csrf_token": csrf_token(c, "/"), "action": action}
    form["ids"] = [str(i) for i in ids]
    if confirmed:
        form["confirmed"] = "1"
    return c.post("/admin/held", data=form, follow_redirects=False)


People = tuple[TestClient, TestClient, TestClient]


@pytest.fixture
def people(site: Settings, engine: Engine) -> Iterator[People]:
    """A moderator, a two-day-old reader and "fresh" (new), each signed in on a client."""
    with client(site, engine) as mod:
        sign_up(mod, "keeper")
        with engine.begin() as conn:
            set_admin(conn, "keeper", True)
        reader, spammer = TestClient(mod.app), TestClient(mod.app)
        sign_up(reader, "reader")
        _age(engine, "reader", 48)
        sign_up(spammer, "fresh")
        yield mod, reader, spammer


def test_a_new_accounts_link_waits_for_a_moderator(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    with client(site, engine) as mod:
        sign_up(mod, "keeper")
        with engine.begin() as conn:
            set_admin(conn, "keeper", True)
        reader, spammer, anonymous = TestClient(mod.app), TestClient(mod.app), TestClient(mod.app)
        sign_up(reader, "reader")
        _age(engine, "reader", 48)
        sign_up(spammer, "fresh")
        before = mod.get(f"/api/papers/{pid}").json()["numComments"]
        cid = _id(_post(spammer, pid, SPAM))
        assert _held(engine, cid)
        own = spammer.get(f"/papers/{pid}?comment={cid}").text
        assert "Awaiting review" in own and "only you and the moderators see it" in own
        assert "pills.example/a" in own
        for other in (reader, anonymous):
            page = other.get(f"/papers/{pid}").text
            assert "pills.example" not in page and "Awaiting review" not in page
            listed = other.get(f"/api/papers/{pid}/comments").json()
            assert all(t["id"] != cid for t in listed)
        assert anonymous.get(f"/api/papers/{pid}").json()["numComments"] == before
        assert "pills.example" not in anonymous.get("/discussions").text
        assert "pills.example" not in anonymous.get(f"/feeds/papers/{pid}/comments.atom").text
        # nobody votes on, reacts to, reports or answers a comment they cannot see
        assert post_form(reader, f"/comments/{cid}/vote", {"up": "1"}).status_code == 404
        assert post_form(reader, f"/comments/{cid}/report", {"reason": "x"}).status_code == 404
        assert _post(reader, pid, "Hm?", parent=cid).status_code == 400
        console = mod.get("/admin").text
        assert 'id="held"' in console and f'data-held-comment="{cid}"' in console
        assert "pills.example/a" in console and 'href="https://pills.example' not in console
        approved = _review(mod, "approve", cid)
        assert approved.status_code == 303 and approved.headers["location"].endswith("#held")
        assert "approved 1 held comment" in unescape(mod.get(approved.headers["location"]).text)
        assert not _held(engine, cid)
        assert "pills.example/a" in anonymous.get(f"/papers/{pid}").text
        assert anonymous.get(f"/api/papers/{pid}").json()["numComments"] == before + 1
        with engine.connect() as conn:
            logged = recent_actions(conn, 10, 0, "fresh")
        assert [a.action for a in logged] == ["approve held"]
        assert f"comment {cid} by fresh on {pid}" == logged[0].target


def test_many_links_are_held_and_the_limit_is_a_setting(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    three = " ".join(f"[ref {i}](https://ok.example/{i})" for i in range(3))
    assert link_count(three) == 3 and link_count(FOUR) == 4
    assert link_count("@reader see [the paper](/papers/x) and train.py") == 0
    with client(site, engine) as c:
        sign_up(c, "old")
        _age(engine, "old", 48)
        assert not _held(engine, _id(_post(c, pid, three)))  # three links: fine
        assert _held(engine, _id(_post(c, pid, FOUR)))  # a fourth: held
        assert not _held(engine, _id(_post(c, pid, "No links here.")))
        auth = bearer(TestClient(c.app), "scripted")
        _age(engine, "scripted", 48)
        api = c.post(f"/api/papers/{pid}/comments", json={"body": FOUR}, headers=auth)
        assert api.status_code == 201 and api.json()["held"] is True
    roomier = web_settings(site, comment_hold_links=10)
    with client(roomier, engine) as c:
        sign_up(c, "old2")
        _age(engine, "old2", 48)
        assert not _held(engine, _id(_post(c, pid, FOUR)))
    trusting = web_settings(site, trending_new_account_hours=0)  # no account is new
    with client(trusting, engine) as c:
        sign_up(c, "fresh")
        assert not _held(engine, _id(_post(c, pid, SPAM)))


def test_nobody_is_told_of_a_held_comment_until_it_is_approved(
    engine: Engine, people: People
) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    mod, reader, poster = people
    _age(engine, "fresh", 48)
    top = _id(_post(reader, pid, "A question about the method."))
    reply = _id(_post(poster, pid, f"@reader answered: {FOUR}", parent=top))
    assert _held(engine, reply)
    with engine.connect() as conn:
        assert notified(conn, reply, "reply_to_you") == set()
    assert "ok.example" not in reader.get("/notifications").text
    assert _review(mod, "approve", reply).status_code == 303
    with engine.connect() as conn:
        reader_id = conn.scalar(select(users.c.id).where(users.c.username == "reader"))
        told = notified(conn, reply, "reply_to_you") | notified(conn, reply, "mention")
    assert told == {reader_id}
    assert "ok.example/3" in reader.get("/notifications").text


def test_an_edit_that_adds_links_sends_it_back_for_review(engine: Engine, people: People) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    mod, reader, poster = people
    _age(engine, "fresh", 48)
    cid = _id(_post(poster, pid, "Nice result."))
    assert not _held(engine, cid)
    assert post_form(poster, f"/comments/{cid}/edit", {"body": f"Nice. {FOUR}"}).status_code == 303
    assert _held(engine, cid)
    assert "ok.example" not in reader.get(f"/papers/{pid}").text
    assert "Awaiting review" in poster.get(f"/papers/{pid}").text
    # taking the links out again releases it: nothing in it waits for review
    assert post_form(poster, f"/comments/{cid}/edit", {"body": "Nice."}).status_code == 303
    assert not _held(engine, cid)


def test_removing_held_comments_asks_then_deletes_each_logged(
    engine: Engine, people: People
) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    mod, reader, spammer = people
    ids = [_id(_post(spammer, pid, f"Pills {i}: https://pills.example/{i}")) for i in range(3)]
    asked = _review(mod, "remove", *ids)
    assert asked.status_code == 200 and "Remove 3 held comments (by fresh)?" in unescape(asked.text)
    assert all(_held(engine, i) for i in ids)
    done = _review(mod, "remove", *ids[:2], confirmed=True)
    assert done.status_code == 303
    with engine.connect() as conn:
        found = [get_comment(conn, i) for i in ids]
        assert [c.deleted for c in found if c] == [True, True, False]
        logged = recent_actions(conn, 10, 0, "fresh")
    assert sorted(a.action for a in logged) == ["remove held", "remove held"]
    own = spammer.get(f"/papers/{pid}").text
    assert "pills.example/0" not in own and "pills.example/2" in own
    again = _review(mod, "approve", ids[0], ids[2])  # one removed meanwhile: left as it was
    assert again.status_code == 303 and "1 ticked no longer held" in unescape(
        mod.get(again.headers["location"]).text
    )


def test_bad_reviews_are_refused(engine: Engine, people: People) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    mod, reader, spammer = people
    cid = _id(_post(spammer, pid, SPAM))
    assert _review(mod, "approve").status_code == 400  # none ticked
    assert _review(mod, "publish", cid).status_code == 400
    token = csrf_token(mod, "/")
    bad = mod.post("/admin/held", data={"csrf_token": token, "action": "approve", "ids": "x"})
    assert bad.status_code == 400
    many = {"csrf_token": token, "action": "approve", "ids": [str(i) for i in range(1, 60)]}
    assert mod.post("/admin/held", data=many).status_code == 400
    assert _review(reader, "approve", cid).status_code in (401, 403)
    assert _review(spammer, "approve", cid).status_code in (401, 403)
    assert _held(engine, cid)


def test_the_user_list_tells_sign_ups_minutes_apart(engine: Engine, people: People) -> None:
    mod, reader, spammer = people
    with engine.begin() as conn:
        for name, at in (("reader", "2026-03-01 09:05:00"), ("fresh", "2026-03-01 09:47:00")):
            when = utcnow().fromisoformat(at)
            conn.execute(update(users).where(users.c.username == name).values(created_at=when))
    console = mod.get("/admin#users").text
    assert "2026-03-01 09:05" in console and "2026-03-01 09:47" in console
    assert "Suspend {n} ticked account{s}?" in console
