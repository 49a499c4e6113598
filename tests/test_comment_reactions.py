"""Emoji reactions on comments: toggled by a plain form or the API, shown with who reacted,
never ranking anything; suspended accounts' reactions leave the counts, deleted accounts' and
deleted comments' go, and the data export lists one's own. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user, set_suspended
from paperfeed.store.community import add_comment, notifications, set_comment_vote
from paperfeed.store.erasure import delete_account, export_account
from paperfeed.store.reactions import comment_reactions, set_reaction
from paperfeed.web import csrf
from tests.web_support import DAYS, client, on_day, post_form, sign_up, statements


def _paper(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[1]))[0]


def _user(engine: Engine, name: str) -> int:
    with engine.begin() as conn:
        return int(create_user(conn, name, "!").id)


def _comment(engine: Engine, pid: str, uid: int, body: str = "A fair point.") -> int:
    with engine.begin() as conn:
        return int(add_comment(conn, pid, uid, body, None))


def _react(engine: Engine, uid: int, cid: int, name: str, on: bool = True) -> None:
    with engine.begin() as conn:
        set_reaction(conn, uid, cid, name, on)


def _api_reactions(
    c: TestClient, pid: str, headers: dict[str, str] | None = None
) -> dict[int, list[dict[str, object]]]:
    got = c.get(f"/api/papers/{pid}/comments", headers=headers or {})
    assert got.status_code == 200, got.text
    return {t["id"]: t["reactions"] for t in got.json()}


def _bar(page: str, cid: int) -> str:
    """The comment's reaction bar (its picker included: it holds no <div>)."""
    found = re.search(rf'<div class="reactions" data-reactions="{cid}">(.*?)</div>', page, re.S)
    assert found, f"no reaction bar for comment {cid}"
    return found[1]


def test_a_form_reacts_and_takes_back_and_the_page_names_who_reacted(
    site: Settings, engine: Engine
) -> None:
    pid = _paper(engine)
    cid = _comment(engine, pid, _user(engine, "writer"))
    _react(engine, _user(engine, "ann"), cid, "heart")
    with client(site, engine) as c:
        sign_up(c, "reader")
        done = post_form(c, f"/comments/{cid}/react", {"emoji": "heart", "on": "1"})
        assert done.status_code == 303
        assert done.headers["location"] == f"/papers/{pid}?comment={cid}#c{cid}"
        page = c.get(f"/papers/{pid}").text
        bar = _bar(page, cid)
        assert 'aria-pressed="true"' in bar and '<span class="count">2</span>' in bar
        assert 'title="Heart: ann, reader"' in bar
        assert _api_reactions(c, pid)[cid] == [
            {"name": "heart", "emoji": "❤️", "count": 2, "reacted": True, "users": ["ann", "reader"]}
        ]
        again = post_form(c, f"/comments/{cid}/react", {"emoji": "heart", "on": "0", "sort": "new"})
        assert again.headers["location"] == f"/papers/{pid}?sort=new&comment={cid}#c{cid}"
        assert _api_reactions(c, pid)[cid][0]["count"] == 1
        assert _api_reactions(c, pid)[cid][0]["reacted"] is False
        # A script gets JSON and the new bar to swap in, its forms carrying a valid token.
        answer = c.post(
            f"/comments/{cid}/react",
            data={"emoji": "rocket", "on": "1", "csrf_token": _token(c)},
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        assert [r["name"] for r in answer.json()["reactions"]] == ["heart", "rocket"]
        assert f'data-reactions="{cid}"' in answer.json()["html"]
        sent = re.search(r'name="csrf_token" value="([^"]+)"', answer.json()["html"])
        assert "__CSRF" not in answer.json()["html"] and sent  # masked afresh (BREACH)
        assert csrf.unmask(html.unescape(sent[1])) == csrf.unmask(_token(c))


def _token(c: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").text)
    assert found
    return html.unescape(found[1])


def test_the_api_puts_and_deletes_a_reaction_idempotently_and_refuses_bad_ones(
    site: Settings, engine: Engine
) -> None:
    pid = _paper(engine)
    writer = _user(engine, "writer")
    cid = _comment(engine, pid, writer)
    gone = _comment(engine, pid, writer, "Soon gone.")
    with client(site, engine) as c:
        sign_up(c, "reader")
        c.cookies.clear()
        token = c.post(
            "/api/login", json={"username": "reader", "password": "correct horse battery"}
        )
        auth = {"Authorization": f"Bearer {token.json()['token']}"}
        for _ in range(2):
            put = c.put(f"/api/comments/{cid}/reactions/tada", headers=auth)
            assert put.status_code == 200, put.text
            assert put.json() == {
                "commentId": cid,
                "reactions": [
                    {
                        "name": "tada",
                        "emoji": "🎉",
                        "count": 1,
                        "reacted": True,
                        "users": ["reader"],
                    }
                ],
            }
        assert _api_reactions(c, pid, auth)[cid][0]["reacted"] is True
        assert _api_reactions(c, pid)[cid][0]["reacted"] is False  # signed out: not theirs
        for _ in range(2):
            off = c.delete(f"/api/comments/{cid}/reactions/tada", headers=auth)
            assert off.status_code == 200 and off.json()["reactions"] == []
        assert c.put(f"/api/comments/{cid}/reactions/thumbsdown", headers=auth).status_code == 422
        assert c.put(f"/api/comments/{cid}/reactions/%F0%9F%91%8D", headers=auth).status_code == 422
        assert c.put("/api/comments/99999/reactions/tada", headers=auth).status_code == 404
        assert c.put(f"/api/comments/{cid}/reactions/tada").status_code == 401
        assert c.delete(f"/api/comments/{gone}", headers=auth).status_code == 403
        with engine.begin() as conn:
            from paperfeed.store.community import delete_comment

            set_reaction(conn, writer, gone, "eyes", True)
            delete_comment(conn, gone)
        assert c.put(f"/api/comments/{gone}/reactions/tada", headers=auth).status_code == 404
        schema = c.get("/openapi.json").json()["paths"]
        assert {"put", "delete"} <= set(schema["/api/comments/{comment_id}/reactions/{emoji}"])
    with engine.connect() as conn:
        left = select(func.count()).where(comment_reactions.c.comment_id == gone)
        assert conn.execute(left).scalar_one() == 0  # a deleted comment's reactions went with it


def test_reactions_never_rank_and_tell_nobody(site: Settings, engine: Engine) -> None:
    """Top order and paper upvotes come from votes alone; a reaction notifies nobody (as a
    comment's upvote does not)."""
    pid = _paper(engine)
    writer, fan = _user(engine, "writer"), _user(engine, "fan")
    loved = _comment(engine, pid, writer, "Many reactions, no votes.")
    voted = _comment(engine, pid, writer, "One vote.")
    with engine.begin() as conn:
        set_comment_vote(conn, fan, voted, True)
    with client(site, engine) as c:
        before = c.get(f"/api/papers/{pid}").json()["upvotes"]
        for i, name in enumerate(("heart", "rocket", "tada", "eyes", "laugh", "thumbsup")):
            _react(engine, _user(engine, f"r{i}"), loved, name)
        assert list(_api_reactions(c, pid)) == [voted, loved]
        assert c.get(f"/api/papers/{pid}").json()["upvotes"] == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notifications)).scalar_one() == 0


