"""What a security review found on the demo: a comment's delete question offered to one who
may not delete it, a suspended account's session sent to sign in on some pages (and told it is
suspended on others), and an export read with a bearer token given a cookie (both databases)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_suspended, users
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, post_form, sign_up


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def test_a_comments_delete_question_is_for_its_author_and_moderators(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    with client(site, engine) as c:
        alice = bearer(c, "alice")
        made = c.post(f"/api/papers/{pid}/comments", json={"body": "mine"}, headers=alice)
        assert made.status_code == 201, made.text
        comment = made.json()["id"]
        c.cookies.clear()
        sign_up(c, "bob")
        asked = post_form(c, f"/comments/{comment}/delete", {})
        assert asked.status_code == 403, asked.text  # it was 200: "Delete the comment?"
        assert "Delete the comment" not in asked.text
        still = c.get(f"/api/papers/{pid}/comments").json()
        assert [x["id"] for x in still] == [comment]
        c.cookies.clear()
        sign_up(c, "carol")
        with engine.begin() as conn:
            conn.execute(users.update().where(users.c.username == "carol").values(is_admin=True))
        question = post_form(c, f"/comments/{comment}/delete", {})
        assert question.status_code == 200 and "logged as a moderator" in question.text


def test_a_suspended_accounts_session_is_told_so_on_every_page(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "dave")
        with engine.begin() as conn:
            set_suspended(conn, _uid(engine, "dave"), True)
        for path in ("/account", "/for-you", "/account/delete", "/library"):
            answer = c.get(path, follow_redirects=False)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "suspended" in answer.text, path
        c.cookies.clear()
        signed_out = c.get("/for-you?window=month", follow_redirects=False)
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/signin?next=/for-you")


def test_an_export_read_with_a_bearer_token_sets_no_cookie(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "erin")
        c.cookies.clear()
        export = c.get("/library/export.bib", headers=auth)
        assert export.status_code == 200, export.text
        assert "set-cookie" not in export.headers  # docs/deploy.md: none on API answers
        c.cookies.clear()  # a browser behind a proxy's Basic sign-in still gets its form cookie
        page = c.get("/", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert "pf_csrf=" in page.headers.get("set-cookie", "")
        assert csrf_token(c, "/")
