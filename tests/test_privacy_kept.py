"""What paperfeed keeps about a person, seen by a privacy-conscious reader: signed links stay out
of the access log however their name is spelt, the data export lists the mail sent to the
reader's subscriptions, the subscriptions to their address waiting for confirmation and the
collection hand-overs offered to or by them, deleting the account deletes the account mail kept
for its addresses and ends the digests to its confirmed address, and the subscription limiter
keeps neither a subscriber's address nor their IP. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.tokens import make_token
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user, find_user
from paperfeed.store.collection_editors import add_editor, offer
from paperfeed.store.digest_tables import outbox, rate_events, subscribers
from paperfeed.store.digests import insert_subscriber, keep_account_mail
from paperfeed.store.erasure import delete_account, export_account
from paperfeed.store.library import ensure_collection
from paperfeed.store.password_links import set_email
from paperfeed.store.rate_limits import rate_limit_events
from paperfeed.store.sign_ins import key_digest, sign_in_failures
from tests.digest_support import Sink, daily_reader
from tests.web_support import (
    DAYS,
    bearer,
    client,
    csrf_token,
    on_day,
    post_form,
    web_settings,
)

PASSWORD = "correct horse battery"


def _subscription(
    engine: Engine, email: str, user_id: int | None = None, status: str = "confirmed"
) -> int:
    row = daily_reader(None) | {"email": email, "email_key": email.lower(), "user_id": user_id}
    row["status"] = status
    with engine.begin() as conn:
        insert_subscriber(conn, row)
        found = select(subscribers.c.id).where(subscribers.c.email_key == email.lower())
        return int(conn.execute(found).scalar_one())


def test_a_signed_link_is_not_logged_when_its_name_is_percent_encoded(
    site: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _subscription(engine, "eve@example.org")
    token = make_token(secret_key(site), "unsubscribe", sub, daily_reader(None)["nonce"])
    with client(site, engine) as c:
        page = c.get(f"/unsubscribe?tok%65n={token}")  # the app reads the name decoded
        assert page.status_code == 200 and "eve@example.org" in page.text
        lines = capsys.readouterr().err.splitlines()  # the access log writes to stderr
    [line] = [x for x in lines if "/unsubscribe" in x]
    assert token not in line and "tok%65n=[redacted]" in line


def test_the_export_lists_the_digests_sent_to_the_readers_subscription(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    s = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    with client(s, engine) as c:
        ada = bearer(c, "ada", PASSWORD)
        with engine.connect() as conn:
            found = find_user(conn, "ada")
        assert found is not None
        _subscription(engine, "ada@lab.example", found[0].id)
        now = datetime.combine(DAYS[-1], datetime.min.time(), UTC).replace(hour=9)
        run_due(engine, s, SmtpMailer(s), due_all=True, now=now)
        [received] = sink.received
        [subscription] = c.get("/api/me/export", headers=ada).json()["digest_subscriptions"]
    [mail] = subscription["mail"]
    assert (mail["kind"], mail["status"], mail["recipient"]) == (
        "digest",
        "sent",
        "ada@lab.example",
    )
    assert mail["sent_at"] and mail["period"].startswith("daily:")
    body = received.message.get_body(("plain",))
    assert body is not None and mail["papers"]
    assert all(pid in str(body.get_content()) for pid in mail["papers"])
    assert "message" not in mail and "packed" not in mail


def _kept_for(engine: Engine, address: str) -> int:
    to_them = func.lower(outbox.c.recipient) == address
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(to_them)).scalar_one())


def test_deleting_the_account_deletes_the_account_mail_kept_for_its_addresses(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings, mailbox=True, base_url="http://testserver")
    with client(site, engine) as c:
        bearer(c, "ada", PASSWORD)
        c.post(
            "/signin", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c)}
        )
        mailed = post_form(c, "/account/email", {"email": "Ada@Lab.example", "password": PASSWORD})
        assert mailed.status_code == 303
        link = re.search(r"/email/confirm\?token=([A-Za-z0-9_\-]+)", c.get("/demo/mailbox").text)
        assert link and post_form(c, "/email/confirm", {"token": link[1]}).status_code == 303
        # a second address asked for, its link not followed yet
        again = {"email": "ada@home.example", "password": PASSWORD}
        assert post_form(c, "/account/email", again).status_code == 303
        assert _kept_for(engine, "ada@lab.example") and _kept_for(engine, "ada@home.example")
        with engine.begin() as conn:  # someone else's mail stays
            keep_account_mail(conn, "bob@elsewhere.example", "<b@x>", "Subject: hi\n\nhi")
        done = post_form(c, "/account/delete", {"password": PASSWORD})
        assert done.status_code == 303
        box = c.get("/demo/mailbox").text
    assert "ada@lab.example" not in box.lower() and "ada@home.example" not in box
    assert _kept_for(engine, "ada@lab.example") == 0 and _kept_for(engine, "ada@home.example") == 0
    assert _kept_for(engine, "bob@elsewhere.example") == 1


def test_the_subscription_limiter_keeps_neither_the_address_nor_the_clients_ip(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    s = site.model_copy(update={"smtp_port": sink.port, "digest_send_rate": 0})
    with client(s, engine) as c:  # the test client's address is "testclient"
        asked = c.post("/api/subscribe", json={"email": "Eva@Institut.example"})
        assert asked.status_code == 202
    with engine.connect() as conn:
        keys = list(conn.scalars(select(rate_events.c.key)))
    assert len(keys) == 2  # one for the address, one for the client
    plain = hashlib.sha256(b"eva@institut.example").hexdigest()
    for key in keys:  # a keyed digest: no guessed address or IP can be tested against it
        assert "testclient" not in key and "institut" not in key and plain[:40] not in key


def test_the_export_lists_the_notes_written_in_a_collection_the_reader_co_edits(
    site: Settings, engine: Engine
) -> None:
    paper = min(on_day(engine, DAYS[0]))
    with client(site, engine) as c:
        lead, eva = bearer(c, "lead", PASSWORD), bearer(c, "eva", PASSWORD)
        saved = c.post(
            "/api/me/library", json={"paper_id": paper, "collection": "Lab"}, headers=lead
        )
        assert saved.status_code == 201, saved.text
        [lab] = c.get("/api/me/collections", headers=lead).json()
        assert c.put(f"/api/me/collections/{lab['id']}/editors/eva", headers=lead).is_success
        note = {"note": "Eva: the ablation in Table 3 is the key result"}
        path = f"/api/me/collections/{lab['id']}/papers/{paper}/note"
        assert c.put(path, json=note, headers=eva).status_code == 200
        exported = c.get("/api/me/export", headers=eva).json()
        c.post(
            "/signin", data={"username": "eva", "password": PASSWORD, "csrf_token": csrf_token(c)}
        )
        leaving = c.get("/account/delete").text
    [written] = exported["notes_in_others_collections"]
    assert (written["collection_id"], written["paper_id"]) == (lab["id"], paper)
    assert written["note"] == note["note"]
    assert "Notes you wrote on papers of others" in leaving  # said before it stays


def test_rate_limits_keep_no_hash_a_guessed_address_or_account_can_be_tested_against(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:  # the test client's address is "testclient"
        bearer(c, "eva", PASSWORD)  # a sign-up, under the sign-up limit
        wrong = {"username": "eva", "password": "not it", "csrf_token": csrf_token(c)}
        assert c.post("/signin", data=wrong).status_code in (200, 400, 401)
    with engine.connect() as conn:
        kept = set(conn.scalars(select(sign_in_failures.c.key)))
        kept |= set(conn.scalars(select(rate_limit_events.c.key)))
    assert len(kept) >= 4  # the sign-up, and the failure under its three keys
    plain = ("auth:testclient", "pair\ntestclient\neva", "account\neva", "address\ntestclient")
    assert not kept & {key_digest(k) for k in plain}


def _reader(engine: Engine, name: str, email: str | None = None) -> int:
    """A new account, with a confirmed address when `email` is given."""
    with engine.begin() as conn:
        user = create_user(conn, name, "not a real hash")
        if email:
            set_email(conn, user.id, email)
        return user.id


def test_the_export_lists_subscriptions_waiting_for_confirmation_and_hand_over_offers(
    engine: Engine,
) -> None:
    ada, bob = _reader(engine, "ada", "ada@lab.example"), _reader(engine, "bob")
    with engine.begin() as conn:
        hers, his = ensure_collection(conn, ada, "Lab"), ensure_collection(conn, bob, "Group")
        assert add_editor(conn, hers, "bob") and add_editor(conn, his, "ada")
        offer(conn, hers, "bob", True)
        offer(conn, his, "ada", False)
    _subscription(engine, "Ada@Lab.example", status="pending")  # asked for while signed out
    _subscription(engine, "someone@else.example", status="pending")
    with engine.connect() as conn:
        exported = export_account(conn, ada)
    assert exported is not None
    subscribed = exported["digest_subscriptions"]
    assert [(s["email"], s["status"]) for s in subscribed] == [("Ada@Lab.example", "pending")]
    [made], [received] = exported["collection_offers_made"], exported["collection_offers_received"]
    assert (made["collection_id"], made["stay"]) == (hers.id, True)
    assert (received["collection_id"], received["stay"]) == (his.id, False)
    assert made["created_at"] and received["created_at"]


def test_deleting_the_account_ends_the_digests_to_its_address_made_while_signed_out(
    engine: Engine,
) -> None:
    ada = _reader(engine, "ada", "ada@lab.example")
    bob = _reader(engine, "bob", "bob@lab.example")
    _subscription(engine, "ADA@lab.example")  # confirmed while signed out
    _subscription(engine, "ada@home.example", ada)  # linked while signed in
    _subscription(engine, "bob@lab.example")
    _subscription(engine, "shared@lab.example", bob)
    with engine.begin() as conn:
        assert delete_account(conn, ada)
    with engine.connect() as conn:
        left = sorted(conn.scalars(select(subscribers.c.email_key)))
    assert left == ["bob@lab.example", "shared@lab.example"]
