"""A user's data rights: download everything kept about the account, and delete the account,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import add_submission, find_user, set_admin, users, vote_counts
from paperfeed.store.community import comments, notifications
from paperfeed.store.digest_tables import subscribers
from paperfeed.store.digests import insert_subscriber
from paperfeed.store.erasure import _PRIVATE
from paperfeed.store.jobs import admin_actions
from paperfeed.store.library import new_feed_token
from paperfeed.util import utcnow
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, post_form, sign_up

PASSWORD = "correct horse battery"


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = find_user(conn, name)
    assert found is not None
    return int(found[0].id)


def _subscribe(engine: Engine, uid: int, email: str) -> None:
    now = utcnow()
    row = {
        "email": email,
        "email_key": email.lower(),
        "status": "confirmed",
        "nonce": "n" * 32,
        "frequency": "daily",
        "send_time": "07:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 20,
        "include_trending": True,
        "confirmed_at": now,
        "user_id": uid,
    }
    with engine.begin() as conn:
        insert_subscriber(conn, row)


def _ada_is_busy(c: TestClient, engine: Engine) -> dict[str, object]:
    """Ada (signed in on `c`, with a bearer token too) uses every feature; bob replies to her."""
    p1, p2, p3 = sorted(on_day(engine, DAYS[1]))[:3]
    ada = bearer(c, "ada", PASSWORD)
    bob = bearer(c, "bob", PASSWORD)
    saved = {"paper_id": p1, "collection": "Reading group", "state": "read", "note": "Key *idea*"}
    assert c.post("/api/me/library", json=saved, headers=ada).status_code in (200, 201)
    assert c.put(f"/api/me/ratings/{p2}", json={"rating": 1}, headers=ada).status_code == 200
    for what, kind, value in [
        ("follows", "category", "cs.LG"),
        ("follows", "search", "diffusion transformers"),
        ("mutes", "category", "math.AG"),
    ]:
        made = c.post(f"/api/me/{what}", json={"kind": kind, "value": value}, headers=ada)
        assert made.status_code == 201, made.text
    for auth in (ada, bob):
        assert c.post(f"/api/papers/{p1}/upvote", headers=auth).status_code == 200
    top = c.post(f"/api/papers/{p1}/comments", json={"body": "Ada's view"}, headers=ada)
    assert top.status_code == 201, top.text
    answer = {"body": "Bob's answer", "parent": top.json()["id"]}
    assert c.post(f"/api/papers/{p1}/comments", json=answer, headers=bob).status_code == 201
    uid = _uid(engine, "ada")
    with engine.begin() as conn:
        add_submission(conn, p3, uid, DAYS[1])
        feed = new_feed_token(conn, uid)
    _subscribe(engine, uid, "ada@lab.example")
    c.cookies.clear()
    login = c.post(
        "/signin", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c)}
    )
    assert login.status_code == 200 and "pf_session" in c.cookies
    return {"ada": ada, "bob": bob, "p1": p1, "p3": p3, "feed": feed, "uid": uid}


def test_the_export_holds_what_is_kept_and_no_secret(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        s = _ada_is_busy(c, engine)
        got = c.get("/api/me/export", headers=s["ada"])  # type: ignore[arg-type]
        assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
        data = got.json()
        page = c.get("/account/export.json")  # the signed-in browser's download
        assert page.status_code == 200
        assert page.headers["content-disposition"].startswith(
            'attachment; filename="paperfeed-ada-'
        )
        assert json.loads(page.text)["account"] == data["account"]
    assert data["account"]["handle"] == "ada" and data["account"]["notifications"]["replies"]
    assert [(i["paper_id"], i["state"], i["note"]) for i in data["library"]] == [
        (s["p1"], "read", "Key *idea*")
    ]
    [group] = data["collections"]
    assert (group["name"], group["visibility"]) == ("Reading group", "private")
    assert [p["paper_id"] for p in group["papers"]] == [s["p1"]]
    assert [r["rating"] for r in data["ratings"]] == [1]
    assert {(f["kind"], f["value"]) for f in data["follows"]} == {
        ("category", "cs.LG"),
        ("search", "diffusion transformers"),
    }
    assert [f["value"] for f in data["saved_searches"]] == ["diffusion transformers"]
    assert [m["value"] for m in data["mutes"]] == ["math.AG"]
    assert [u["paper_id"] for u in data["upvotes"]] == [s["p1"]]
    assert [(x["paper_id"], x["day"]) for x in data["submissions"]] == [
        (s["p3"], DAYS[1].isoformat())
    ]
    assert [(x["paper_id"], x["body"]) for x in data["comments"]] == [(s["p1"], "Ada's view")]
    assert data["comments"][0]["created_at"]
    assert [d["email"] for d in data["digest_subscriptions"]] == ["ada@lab.example"]
    assert len(data["private_feed_urls"]) == 1 and data["sign_ins"]
    text = json.dumps(data)
    assert "argon2" not in text and "password" not in text and "token_hash" not in text
    assert str(s["feed"]) not in text
    assert str(s["ada"]["Authorization"]).split()[1] not in text  # type: ignore[index]


def test_the_export_is_only_for_the_signed_in(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        assert c.get("/api/me/export").status_code == 401
        page = c.get("/account/export.json", follow_redirects=False)
        assert page.status_code in (303, 401)


def test_deleting_the_account_asks_the_password_then_removes_private_data(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        s = _ada_is_busy(c, engine)
        p1, uid = str(s["p1"]), int(s["uid"])  # type: ignore[call-overload]
        session = c.cookies["pf_session"]
        with engine.connect() as conn:
            assert vote_counts(conn, [p1]) == {p1: 2}
        asked = c.get("/account/delete")
        assert asked.status_code == 200
        assert "What stays" in asked.text and 'name="password"' in asked.text
        wrong = post_form(c, "/account/delete", {"password": "not it at all"})
        assert wrong.status_code == 400 and "nothing was deleted" in wrong.text
        assert c.get("/api/me/library", headers=s["ada"]).status_code == 200  # type: ignore[arg-type]
        done = post_form(c, "/account/delete", {"password": PASSWORD})
        assert done.status_code == 303 and done.headers["location"] == "/account/deleted"
        assert "pf_session" not in c.cookies
        # every way in stops: the bearer token, the old cookie, the private feed URL, the password
        assert c.get("/api/me/library", headers=s["ada"]).status_code == 401  # type: ignore[arg-type]
        old_cookie = {"Cookie": f"pf_session={session}"}
        assert c.get("/api/me/export", headers=old_cookie).status_code == 401
        assert c.get(f"/feeds/for-you/{s['feed']}.atom").status_code == 404
        signin = c.post(
            "/signin", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c)}
        )
        assert signin.status_code == 400 and "pf_session" not in c.cookies
        # the handle is not free for someone else to take, in any case
        taken = c.post(
            "/signup",
            data={"username": "ADA", "password": PASSWORD, "csrf_token": csrf_token(c, "/signup")},
        )
        assert taken.status_code == 400
        assert c.get("/users/ada").status_code == 404
        # the thread keeps bob's reply, ada's comment unnamed; her upvote leaves the count
        paper = c.get(f"/papers/{p1}").text
        assert "Bob&#39;s answer" in paper or "Bob's answer" in paper
        assert "Ada&#39;s view" in paper or "Ada's view" in paper
        assert "deleted account" in paper and 'href="/users/ada"' not in paper
        credit = c.get(f"/papers/{s['p3']}").text
        assert "Submitted by deleted account" in credit and ">ada<" not in credit
    with engine.connect() as conn:
        assert vote_counts(conn, [p1]) == {p1: 1}
        for table in _PRIVATE:
            left = conn.execute(select(func.count()).where(table.c.user_id == uid)).scalar()
            assert left == 0, table.name
        assert conn.execute(select(func.count()).select_from(subscribers)).scalar() == 0
        kept = conn.execute(select(comments.c.body).where(comments.c.user_id == uid)).all()
        assert [tuple(r) for r in kept] == [("Ada's view",)]
        row = conn.execute(select(users).where(users.c.id == uid)).one()
        assert row.username == "deleted account" and row.deleted_at is not None
        assert row.password_hash == "!"


def test_an_admin_deletes_an_account_after_a_question_and_it_is_logged(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "mallory", PASSWORD)
        c.cookies.clear()
        sign_up(c, "root", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        target = _uid(engine, "mallory")
        asked = post_form(c, f"/admin/users/{target}/delete", {})
        assert asked.status_code == 200 and "Are you sure?" in asked.text  # no JavaScript
        assert 'name="confirmed" value="1"' in asked.text
        done = post_form(c, f"/admin/users/{target}/delete", {"confirmed": "1"})
        assert done.status_code == 303
        again = post_form(c, f"/admin/users/{target}/delete", {"confirmed": "1"})
        assert again.status_code == 404
        own = post_form(c, f"/admin/users/{_uid(engine, 'root')}/delete", {"confirmed": "1"})
        assert own.status_code == 400
        listed = c.get("/admin?user=deleted").text
        assert "deleted account" in listed
    with engine.connect() as conn:
        log = conn.execute(
            select(admin_actions.c.who, admin_actions.c.action, admin_actions.c.target)
        ).all()
        assert [tuple(r) for r in log] == [("root", "delete account", "mallory")]
        assert find_user(conn, "mallory") is None


def test_a_non_admin_cannot_delete_another_account(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "victim", PASSWORD)
        c.cookies.clear()
        sign_up(c, "eve", PASSWORD)
        refused = post_form(c, f"/admin/users/{_uid(engine, 'victim')}/delete", {"confirmed": "1"})
        assert refused.status_code == 403
    with engine.connect() as conn:
        assert find_user(conn, "victim") is not None


def test_the_account_page_links_download_and_delete(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "reader", PASSWORD)
        page = c.get("/account").text
        for link in ("/account/export.json", "/library/export.bib", "/library/export.ris"):
            assert f'href="{link}"' in page
        assert 'href="/account/delete"' in page
        c.cookies.clear()
        assert c.get("/account/delete", follow_redirects=False).status_code == 303


def test_a_reply_to_a_deleted_accounts_comment_tells_nobody(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        s = _ada_is_busy(c, engine)
        assert post_form(c, "/account/delete", {"password": PASSWORD}).status_code == 303
        with engine.connect() as conn:
            top = conn.execute(select(comments.c.id).where(comments.c.user_id == s["uid"]))
            parent = top.scalar_one()
        answer = {"body": "Another answer, @ada", "parent": parent}
        made = c.post(f"/api/papers/{s['p1']}/comments", json=answer, headers=s["bob"])  # type: ignore[arg-type]
        assert made.status_code == 201, made.text
    with engine.connect() as conn:
        told = select(func.count()).where(notifications.c.user_id == s["uid"])
        assert conn.execute(told).scalar() == 0
