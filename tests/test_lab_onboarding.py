"""A lab admin onboarding students: accounts from a roster (CLI and /admin), each mailed a
single-use, expiring set-password link; and a forgotten password reset by email."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.erasure import delete_account
from paperfeed.store.password_links import password_links
from paperfeed.web.auth import sign_up as make_account
from tests.digest_support import Sink, smtp_sink
from tests.web_support import client, csrf_token, web_settings

PASSWORD = "correct horse battery"
BASE = "http://testserver"
_LINK_RE = re.compile(r"http://testserver/password/set\?token=([A-Za-z0-9_\-]+)")


def _mail_settings(settings: Settings, sink: Sink) -> Settings:
    return web_settings(
        settings, smtp_host="127.0.0.1", smtp_port=sink.port, base_url=BASE, signup="closed"
    )


def _link(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = _LINK_RE.search(body.get_content())
    assert found, body.get_content()
    return found[1]


def _accounts(engine: Engine) -> dict[str, tuple[str | None, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.username, users.c.email, users.c.is_admin))
        return {r.username: (r.email, bool(r.is_admin)) for r in rows}


def _sign_in(c: TestClient, name: str, password: str = PASSWORD) -> int:
    data = {"username": name, "password": password, "csrf_token": csrf_token(c, "/signin")}
    return c.post("/signin", data=data, follow_redirects=False).status_code


def _set_password(c: TestClient, token: str, password: str = PASSWORD) -> int:
    data = {"token": token, "password": password, "csrf_token": csrf_token(c, "/signin")}
    return c.post("/password/set", data=data, follow_redirects=False).status_code


ROSTER = "username,email,role\nada,Ada@Lab.Example.edu\ngrace,grace@lab.example.edu,admin\n"


def test_cli_import_mails_each_a_link_that_sets_the_password_once(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = tmp_path / "students.csv"
    roster.write_text(ROSTER)
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        monkeypatch.setenv("PAPERFEED_DATA_DIR", str(settings.data_dir))
        if settings.database_url:
            monkeypatch.setenv("PAPERFEED_DATABASE_URL", settings.database_url)
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port),
                           "BASE_URL": BASE}.items():  # fmt: skip
            monkeypatch.setenv(f"PAPERFEED_{key}", value)
        done = CliRunner().invoke(cli, ["user", "import", str(roster)])
        assert done.exit_code == 0, done.output
        assert "line 2: ada: made; link mailed to ada@lab.example.edu" in done.output
        assert "line 3: grace: made admin; link mailed to grace@lab.example.edu" in done.output
        assert _accounts(engine) == {
            "ada": ("ada@lab.example.edu", False),
            "grace": ("grace@lab.example.edu", True),
        }
        token = _link(sink.to("ada@lab.example.edu")[0])
    with client(site, engine) as c:
        assert _sign_in(c, "ada", "") == 400  # no password works before the link is used
        page = c.get(f"/password/set?token={token}")
        assert page.status_code == 200 and 'value="ada"' in page.text
        assert _set_password(c, token, "short") == 400  # refused, the link still works
        assert _set_password(c, token) == 303
        assert c.get("/account").status_code == 200  # signed in
    with client(site, engine) as other:
        assert _set_password(other, token, "another good password") == 400  # used once
        assert "no longer works" in other.get(f"/password/set?token={token}").text
        assert _sign_in(other, "ada") == 303


def test_a_roster_with_any_refused_line_makes_no_account(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(engine, "taken", PASSWORD)
    roster = tmp_path / "students.csv"
    roster.write_text(
        "ok1,ok1@lab.example.edu\n"
        "taken,t@lab.example.edu\n"
        "bad email,x@lab.example.edu\n"
        "ok2,not-an-address\n"
        "ok3,OK1@lab.example.edu\n"
        "ok4,ok4@lab.example.edu,moderator\n"
    )
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", settings.database_url)
    done = CliRunner().invoke(cli, ["user", "import", str(roster)])
    assert done.exit_code == 1
    out = done.output
    assert "line 1: ok1: not made: the file has refused lines" in out
    assert "line 2: taken: refused: the user name is taken" in out
    assert "line 3: bad email: refused: the user name has 3 to 32 characters" in out
    assert "line 4: ok2: refused: 'not-an-address' is not a valid email address" in out
    assert "line 5: ok3: refused: 'ok1@lab.example.edu' is on line 1 too" in out
    assert "line 6: ok4: refused: the role is member or admin, not 'moderator'" in out
    assert set(_accounts(engine)) == {"taken"}


def test_admin_form_adds_accounts_and_an_expired_link_is_refused(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        make_account(engine, "root", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "root", True)
        with client(site, engine) as c:
            assert _sign_in(c, "root") == 303
            assert 'id="add-accounts"' in c.get("/admin").text
            roster = "lin,lin@lab.example.edu\n<b>x</b>,x@lab.example.edu\n"
            refused = c.post(
                "/admin/accounts/import", data={"roster": roster, "csrf_token": csrf_token(c)}
            )
            assert refused.status_code == 400 and "<b>x</b>" not in refused.text  # inert
            assert "&lt;b&gt;x&lt;/b&gt;" in refused.text and "lin" not in _accounts(engine)
            made = c.post(
                "/admin/accounts/import",
                data={"roster": "lin,lin@lab.example.edu", "csrf_token": csrf_token(c)},
            )
            assert made.status_code == 200 and "1 account made" in made.text
        token = _link(sink.to("lin@lab.example.edu")[0])
    with engine.begin() as conn:
        conn.execute(update(password_links).values(expires_at=password_links.c.created_at))
    with client(site, engine) as c:
        assert c.get(f"/password/set?token={token}").status_code == 400
        assert _set_password(c, token) == 400


def test_forgot_password_mails_a_one_hour_link_and_says_the_same_for_any_address(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with engine.begin() as conn:
            make_account(engine, "ada", PASSWORD)
            conn.execute(update(users).values(email="ada@lab.example.edu"))
        with client(site, engine) as c:
            assert 'href="/signin/forgot"' in c.get("/signin").text
            answers = [
                c.post("/signin/forgot", data={"email": e, "csrf_token": csrf_token(c)})
                for e in ("ADA@lab.example.edu", "nobody@lab.example.edu")
            ]
            assert [a.status_code for a in answers] == [200, 200]
            said = [re.sub(r'value="[^"]*"', "", a.text) for a in answers]
            assert said[0] == said[1] and "if an account has that address" in said[0].lower()
            bad = c.post("/signin/forgot", data={"email": "nope", "csrf_token": csrf_token(c)})
            assert bad.status_code == 400
        assert [m["To"] for m in [r.message for r in sink.received]] == ["ada@lab.example.edu"]
        token = _link(sink.to("ada@lab.example.edu")[0])
    with engine.connect() as conn:
        made, ends = conn.execute(
            select(password_links.c.created_at, password_links.c.expires_at)
        ).one()
    assert ends - made == timedelta(hours=1)
    with client(site, engine) as c:
        assert _sign_in(c, "ada") == 303
        with client(site, engine) as other:
            assert _set_password(other, token, "a brand new password") == 303
        assert c.get("/account", follow_redirects=False).status_code != 200  # old session ended
        assert _sign_in(c, "ada", "a brand new password") == 303


def test_deleting_an_account_forgets_its_address_and_links(
    settings: Settings, engine: Engine
) -> None:
    user = make_account(engine, "leaver", PASSWORD)
    from paperfeed.store.password_links import create_link, set_email

    with engine.begin() as conn:
        set_email(conn, user.id, "leaver@lab.example.edu")
        create_link(conn, user.id, "reset", timedelta(hours=1))
        assert delete_account(conn, user.id)
        assert conn.execute(select(password_links)).first() is None
        email = conn.execute(select(users.c.email).where(users.c.id == user.id)).scalar_one()
    assert email is None
