"""A moderator's round on a busy instance: spam accounts, suspensions and what they take with
them, paging through thousands of users, reports and log lines; on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.community import set_comment_vote
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, sign_up

PASSWORD = "correct horse battery"


def _admin(c: TestClient, engine: Engine, name: str = "mod") -> str:
    """Sign `name` up as an admin in this client; its form token."""
    sign_up(c, name, PASSWORD)
    with engine.begin() as conn:
        set_admin(conn, name, True)
    return csrf_token(c, "/")


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(users.c.id).where(users.c.username == name)))


def _suspend(c: TestClient, token: str, user_id: int, on: bool) -> None:
    data = {"suspended": str(int(on)), "confirmed": "1", "csrf_token": token}
    done = c.post(f"/admin/users/{user_id}/suspend", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text


def _comment_votes(c: TestClient, pid: str) -> dict[str, int]:
    return {t["body"]: t["upvotes"] for t in c.get(f"/api/papers/{pid}/comments").json()}


def _trending_ids(c: TestClient) -> list[str]:
    got = c.get("/api/daily_papers?sort=trending&limit=100")
    assert got.status_code == 200, got.text
    return [item["paper"]["id"] for item in got.json()]


def test_a_suspended_ring_leaves_counts_trending_and_discussions_until_lifted(
    site: Settings, engine: Engine
) -> None:
    """A vote ring of new accounts pushes one paper up and spams its discussion; suspending
    the accounts takes their upvotes (paper and comment), comments and counts off the site,
    and lifting a mistaken suspension brings back exactly that account's."""
    pid = sorted(on_day(engine, DAYS[2]))[-1]
    with client(site, engine) as c:
        ring = [bearer(c, f"ring{i}", PASSWORD) for i in range(4)]
        honest = bearer(c, "honest", PASSWORD)
        top = c.post(
            f"/api/papers/{pid}/comments", json={"body": "A careful reading."}, headers=honest
        )
        assert top.status_code == 201, top.text
        for i, auth in enumerate(ring):
            assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
            said = c.post(
                f"/api/papers/{pid}/comments", json={"body": f"BUY PILLS {i}"}, headers=auth
            )
            assert said.status_code == 201, said.text
        with engine.begin() as conn:  # the ring also lifts the comment it likes
            for i in range(4):
                set_comment_vote(conn, _user_id(engine, f"ring{i}"), top.json()["id"], True)
        before = c.get(f"/api/papers/{pid}").json()
        assert _comment_votes(c, pid)["A careful reading."] == 4
        assert _trending_ids(c)[0] == pid
        token = _admin(c, engine)
        for i in range(4):
            _suspend(c, token, _user_id(engine, f"ring{i}"), True)
        after = c.get(f"/api/papers/{pid}").json()
        assert after["upvotes"] == before["upvotes"] - 4
        assert after["numComments"] == 1
        assert _comment_votes(c, pid) == {"A careful reading.": 0}  # and nothing else
        assert _trending_ids(c)[0] != pid
        assert "BUY PILLS" not in c.get(f"/papers/{pid}").text
        assert "BUY PILLS" not in c.get("/discussions").text
        assert "BUY PILLS" not in c.get("/feeds/discussions.atom").text
        assert "BUY PILLS" not in c.get("/users/ring0").text
        # ring2 was suspended by mistake: lifting it restores its vote and its comment only.
        _suspend(c, token, _user_id(engine, "ring2"), False)
        lifted = c.get(f"/api/papers/{pid}").json()
        assert lifted["upvotes"] == after["upvotes"] + 1 and lifted["numComments"] == 2
        assert _comment_votes(c, pid)["A careful reading."] == 1
        page = c.get(f"/papers/{pid}").text
        assert "BUY PILLS 2" in page and "BUY PILLS 1" not in page
