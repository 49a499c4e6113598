"""Personal API tokens: made on /account or at /api/me/tokens (never by another token), shown
once, stored as a digest, optionally read-only or expiring, revoked one by one, ended by what
ends sessions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_suspended, users
from paperfeed.store.api_tokens import api_tokens, token_hash
from paperfeed.store.password_links import create_link
from paperfeed.util import utcnow
from tests.web_support import bearer, client, csrf_token, post_form, sign_up, web_settings

PASSWORD = "correct horse battery"
FOLLOW = {"kind": "category", "value": "cs.LG"}


@pytest.fixture
def c(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(web_settings(settings), engine) as made:
        yield made


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _make(c: TestClient, login: dict[str, str], **body: object) -> dict[str, object]:
    made = c.post("/api/me/tokens", json={"name": "lab slack bot", **body}, headers=login)
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    data: dict[str, object] = made.json()
    return data


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def test_a_token_made_with_a_sign_in_works_and_only_its_digest_is_kept(
    c: TestClient, engine: Engine
) -> None:
    login = bearer(c, "ada")
    made = _make(c, login)
    token = str(made["token"])
    assert token.startswith("pf_") and len(token) > 40
    assert (made["name"], made["read_only"], made["expires_at"]) == ("lab slack bot", False, None)
    mine = _auth(token)
    assert c.post("/api/me/follows", json=FOLLOW, headers=mine).status_code == 201
    assert c.get("/api/me/follows", headers=mine).json()[0]["value"] == "cs.LG"
    listed = c.get("/api/me/tokens", headers=mine)
    assert listed.status_code == 200 and token not in listed.text
    [row] = listed.json()
    assert row["id"] == made["id"] and row["last_used_at"] and not row["expired"]
    with engine.connect() as conn:
        stored = conn.execute(select(api_tokens)).one()
    assert stored.token_hash == token_hash(token) and token not in str(tuple(stored))
    assert c.get("/api/me/tokens", headers=_auth(token + "x")).status_code == 401


def test_a_token_cannot_make_another_and_bad_bodies_are_said(c: TestClient) -> None:
    login = bearer(c, "ada")
    token = str(_make(c, login, expires_in_days=30)["token"])
    again = c.post("/api/me/tokens", json={"name": "longer"}, headers=_auth(token))
    assert again.status_code == 403 and "cannot make another" in again.json()["detail"]
    for body in ({"name": "  "}, {"name": "x" * 101}, {"name": "b", "expires_in_days": 7}):
        assert c.post("/api/me/tokens", json=body, headers=login).status_code == 422
    assert (
        c.post("/api/me/tokens", json={"name": "b", "scope": "all"}, headers=login).status_code
        == 422
    )
    anonymous = c.post("/api/me/tokens", json={"name": "b"})
    assert anonymous.status_code == 401


def test_a_read_only_token_reads_and_every_write_but_its_own_end_is_refused(
    c: TestClient,
) -> None:
    login = bearer(c, "ada")
    made = _make(c, login, read_only=True)
    reader = _auth(str(made["token"]))
    assert c.get("/api/me/follows", headers=reader).status_code == 200
    refused = c.post("/api/me/follows", json=FOLLOW, headers=reader)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    other = _make(c, login)  # another of the account's tokens: not the reader's to end
    assert c.delete(f"/api/me/tokens/{other['id']}", headers=reader).status_code == 403
    assert c.get("/api/me/follows", headers=login).json() == []
    # ...but it may end itself (whoever holds a leaked one can), by either way the API has
    ended = c.delete(f"/api/me/tokens/{made['id']}", headers=reader)
    assert ended.status_code == 200 and ended.json()["removed"] is True
    assert c.get("/api/me/follows", headers=reader).status_code == 401
    second = _auth(str(_make(c, login, read_only=True)["token"]))
    assert c.post("/api/logout", headers=second).status_code == 200
    assert c.get("/api/me/follows", headers=second).status_code == 401
    assert c.get("/api/me/follows", headers=_auth(str(other["token"]))).status_code == 200


def test_revoking_a_token_ends_it_and_another_account_cannot(c: TestClient, engine: Engine) -> None:
    ada = bearer(c, "ada")
    made = _make(c, ada)
    token = _auth(str(made["token"]))
    bob = bearer(c, "bob")
    not_bobs = c.delete(f"/api/me/tokens/{made['id']}", headers=bob)
    assert not_bobs.status_code == 200 and not_bobs.json()["removed"] is False
    assert c.get("/api/me/follows", headers=token).status_code == 200
    gone = c.delete(f"/api/me/tokens/{made['id']}", headers=ada)
    assert gone.status_code == 200 and gone.json() == {"id": made["id"], "removed": True}
    refused = c.get("/api/me/follows", headers=token)
    assert refused.status_code == 401 and "/account" in refused.json()["detail"]
    assert "invalid_token" in refused.headers["www-authenticate"]
    again = c.delete(f"/api/me/tokens/{made['id']}", headers=ada)
    assert again.status_code == 200 and again.json()["removed"] is False
    assert c.delete("/api/me/tokens/0", headers=ada).status_code == 422


def test_logout_with_a_token_revokes_it(c: TestClient) -> None:
    login = bearer(c, "ada")
    token = _auth(str(_make(c, login)["token"]))
    assert c.post("/api/logout", headers=token).status_code == 200
    assert c.get("/api/me/follows", headers=token).status_code == 401
    assert c.get("/api/me/follows", headers=login).status_code == 200  # the sign-in stays


def test_an_expired_token_stops_working(c: TestClient, engine: Engine) -> None:
    login = bearer(c, "ada")
    made = _make(c, login, expires_in_days=90)
    ends = str(made["expires_at"])
    assert ends.startswith(str((utcnow() + timedelta(days=90)).date()))
    token = _auth(str(made["token"]))
    assert c.get("/api/me/follows", headers=token).status_code == 200
    with engine.begin() as conn:
        conn.execute(update(api_tokens).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert c.get("/api/me/follows", headers=token).status_code == 401
    assert c.get("/api/me/tokens", headers=login).json()[0]["expired"] is True


def test_last_use_is_written_at_most_once_a_minute(c: TestClient, engine: Engine) -> None:
    login = bearer(c, "ada")
    token = _auth(str(_make(c, login)["token"]))

    def used() -> object:
        with engine.connect() as conn:
            return conn.execute(select(api_tokens.c.last_used_at)).scalar_one()

    assert used() is None
    c.get("/api/me/follows", headers=token)
    first = used()
    assert first is not None
    c.get("/api/me/follows", headers=token)
    assert used() == first  # the second use, within the minute, wrote nothing
    with engine.begin() as conn:
        conn.execute(update(api_tokens).values(last_used_at=utcnow() - timedelta(minutes=2)))
    c.get("/api/me/follows", headers=token)
    later = used()
    assert isinstance(later, type(first)) and later >= first  # type: ignore[operator]


def test_a_new_password_by_a_mailed_link_ends_the_tokens(c: TestClient, engine: Engine) -> None:
    login = bearer(c, "ada")
    token = _auth(str(_make(c, login)["token"]))
    with engine.begin() as conn:
        link = create_link(conn, _uid(engine, "ada"), "reset", timedelta(hours=1))
    form = {"token": link, "password": "a brand new password", "csrf_token": csrf_token(c)}
    assert c.post("/password/set", data=form, follow_redirects=False).status_code == 303
    assert c.get("/api/me/follows", headers=token).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(api_tokens)).first() is None


def test_changing_the_password_ends_the_tokens(c: TestClient, engine: Engine) -> None:
    sign_up(c, "ada")
    made = c.post(
        "/api/me/tokens",
        json={"name": "cron"},
        headers={"X-CSRF-Token": csrf_token(c, "/account")},
    )
    assert made.status_code == 201  # a browser's sign-in makes one too
    token = _auth(made.json()["token"])
    changed = post_form(c, "/settings/password", {"current": PASSWORD, "new": "y" * 20})
    assert changed.status_code == 303
    assert c.get("/api/me/follows", headers=token).status_code == 401


def test_a_suspension_stops_the_tokens_and_lifting_it_ends_them(
    c: TestClient, engine: Engine
) -> None:
    login = bearer(c, "ada")
    token = _auth(str(_make(c, login)["token"]))
    uid = _uid(engine, "ada")
    with engine.begin() as conn:
        set_suspended(conn, uid, True)
    refused = c.get("/api/me/follows", headers=token)
    assert refused.status_code == 403 and "suspended" in refused.text
    with engine.begin() as conn:
        set_suspended(conn, uid, False)
    assert c.get("/api/me/follows", headers=token).status_code == 401


def test_deleting_the_account_ends_its_tokens(c: TestClient, engine: Engine) -> None:
    login = bearer(c, "ada")
    token = _auth(str(_make(c, login)["token"]))
    export = c.get("/api/me/export", headers=token).json()
    assert [t["name"] for t in export["api_tokens"]] == ["lab slack bot"]
    assert "token_hash" not in str(export)
    gone = c.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=token)
    assert gone.status_code == 200, gone.text
    assert c.get("/api/me/follows", headers=token).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(api_tokens)).first() is None


def test_the_account_page_makes_shows_once_and_revokes(c: TestClient, engine: Engine) -> None:
    sign_up(c, "ada")
    page = c.get("/account")
    assert "You have no API tokens" in page.text
    bad = post_form(c, "/account/tokens", {"name": " ", "expires": "never"})
    assert bad.status_code == 400 and "name the token" in bad.text
    odd = post_form(c, "/account/tokens", {"name": "x", "expires": "forever"})
    assert odd.status_code == 400
    hostile = "<script>alert(1)</script>"
    made = post_form(c, "/account/tokens", {"name": hostile, "expires": "30", "read_only": "true"})
    assert made.status_code == 303 and made.headers["location"] == "/account/tokens/new#api-tokens"
    shown = c.get("/account/tokens/new")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert hostile not in shown.text and "&lt;script&gt;" in shown.text
    found = re.search(r'value="(pf_[A-Za-z0-9_\-]+)"', shown.text)
    assert found, shown.text
    token = _auth(found[1])
    assert c.get("/api/me/follows", headers=token).status_code == 200
    assert c.post("/api/me/follows", json=FOLLOW, headers=token).status_code == 403
    reloaded = c.get("/account/tokens/new", follow_redirects=False)  # shown once
    assert reloaded.status_code == 303 and found[1] not in reloaded.text
    again = c.get("/account")
    assert found[1] not in again.text and "(read only)" in again.text
    with engine.connect() as conn:
        token_id = conn.execute(select(api_tokens.c.id)).scalar_one()
    revoked = post_form(c, f"/account/tokens/{token_id}/revoke", {})
    assert revoked.status_code == 303
    assert c.get("/api/me/follows", headers=token).status_code == 401
    assert "You have no API tokens" in c.get("/account").text


def test_the_tokens_are_in_the_openapi_document(c: TestClient) -> None:
    paths = c.get("/openapi.json").json()["paths"]
    assert set(paths["/api/me/tokens"]) == {"get", "post"}
    assert set(paths["/api/me/tokens/{token_id}"]) == {"delete"}
    assert paths["/api/me/tokens"]["post"]["security"] == [{"bearerAuth": []}]
    assert "403" in paths["/api/me/tokens"]["post"]["responses"]