def test_suspended_reactors_leave_the_count_and_deleted_ones_go_with_their_export(
    site: Settings, engine: Engine
) -> None:
    pid = _paper(engine)
    cid = _comment(engine, pid, _user(engine, "writer"))
    troll, ann = _user(engine, "troll"), _user(engine, "ann")
    _react(engine, troll, cid, "laugh")
    _react(engine, ann, cid, "laugh")
    with engine.connect() as conn:
        mine = export_account(conn, ann)
    assert mine is not None
    assert [(r["comment_id"], r["emoji"]) for r in mine["comment_reactions"]] == [(cid, "laugh")]
    with client(site, engine) as c:
        assert _api_reactions(c, pid)[cid][0]["users"] == ["troll", "ann"]
        with engine.begin() as conn:
            set_suspended(conn, troll, True)
        assert _api_reactions(c, pid)[cid][0]["users"] == ["ann"]
        assert _api_reactions(c, pid)[cid][0]["count"] == 1
        with engine.begin() as conn:
            set_suspended(conn, troll, False)
            assert delete_account(conn, ann)
        assert _api_reactions(c, pid)[cid][0]["users"] == ["troll"]
    with engine.connect() as conn:
        ann_left = select(func.count()).where(comment_reactions.c.user_id == ann)
        assert conn.execute(ann_left).scalar_one() == 0


def _page_statements(c: TestClient, engine: Engine, pid: str) -> tuple[list[str], str]:
    with statements(engine) as seen:
        page = c.get(f"/papers/{pid}").text
    return [s for s in seen if "site_state" not in s], page


def test_a_paper_page_reads_reactions_in_one_query_however_many_comments(
    site: Settings, engine: Engine
) -> None:
    """Two comments with one reaction or twelve with many, names beyond the first five
    counted: the page asks the store the same number of times."""
    few, many = sorted(on_day(engine, DAYS[1]))[:2]
    readers = [_user(engine, f"u{i}") for i in range(7)]
    for pid, comments in ((few, 2), (many, 12)):
        for n in range(comments):
            cid = _comment(engine, pid, readers[n % 7])
            for uid in readers[: 1 if pid == few else 7]:
                _react(engine, uid, cid, "eyes")
    with client(site, engine) as c:
        sign_up(c, "viewer")
        _page_statements(c, engine, few)  # the papers' cards cached
        _page_statements(c, engine, many)
        small, _ = _page_statements(c, engine, few)
        large, page = _page_statements(c, engine, many)
    assert len(small) == len(large), "\n".join(sorted(set(large) - set(small)))
    assert page.count('title="Eyes: u0, u1, u2, u3, u4 and 2 others"') == 12
