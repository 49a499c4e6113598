"""An account's email address: added or changed on /account and counted once the link mailed to
it is followed, removed there; an optional address at sign-up, and sign-up limited to email
domains (the account made only when the link is followed); account mail in the demo mailbox;
the address in the data export and from `paperfeed user add --email`."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.digests import subscriber_for_user
from paperfeed.store.email_links import email_links
from tests.digest_support import Sink, smtp_sink
from tests.web_support import client, csrf_token, sign_up, web_settings

PASSWORD = "correct horse battery"
BASE = "http://testserver"
_CONFIRM_RE = re.compile(r"http://testserver/email/confirm\?token=([A-Za-z0-9_\-]+)")
_SET_RE = re.compile(r"/password/set\?token=([A-Za-z0-9_\-]+)")


def _mail_settings(settings: Settings, sink: Sink, **changes: object) -> Settings:
    return web_settings(
        settings, smtp_host="127.0.0.1", smtp_port=sink.port, base_url=BASE, **changes
    )


def _token(message: EmailMessage) -> str:
    found = _CONFIRM_RE.search(_text(message))
    assert found, _text(message)
    return found[1]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _email(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(users.c.email).where(users.c.username == name)).scalar()


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _post(c: TestClient, path: str, **data: str) -> int:
    form = data | {"csrf_token": csrf_token(c, "/signin")}
    return c.post(path, data=form, follow_redirects=False).status_code


def test_an_address_counts_only_once_its_link_is_followed_and_can_be_removed(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with client(site, engine) as c:
            sign_up(c, "ada")
            assert "has no email address" in c.get("/account").text
            wrong = c.post(
                "/account/email",
                data={
                    "email": "ada@lab.example.edu",
                    "password": "not it",
                    "csrf_token": csrf_token(c, "/account"),
                },
            )
            assert (
                wrong.status_code == 400
                and "that password is not right" in wrong.text
                and "wrong user name" not in wrong.text
            )
            bad = c.post(
                "/account/email",
                data={
                    "email": "<b>x</b>",
                    "password": PASSWORD,
                    "csrf_token": csrf_token(c, "/account"),
                },
            )
            assert bad.status_code == 400 and "<b>x</b>" not in bad.text  # inert
            assert sink.received == []
            assert _post(c, "/account/email", email="Ada@Lab.example.edu", password=PASSWORD) == 303
            page = c.get("/account").text
            assert "A link to confirm ada@lab.example.edu is on its way" in page
            assert "data-pending" in page and _email(engine, "ada") is None  # not yet
            token = _token(sink.to("ada@lab.example.edu")[0])
            confirm = c.get(f"/email/confirm?token={token}")
            assert (
                confirm.status_code == 200 and _email(engine, "ada") is None
            )  # a visit: no change
            assert _post(c, "/email/confirm", token=token) == 303
            assert _email(engine, "ada") == "ada@lab.example.edu"
            assert _post(c, "/email/confirm", token=token) == 400  # once only
            # A change: the old address keeps working (a reset link goes there) until confirmed.
            assert _post(c, "/account/email", email="ada@uni.example.edu", password=PASSWORD) == 303
            assert "data-email>ada@lab.example.edu" in c.get("/account").text
            assert _post(c, "/signin/forgot", email="ada@lab.example.edu") == 200
            assert _SET_RE.search(_text(sink.to("ada@lab.example.edu")[-1]))
            assert _post(c, "/account/email/remove", password=PASSWORD) == 303
            assert (
                _email(engine, "ada") is None and "has no email address" in c.get("/account").text
            )
            later = _token(sink.to("ada@uni.example.edu")[0])
            assert _post(c, "/email/confirm", token=later) == 400  # removing stopped the change
            assert c.get(f"/email/confirm?token={later}").status_code == 400


def test_an_expired_link_or_an_address_another_account_holds_is_refused(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with client(site, engine) as c:
            sign_up(c, "grace")
            assert _post(c, "/account/email", email="g@lab.example.edu", password=PASSWORD) == 303
            token = _token(sink.to("g@lab.example.edu")[0])
            with engine.begin() as conn:
                conn.execute(update(email_links).values(expires_at=email_links.c.created_at))
            assert c.get(f"/email/confirm?token={token}").status_code == 400
            assert _post(c, "/email/confirm", token=token) == 400
            with engine.begin() as conn:
                conn.execute(update(users).where(users.c.username != "grace").values(email=None))
            assert _post(c, "/account/email", email="g@lab.example.edu", password=PASSWORD) == 303
            token = _token(sink.to("g@lab.example.edu")[1])
        with client(site, engine) as other:
            sign_up(other, "lin")
            with engine.begin() as conn:
                conn.execute(
                    update(users).where(users.c.username == "lin").values(email="g@lab.example.edu")
                )
            held = other.post(
                "/email/confirm", data={"token": token, "csrf_token": csrf_token(other, "/signin")}
            )
            assert held.status_code == 409 and "Another account has this address" in held.text
        assert _email(engine, "grace") is None


def test_an_optional_address_at_sign_up_is_mailed_a_link(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with client(site, engine) as c:
            assert 'name="email"' in c.get("/signup").text
            data = {"username": "ada", "password": PASSWORD, "email": "ada@lab.example.edu"}
            assert _post(c, "/signup", **data) == 303
            assert "A link to confirm ada@lab.example.edu" in c.get("/account").text
            assert _email(engine, "ada") is None
            assert (
                _post(c, "/email/confirm", token=_token(sink.to("ada@lab.example.edu")[0])) == 303
            )
            assert _email(engine, "ada") == "ada@lab.example.edu"
            bad = c.post(
                "/signup",
                data={
                    "username": "bob",
                    "password": PASSWORD,
                    "email": "nope",
                    "csrf_token": csrf_token(c, "/signin"),
                },
            )
            assert bad.status_code == 400 and "is not a valid email address" in bad.text
    assert "bob" not in _names(engine)


def test_sign_up_limited_to_email_domains_makes_the_account_on_confirmation(
    settings: Settings, engine: Engine
) -> None:
    with smtp_sink() as sink:
        site = _mail_settings(
            settings, sink, signup_email_domains="lab.example.edu,uni.example.edu"
        )
        with client(site, engine) as c:
            assert "An address at lab.example.edu or uni.example.edu" in c.get("/signup").text
            form = {"username": "ada", "password": PASSWORD}
            for email in ("", "ada@gmail.example.com", "ada@lab.example.edu.evil.example"):
                refused = c.post(
                    "/signup", data=form | {"email": email, "csrf_token": csrf_token(c, "/signup")}
                )
                assert refused.status_code == 400, email
                assert (
                    "needs an email address at lab.example.edu or uni.example.edu" in refused.text
                )
            sent = c.post(
                "/signup",
                data=form
                | {"email": "Ada@CS.Lab.example.edu", "csrf_token": csrf_token(c, "/signup")},
            )
            assert (
                sent.status_code == 200
                and "your account ada is made when you follow it" in sent.text
            )
            assert "pf_session" not in c.cookies and "ada" not in _names(engine)
            token = _token(sink.to("ada@cs.lab.example.edu")[0])
            page = c.get(f"/email/confirm?token={token}")
            assert page.status_code == 200 and "Confirm and make the account" in page.text
            assert _post(c, "/email/confirm", token=token) == 303
            assert _email(engine, "ada") == "ada@cs.lab.example.edu" and "pf_session" in c.cookies
            assert c.get("/account").status_code == 200
            assert _post(c, "/email/confirm", token=token) == 400
        with client(site, engine) as other:
            # An address an account holds gets the same answer (no enumeration), and its link
            # makes nothing.
            again = {"username": "ada2", "password": PASSWORD, "email": "ada@cs.lab.example.edu"}
            answer = other.post(
                "/signup", data=again | {"csrf_token": csrf_token(other, "/signup")}
            )
            assert answer.status_code == 200 and "is on its way" in answer.text
            held = _token(sink.to("ada@cs.lab.example.edu")[1])
            assert _post(other, "/email/confirm", token=held) == 409
            assert "ada2" not in _names(engine)


def _names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(n) for n in conn.execute(select(users.c.username)).scalars()}


def test_account_mail_lands_in_the_demo_mailbox(settings: Settings, engine: Engine) -> None:
    site = web_settings(settings, mailbox=True, base_url=BASE)
    with client(site, engine) as c:
        sign_up(c, "ada")
        assert _post(c, "/account/email", email="ada@lab.example.edu", password=PASSWORD) == 303
        box = c.get("/demo/mailbox").text
        assert "Confirm your email address" in box and "/email/confirm?token=" in box
        token = re.search(r"/email/confirm\?token=([A-Za-z0-9_\-]+)", box)
        assert token and _post(c, "/email/confirm", token=token[1]) == 303
        assert _post(c, "/signin/forgot", email="ada@lab.example.edu") == 200
        box = c.get("/demo/mailbox").text
        assert "Set a new password" in box and _SET_RE.search(box)


def test_export_has_the_address_and_user_add_takes_one(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    add = ["user", "add", "ada", "--password-stdin", "--email", "Ada@Lab.example.edu"]
    done = runner.invoke(cli, add, input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert _email(engine, "ada") == "ada@lab.example.edu"
    for address, said in (
        ("nope", "is not a valid email address"),
        ("ADA@lab.example.edu", "an account has this address already"),
    ):
        refused = runner.invoke(
            cli,
            ["user", "add", "bob", "--password-stdin", "--email", address],
            input=PASSWORD + "\n",
        )
        assert refused.exit_code == 1 and said in refused.output, refused.output
    assert "bob" not in _names(engine)
    with client(web_settings(settings), engine) as c:
        assert _post(c, "/signin", username="ada", password=PASSWORD) == 303
        data = c.get("/account/export.json").json()
    assert data["account"]["email"] == "ada@lab.example.edu"
    with engine.connect() as conn:  # the address an admin gave takes her notices, no digests
        notices = subscriber_for_user(conn, _uid(engine, "ada"))
    assert notices is not None and notices["email"] == "ada@lab.example.edu"
    assert notices["frequency"] == "none"


def test_the_account_page_lists_the_new_address_as_waiting_before_its_mail_goes_out(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link is made with the answer and only the mail is sent after it: the account page
    the browser is sent to lists the address as waiting even while the mail has not gone yet
    (the full run's Chromium test found it missing on a busy machine)."""
    from paperfeed.web import account_email

    sent: list[str] = []
    monkeypatch.setattr(account_email, "mail_change_link", lambda *a: sent.append(a[3]))
    site = web_settings(settings, mailbox=True, base_url=BASE)
    with client(site, engine) as c:
        sign_up(c, "ada")
        assert _post(c, "/account/email", email="ada@lab.example.edu", password=PASSWORD) == 303
        page = c.get("/account").text
        assert re.search(r"data-pending>A link to confirm <strong>ada@lab.example.edu", page)
    assert sent == ["ada@lab.example.edu"]


def test_a_changed_address_takes_the_accounts_digest_and_its_interests_along(
    settings: Settings, engine: Engine
) -> None:
    """The account's digest stayed on the old address after a change (and "Use another
    address" then cut it loose from the account, its interests left behind)."""
    from paperfeed.store import digests as db

    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with client(site, engine) as c:
            sign_up(c, "ada")
            assert _post(c, "/account/email", email="ada@lab.example.edu", password=PASSWORD) == 303
            assert (
                _post(c, "/email/confirm", token=_token(sink.to("ada@lab.example.edu")[-1])) == 303
            )
            uid = _uid(engine, "ada")
            with engine.begin() as conn:  # her digest: weekly, with a saved search
                linked = subscriber_for_user(conn, uid)
                assert linked is not None and linked["email"] == "ada@lab.example.edu"
                sid = int(str(linked["id"]))
                db.update_subscriber(conn, sid, {"frequency": "weekly"})
                db.replace_interests(conn, sid, [db.InterestRow("keyword", "graph")])
            assert _post(c, "/account/email", email="ada@uni.example.edu", password=PASSWORD) == 303
            assert (
                _post(c, "/email/confirm", token=_token(sink.to("ada@uni.example.edu")[-1])) == 303
            )
            assert _email(engine, "ada") == "ada@uni.example.edu"
            with engine.connect() as conn:
                moved = subscriber_for_user(conn, uid)
                kept = conn.execute(select(db.interests.c.value)).scalars().all()
                old = db.find_subscriber(conn, "ada@lab.example.edu")
            assert moved is not None and int(str(moved["id"])) == sid
            assert (moved["email"], moved["frequency"]) == ("ada@uni.example.edu", "weekly")
            assert list(kept) == ["graph"] and old is None  # nothing goes to the old one now


def test_the_owner_subscribing_their_accounts_address_turns_its_digest_on(
    settings: Settings, engine: Engine
) -> None:
    """The account's confirmed address takes notices only; its owner, signed in, used the
    home page's Subscribe with it and was mailed "its digests are off … get digests again"."""
    from paperfeed.store import digests as db

    with smtp_sink() as sink:
        site = _mail_settings(settings, sink)
        with client(site, engine) as c:
            sign_up(c, "ada")
            assert _post(c, "/account/email", email="ada@lab.example.edu", password=PASSWORD) == 303
            token = _token(sink.to("ada@lab.example.edu")[-1])
            assert _post(c, "/email/confirm", token=token) == 303
            with engine.connect() as conn:
                before = db.find_subscriber(conn, "ada@lab.example.edu")
            assert before is not None and before["frequency"] == "none"
            form = {"email": "ada@lab.example.edu", "csrf_token": csrf_token(c, "/")}
            assert c.post("/subscribe", data=form).status_code == 200
            told = _text(sink.to("ada@lab.example.edu")[-1])
            with engine.connect() as conn:
                after = db.find_subscriber(conn, "ada@lab.example.edu")
    assert after is not None and (after["frequency"], after["status"]) == ("daily", "confirmed")
    assert after["include_trending"] and "digests are off" not in told
