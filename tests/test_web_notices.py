"""Community notices by email: replies and comments on claimed papers reach the user's confirmed,
linked digest address (real SMTP sink), with a one-click opt-out; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.digest.deliver import SmtpMailer, deliver_due
from paperfeed.digest.notices import queue_notices
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import links_for, to_subscriber
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import set_admin, set_suspended, users
from paperfeed.store.community import (
    Profile,
    add_claim,
    add_comment,
    decide_claim,
    delete_comment,
    get_profile,
    notify,
    set_comment_hidden,
    unseen_count,
    user_notifications,
)
from paperfeed.store.digest_tables import outbox
from paperfeed.util import utcnow
from tests.digest_support import Sink
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, sign_up

BASE = "http://testserver"
PASSWORD = "correct horse battery"


@pytest.fixture
def s(site: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    return site.model_copy(update=update | {"base_url": BASE})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(s, engine) as test_client:
        yield test_client


def _pid(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[1]))[0]


def _bearer(c: TestClient, name: str) -> dict[str, str]:
    return bearer(c, name, PASSWORD)


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _link(mail: EmailMessage, word: str) -> str:
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.findall(rf"{re.escape(BASE)}/\S*{word}\S*", text)
    assert found, f"no {word} link in {text!r}"
    return str(found[0])


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _subscribe(c: TestClient, sink: Sink, auth: dict[str, str], address: str) -> None:
    """Subscribe while signed in (bearer) and follow the emailed confirmation link."""
    r = c.post("/api/subscribe", json={"email": address}, headers=auth)
    assert r.status_code == 202, r.text
    link = _path(_link(sink.to(address)[-1], "confirm"))
    assert "You are subscribed" not in c.get(link).text  # opening the link only asks
    page = c.post(link)
    assert page.status_code == 200 and "You are subscribed" in page.text


def _post(
    c: TestClient, pid: str, auth: dict[str, str], body: str, parent: int | None = None
) -> int:
    r = c.post(f"/api/papers/{pid}/comments", json={"body": body, "parent": parent}, headers=auth)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _notices(sink: Sink, address: str) -> list[EmailMessage]:
    return [m for m in sink.to(address) if "/notices/stop" in str(m["List-Unsubscribe"] or "")]


def test_a_reply_emails_the_parent_author_once_and_the_opt_out_stops_it(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
    _subscribe(c, sink, ada, "ada@example.org")
    _subscribe(c, sink, bob, "bob@example.org")
    top = _post(c, pid, ada, "Does the bound hold for $n > 2$?")
    assert _notices(sink, "ada@example.org") == []  # nobody mails you your own comment
    hostile = "<script>alert(1)</script> **yes**, see [x](javascript:alert(2))"
    reply = _post(c, pid, bob, hostile, top)

    [mail] = _notices(sink, "ada@example.org")
    assert _notices(sink, "bob@example.org") == []  # the reply's own author gets none
    assert "bob replied to your comment" in str(mail["Subject"])  # ada wrote the comment
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html  # the comment is inert text
    assert 'href="javascript' not in html
    assert "<strong>yes</strong>" in html  # its Markdown shown as on the site
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert hostile in text
    comment_url = f"{BASE}/papers/{pid}#c{reply}"
    assert comment_url in text and f'href="{comment_url}"' in html
    page = c.get(_path(comment_url))
    assert page.status_code == 200 and f'id="c{reply}"' in page.text
    # RFC 8058 one-click opt-out, as digests do; the link in the text is the same one.
    stop = str(mail["List-Unsubscribe"]).strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stop == _link(mail, "notices/stop")

    ask = c.get(_path(stop))  # a GET only asks (link scanners follow GETs)
    assert ask.status_code == 200 and "Stop these emails" in ask.text
    assert get_profile_of(engine, "ada").notify_email
    done = c.post(_path(stop), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Notice emails are off" in done.text
    assert not get_profile_of(engine, "ada").notify_email

    _post(c, pid, bob, "And for n = 2 as well.", top)
    assert len(_notices(sink, "ada@example.org")) == 1  # no new email ...
    with engine.connect() as conn:  # ... but the site still tells her
        told = user_notifications(conn, _uid(engine, "ada"))
    assert [n.kind for n in told] == ["reply_to_you", "reply_to_you"]  # as the email said
    assert c.get("/notifications", headers=ada).text.count("replied to your comment") == 2
    assert c.post(_path(stop) + "x").status_code == 400  # a forged token changes nothing


def test_an_opt_out_link_followed_again_says_notices_are_off_without_asking_again(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    """A reader who stopped notices and opened the email's link again was asked once more
    to "Stop these emails", as if they still came."""
    pid = _pid(engine)
    ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
    _subscribe(c, sink, ada, "ada@example.org")
    _post(c, pid, bob, "Agreed.", _post(c, pid, ada, "Is the bound tight?"))
    [mail] = _notices(sink, "ada@example.org")
    stop = _path(_link(mail, "notices/stop"))
    assert c.post(stop).status_code == 200
    again = c.get(stop)
    assert again.status_code == 200 and "Notice emails are off" in again.text
    assert "Stop these emails" not in again.text
    assert c.get(stop + "x").status_code == 400


def get_profile_of(engine: Engine, name: str) -> Profile:
    with engine.connect() as conn:
        return get_profile(conn, _uid(engine, name))


def test_a_claimed_author_gets_one_email_for_a_new_comment(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    author, carol = _bearer(c, "author"), _bearer(c, "carol")
    _subscribe(c, sink, author, "author@example.org")
    with engine.begin() as conn:
        claim = add_claim(conn, _uid(engine, "author"), pid, "Someone")
        decide_claim(conn, claim, True, "")
    top = _post(c, pid, carol, "How was the data split?")
    [mail] = _notices(sink, "author@example.org")
    assert "carol commented on your paper" in str(mail["Subject"])
    assert f"{BASE}/papers/{pid}#c{top}" in _link(mail, "papers")
    # In the thread and the paper's author: still one email for the comment.
    mine = _post(c, pid, author, "Randomly, 80/20.", top)
    _post(c, pid, carol, "Thanks!", mine)
    assert len(_notices(sink, "author@example.org")) == 2


def test_a_claim_decision_is_emailed_to_the_claimant_once_per_outcome(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    _subscribe(c, sink, _bearer(c, "kay"), "kay@example.org")
    with engine.begin() as conn:
        claim = add_claim(conn, _uid(engine, "kay"), pid, "Someone")
    sign_up(c, "mod", PASSWORD)  # a moderator, signed in with a cookie
    with engine.begin() as conn:
        set_admin(conn, "mod", True)
    token = csrf_token(c, "/")
    reject = {"decision": "reject", "reason": "<b>no</b> proof", "csrf_token": token}
    for _ in range(2):  # deciding the same way twice tells once
        done = c.post(f"/admin/claims/{claim}", data=reject, follow_redirects=False)
        assert done.status_code == 303
    [mail] = _notices(sink, "kay@example.org")
    assert str(mail["Subject"]).startswith("Your claim as Someone was rejected: ")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "The moderator said: <b>no</b> proof" in text
    assert "&lt;b&gt;no&lt;/b&gt; proof" in html and "<b>no" not in html  # inert
    assert f"{BASE}/papers/{pid}" in text and mail["List-Unsubscribe-Post"]
    approve = {"decision": "approve", "csrf_token": token}
    c.post(f"/admin/claims/{claim}", data=approve, follow_redirects=False)
    approved = _notices(sink, "kay@example.org")[-1]
    assert "was approved" in str(approved["Subject"])
    assert f"{BASE}/users/kay" in approved.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_no_email_without_a_confirmed_linked_address(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    dan, eve, zed, writer = (_bearer(c, n) for n in ("dan", "eve", "zed", "writer"))
    # dan asked for an address but never confirmed it.
    assert c.post("/api/subscribe", json={"email": "dan@example.org"}, headers=dan).status_code
    # eve's address is confirmed, but was subscribed without signing in: not hers.
    c.post("/api/subscribe", json={"email": "eve@example.org"})
    c.post(_path(_link(sink.to("eve@example.org")[-1], "confirm")))
    # zed's is linked and confirmed, but zed is suspended.
    _subscribe(c, sink, zed, "zed@example.org")
    tops = [_post(c, pid, auth, f"comment by {n}") for auth, n in ((dan, "dan"), (eve, "e"))]
    ztop = _post(c, pid, zed, "comment by zed")
    with engine.begin() as conn:
        set_suspended(conn, _uid(engine, "zed"), True)
    for parent in tops:
        _post(c, pid, writer, "a reply", parent)
    # A suspended account's comments leave the site: a reply to zed's is refused.
    body = {"body": "a reply", "parent": ztop}
    assert c.post(f"/api/papers/{pid}/comments", json=body, headers=writer).status_code == 400
    for address in ("dan@example.org", "eve@example.org", "zed@example.org"):
        assert _notices(sink, address) == []
    with engine.connect() as conn:
        pending = db.user_subscription(conn, _uid(engine, "dan"))
        assert pending is not None and pending["status"] == "pending"
        assert db.subscriber_for_user(conn, _uid(engine, "dan")) is None
        assert db.subscriber_for_user(conn, _uid(engine, "eve")) is None
        kinds = set(conn.scalars(select(outbox.c.kind)))
    assert "notice" not in kinds


def test_subscribing_while_signed_in_links_the_account(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    sign_up(c, "fay", PASSWORD)  # a cookie session, as the site's forms have
    token = csrf_token(c, "/settings/profile")
    assert "No email address is linked" in c.get("/settings/profile").text
    r = c.post("/subscribe", data={"email": "fay@example.org", "csrf_token": token})
    assert r.status_code == 200 and "Check your inbox" in r.text
    assert "fay@example.org</strong> is waiting" in c.get("/settings/profile").text
    c.post(_path(_link(sink.to("fay@example.org")[-1], "confirm")))
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "fay"))
    assert linked is not None and linked["email"] == "fay@example.org"
    assert "fay@example.org</strong> (confirmed)" in c.get("/settings/profile").text
    # Another address replaces it once confirmed: an account has one address.
    c.post("/subscribe", data={"email": "fay2@example.org", "csrf_token": token})
    assert "fay@example.org</strong> (confirmed)" in c.get("/settings/profile").text
    c.post(_path(_link(sink.to("fay2@example.org")[-1], "confirm")))
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "fay"))
        first = db.find_subscriber(conn, "fay@example.org")
    assert linked is not None and linked["email"] == "fay2@example.org"
    assert first is not None and first["user_id"] is None
    # A cookie without the page's CSRF token (a post from elsewhere) links nothing.
    c.post("/subscribe", data={"email": "other@example.org"})
    with engine.connect() as conn:
        other = db.find_subscriber(conn, "other@example.org")
    assert other is not None and other["user_id"] is None
    # The settings checkbox switches the emails off and on.
    form = {"bio": "", "affiliation": "", "links": "", "notify_replies": "1"}
    c.post("/settings/profile", data=form | {"csrf_token": token}, follow_redirects=False)
    assert not get_profile_of(engine, "fay").notify_email
    form |= {"notify_email": "1", "csrf_token": token}
    c.post("/settings/profile", data=form, follow_redirects=False)
    assert get_profile_of(engine, "fay").notify_email


def test_a_confirmed_address_joins_an_account_only_through_its_emailed_link(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    c.post("/api/subscribe", json={"email": "gus@example.org"})
    c.post(_path(_link(sink.to("gus@example.org")[-1], "confirm")))
    gus = _bearer(c, "gus")
    r = c.post("/api/subscribe", json={"email": "gus@example.org"}, headers=gus)
    assert r.status_code == 202
    with engine.connect() as conn:
        assert db.subscriber_for_user(conn, _uid(engine, "gus")) is None  # not yet
    link = _link(sink.to("gus@example.org")[-1], "notices/link")
    page = c.get(_path(link))  # what a mail scanner fetches: it asks, and links nothing
    assert page.status_code == 200 and "gus@example.org" in page.text and "gus" in page.text
    with engine.connect() as conn:
        assert db.subscriber_for_user(conn, _uid(engine, "gus")) is None
    action = html.unescape(re.findall(r'<form method="post" action="([^"]+)"', page.text)[0])
    assert action == _path(link)
    elsewhere = c.post(action, headers={"Origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403
    done = c.post(action)
    assert done.status_code == 200 and "Address linked" in done.text
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "gus"))
    assert linked is not None and linked["email"] == "gus@example.org"
    again = c.get(_path(link))  # followed again: it asked once more, as if nothing was linked
    assert again.status_code == 200 and "Address linked" in again.text, again.text
    assert "<form" not in again.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert c.get(_path(link).replace("token=", "token=x")).status_code == 400
    assert c.post(_path(link).replace("token=", "token=x")).status_code == 400


def test_an_older_link_request_cannot_take_back_an_address_linked_since(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    for address in ("old@example.org", "new@example.org"):  # both confirmed, neither linked
        c.post("/api/subscribe", json={"email": address})
        c.post(_path(_link(sink.to(address)[-1], "confirm")))
    kim = _bearer(c, "kim")
    c.post("/api/subscribe", json={"email": "old@example.org"}, headers=kim)
    c.post("/api/subscribe", json={"email": "new@example.org"}, headers=kim)
    older = _path(_link(sink.to("old@example.org")[-1], "notices/link"))
    newer = _path(_link(sink.to("new@example.org")[-1], "notices/link"))
    assert c.post(newer).status_code == 200
    page = c.get(older)  # the first request, followed after the second was used
    assert page.status_code == 400 and "linked another address since" in page.text
    assert c.post(older).status_code == 400
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "kim"))
    assert linked is not None and linked["email"] == "new@example.org"
    # Asked again, the older address can be linked: the account's latest choice stands.
    c.post("/api/subscribe", json={"email": "old@example.org"}, headers=kim)
    again = _path(_link(sink.to("old@example.org")[-1], "notices/link"))
    assert again != older and c.post(again).status_code == 200
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "kim"))
    assert linked is not None and linked["email"] == "old@example.org"
    assert "Address linked" in c.get(again).text  # followed again: done, not refused
    assert c.get(newer).status_code == 400  # and the used newer link cannot switch back


def test_notices_about_a_hidden_comment_are_dropped_unsent(
    s: Settings, c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    hal = _bearer(c, "hal")
    sign_up(c, "ivy", PASSWORD)
    _subscribe(c, sink, hal, "hal@example.org")
    top = _post(c, pid, hal, "first")
    with engine.begin() as conn:  # queued, as a post does, but not sent yet
        reply = add_comment(conn, pid, _uid(engine, "ivy"), "spam", top)
        [queued] = queue_notices(conn, s, reply, {_uid(engine, "hal"): "reply"})
        assert queue_notices(conn, s, reply, {_uid(engine, "ivy"): "reply"}) == []  # the author
        assert queue_notices(conn, s, reply, {_uid(engine, "hal"): "author"}) == []  # once
        notify(conn, [_uid(engine, "hal")], reply, "reply")  # and told on the site
        assert unseen_count(conn, _uid(engine, "hal")) == 1
        set_comment_hidden(conn, reply, True)
        assert unseen_count(conn, _uid(engine, "hal")) == 0  # the header counts what is shown
        second = add_comment(conn, pid, _uid(engine, "ivy"), "more", top)
        notify(conn, [_uid(engine, "hal")], second, "reply")
        assert unseen_count(conn, _uid(engine, "hal")) == 1
        delete_comment(conn, second)  # deleted by its author: gone from the list and the count
        assert unseen_count(conn, _uid(engine, "hal")) == 0
        assert user_notifications(conn, _uid(engine, "hal")) == []  # the hidden one too
        row = db.get_message(conn, queued)
    assert row is not None and row.status == "dropped" and row.period == f"comment:{reply}"
    assert _notices(sink, "hal@example.org") == []


def test_a_notice_waiting_for_a_retry_is_dropped_when_its_recipient_is_suspended(
    s: Settings, c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    kim, lee = _bearer(c, "kim"), _bearer(c, "lee")
    _subscribe(c, sink, kim, "kim@example.org")
    _subscribe(c, sink, lee, "lee@example.org")
    top = _post(c, pid, kim, "first")
    other = _post(c, pid, lee, "second")
    with engine.begin() as conn:  # two notices the SMTP server turned away for now
        reply = add_comment(conn, pid, _uid(engine, "lee"), "a reply", top)
        [to_kim] = queue_notices(conn, s, reply, {_uid(engine, "kim"): "reply"})
        answer = add_comment(conn, pid, _uid(engine, "kim"), "an answer", other)
        [to_lee] = queue_notices(conn, s, answer, {_uid(engine, "lee"): "reply"})
        for queued in (to_kim, to_lee):
            db.mark_retry(conn, queued, "451 try later", utcnow())
        set_suspended(conn, _uid(engine, "kim"), True)
    assert deliver_due(engine, s, SmtpMailer(s)).sent == 1  # lee's only
    with engine.connect() as conn:
        kims, lees = db.get_message(conn, to_kim), db.get_message(conn, to_lee)
    assert kims is not None and kims.status == "dropped"
    assert kims.last_error == "the account was suspended"
    assert lees is not None and lees.status == "sent"
    assert _notices(sink, "kim@example.org") == []
    assert len(_notices(sink, "lee@example.org")) == 1


def test_an_address_for_notices_only_gets_notices_and_no_digest_until_asked(
    s: Settings, c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    sign_up(c, "pia", PASSWORD)  # the settings page's form: the digest box left unticked
    token = csrf_token(c, "/settings/profile")
    form = {"email": "pia@example.org", "frequency": "none", "csrf_token": token}
    assert c.post("/subscribe", data=form).status_code == 200
    [ask] = sink.to("pia@example.org")
    assert "no digests" in ask.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = c.post(_path(_link(ask, "confirm")))
    assert page.status_code == 200 and "Address confirmed" in page.text
    assert run_due(engine, s, SmtpMailer(s), due_all=True).sent == 0  # no digest for it
    login = c.post("/api/login", json={"username": "pia", "password": PASSWORD})
    top = _post(c, pid, {"Authorization": f"Bearer {login.json()['token']}"}, "a question")
    _post(c, pid, _bearer(c, "quinn"), "an answer", top)
    assert len(_notices(sink, "pia@example.org")) == 1  # notices do reach it
    # Its preferences page (linked from every email) turns digests on.
    with engine.connect() as conn:
        sub = db.find_subscriber(conn, "pia@example.org")
    assert sub is not None and sub["frequency"] == "none"
    manage = _path(links_for(s, to_subscriber(sub, [])).token_url("/preferences", "manage"))
    assert 'value="none" selected' in c.get(manage).text
    form = {"frequency": "daily", "send_time": "00:00", "timezone": "UTC", "max_papers": "5"}
    saved = c.post(manage, data=form | {"weekday": "0"})
    assert saved.status_code == 200 and "Saved" in saved.text, saved.text
    assert run_due(engine, s, SmtpMailer(s), due_all=True).sent == 1
    # The digest's Unsubscribe stops digests only: the account's notices keep coming.
    digest = [m for m in sink.to("pia@example.org") if m not in _notices(sink, "pia@example.org")]
    leave = _path(_link(digest[-1], "unsubscribe"))
    gone = c.post(leave)
    assert gone.status_code == 200 and "Notices of replies to you" in gone.text
    with engine.connect() as conn:
        after = db.find_subscriber(conn, "pia@example.org")
    assert after is not None and (after["status"], after["frequency"]) == ("confirmed", "none")
    assert run_due(engine, s, SmtpMailer(s), due_all=True).sent == 0
    _post(c, pid, _bearer(c, "rosa"), "another answer", top)
    assert len(_notices(sink, "pia@example.org")) == 2
    assert 'value="none" selected' in c.get(manage).text  # its preferences link still works
    # Asking for digests again says they are off and where to turn them on; the page too.
    page = c.get(manage).text
    assert "Digests are off: this address gets notices only" in page
    again = c.post("/subscribe", data={"email": "pia@example.org", "csrf_token": token})
    assert again.status_code == 200
    told = sink.to("pia@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "its digests are off" in told and "already subscribed" not in told
    assert _path(_link(sink.to("pia@example.org")[-1], "preferences")).startswith("/preferences?")
    off = c.post(manage, data=form | {"frequency": "none", "weekday": "0"})
    assert "Saved. Digests are off" in off.text and "Your next digest" not in off.text


def _age(engine: Engine, *names: str) -> None:
    """Make accounts older than a day: only they link and notify with "@name"."""
    with engine.begin() as conn:
        for name in names:
            query = update(users).where(users.c.username == name)
            conn.execute(query.values(created_at=utcnow() - timedelta(days=3)))


def test_an_at_name_links_the_account_tells_it_once_and_an_edit_tells_only_the_new_names(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    pid = _pid(engine)
    ada, bob, cy, dee = (_bearer(c, n) for n in ("ada", "Bob_2", "cy-x", "dee"))
    _age(engine, "ada", "Bob_2", "cy-x", "dee")
    _subscribe(c, sink, bob, "bob@example.org")
    body = (
        "@bob_2, see this; mail bob_2@example.org, `@cy-x` in code, [@cy-x](https://a.example)"
        " and @nobody. Also @BOB_2 again, and @ada herself."
    )
    top = _post(c, pid, ada, body)

    html_of = c.get(f"/papers/{pid}").text
    assert '<a href="/users/Bob_2" class="mention"' in html_of  # as the account spells it
    assert ">@bob_2</a>" in html_of and ">@BOB_2</a>" in html_of
    assert "@nobody" in html_of and "/users/nobody" not in html_of  # no such account
    assert "<code>@cy-x</code>" in html_of and "/users/cy-x" not in html_of
    assert "bob_2@example.org" in html_of and "/users/example" not in html_of
    [mail] = _notices(sink, "bob@example.org")  # named twice, told once
    assert "ada mentioned you" in str(mail["Subject"])
    mailed = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert re.search(r'href="https?://[^"/]+(:\d+)?/users/Bob_2" class="mention"', mailed)
    assert 'href="/' not in mailed  # every link whole: a mail client has no site to be on
    feed = c.get(f"/feeds/papers/{pid}/comments.atom").text
    assert re.search(r'&lt;a href="https?://[^"/]+(:\d+)?/users/Bob_2" class="mention"', feed)
    assert '&lt;a href="/' not in feed
    with engine.connect() as conn:
        assert [n.kind for n in user_notifications(conn, _uid(engine, "Bob_2"))] == ["mention"]
        assert user_notifications(conn, _uid(engine, "cy-x")) == []  # in code: not a mention
        assert user_notifications(conn, _uid(engine, "ada")) == []  # one's own name: nothing
    told = c.get("/notifications", headers=bob).text
    assert "mentioned you on" in told and " UTC</time>" in told  # each notice is dated
    comments = c.get(f"/api/papers/{pid}/comments", headers=ada).json()
    assert [x["mentions"] for x in comments] == [["Bob_2", "ada"]]

    edited = c.patch(f"/api/comments/{top}", json={"body": body + " Thanks @dee."}, headers=ada)
    assert edited.status_code == 200 and edited.json()["mentions"] == ["Bob_2", "ada", "dee"]
    with engine.connect() as conn:  # the edit tells dee; bob, told already, is not told again
        assert len(user_notifications(conn, _uid(engine, "Bob_2"))) == 1
        assert [n.kind for n in user_notifications(conn, _uid(engine, "dee"))] == ["mention"]
    assert len(_notices(sink, "bob@example.org")) == 1
    # Taking bob's name out and putting it back, edit after edit, tells him nothing more.
    for text in ("No names now.", body, "Again none.", body + " Thanks @dee."):
        assert c.patch(f"/api/comments/{top}", json={"body": text}, headers=ada).is_success
    with engine.connect() as conn:
        assert len(user_notifications(conn, _uid(engine, "Bob_2"))) == 1
        assert len(user_notifications(conn, _uid(engine, "dee"))) == 1
    assert len(_notices(sink, "bob@example.org")) == 1

    # A reply to bob's comment that also names him tells him once, as the reply to him.
    mine = _post(c, pid, bob, "A question of my own.")
    _post(c, pid, dee, "@Bob_2 agreed.", mine)
    with engine.connect() as conn:
        kinds = [n.kind for n in user_notifications(conn, _uid(engine, "Bob_2"))]
    assert kinds == ["reply_to_you", "mention"]


def test_an_account_younger_than_a_day_names_nobody(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    """A new account's "@name"s neither link nor notify (as its links do not): spam control."""
    pid = _pid(engine)
    old, new = _bearer(c, "old"), _bearer(c, "newbie")
    _age(engine, "old")
    _post(c, pid, new, "hey @old, look")
    with engine.connect() as conn:
        assert user_notifications(conn, _uid(engine, "old")) == []
    assert "/users/old" not in c.get(f"/papers/{pid}").text
    assert old  # signed up, so the name exists


def test_a_reply_to_a_reply_tells_the_one_answered_and_not_a_removed_replier(
    c: TestClient, engine: Engine
) -> None:
    """A reply to a reply joins the top comment's thread: its author was told "replied to
    you" and the reader answered only "replied in a thread". A reader whose one reply a
    moderator removed was still told of the thread's replies."""
    pid = _pid(engine)
    ada, bob, cy, dee = (_bearer(c, n) for n in ("ada", "bob", "cyd", "dee"))
    top = _post(c, pid, ada, "A question.")
    answer = _post(c, pid, bob, "An answer.", top)
    removed = _post(c, pid, dee, "Buy pills.", top)
    with engine.begin() as conn:
        set_comment_hidden(conn, removed, True)
    _post(c, pid, cy, "A follow-up to bob.", answer)  # parent: bob's reply
    with engine.connect() as conn:
        told = {
            name: [n.kind for n in user_notifications(conn, _uid(engine, name))]
            for name in ("ada", "bob", "dee")
        }
    assert told["bob"] == ["reply_to_you"]
    assert told["ada"].count("reply") == 1 and "reply_to_you" not in told["ada"][:1]
    assert told["dee"] == []


def _sign_in(c: TestClient, name: str) -> None:
    c.cookies.clear()
    form = {"username": name, "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
    assert c.post("/signin", data=form, follow_redirects=False).status_code == 303


def _account_address(c: TestClient, sink: Sink, address: str) -> None:
    """Give the signed-in account an address on /account and follow the emailed link."""
    form = {"email": address, "password": PASSWORD, "csrf_token": csrf_token(c, "/account")}
    assert c.post("/account/email", data=form, follow_redirects=False).status_code == 303
    [link] = [m for m in sink.to(address) if "/email/confirm" in _text(m)]
    token = re.search(r"/email/confirm\?token=([\w-]+)", _text(link))
    assert token is not None
    form = {"token": token[1], "csrf_token": csrf_token(c, "/account")}
    assert c.post("/email/confirm", data=form, follow_redirects=False).status_code == 303


def _text(mail: EmailMessage) -> str:
    return str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_the_accounts_confirmed_address_takes_its_notices(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    """Confirming the account's address on /account left "Email me about replies" ticked with
    nothing sent: only an address added on the profile page took notices. Now the account's
    own address takes them (no digest) where the account had none; one it chose stays."""
    pid = _pid(engine)
    bob, ada = _bearer(c, "bob"), _bearer(c, "ada")
    _sign_in(c, "ada")
    _account_address(c, sink, "ada@example.org")
    profile = c.get("/settings/profile").text
    assert "Emails go to <strong>ada@example.org</strong> (confirmed)" in profile
    top = _post(c, pid, ada, "Does the bound hold?")
    _post(c, pid, bob, "It does.", top)
    [mail] = _notices(sink, "ada@example.org")
    assert "bob replied to your comment" in str(mail["Subject"])
    with engine.connect() as conn:
        linked = db.subscriber_for_user(conn, _uid(engine, "ada"))
    assert linked is not None and linked["frequency"] == "none"  # notices only: no digest

    # An account with an address chosen for notices keeps it when it confirms another one.
    c.cookies.clear()
    cy = _bearer(c, "cyd")
    _subscribe(c, sink, cy, "cy.notices@example.org")
    _sign_in(c, "cyd")
    _account_address(c, sink, "cy@example.org")
    with engine.connect() as conn:
        kept = db.subscriber_for_user(conn, _uid(engine, "cyd"))
    assert kept is not None and kept["email"] == "cy.notices@example.org"


def test_an_address_confirmed_before_is_offered_for_notices_on_the_profile(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    """An account whose address was confirmed before it took notices too: the profile page
    says so and its button makes it so."""
    pid = _pid(engine)
    bob, ada = _bearer(c, "bob"), _bearer(c, "ada")
    _sign_in(c, "ada")
    with engine.begin() as conn:  # as such an account's row is
        conn.execute(update(users).where(users.c.username == "ada").values(email="ada@example.org"))
    page = c.get("/settings/profile").text
    assert "Your account's address, <strong>ada@example.org</strong>, does not take" in page
    done = c.post(
        "/settings/notice-address",
        data={"csrf_token": csrf_token(c, "/settings/profile")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = c.get(done.headers["location"]).text
    assert "Notices by email now go to ada@example.org." in page
    assert "Emails go to <strong>ada@example.org</strong> (confirmed)" in page
    top = _post(c, pid, ada, "Does the bound hold?")
    _post(c, pid, bob, "It does.", top)
    assert len(_notices(sink, "ada@example.org")) == 1
    again = c.post("/settings/notice-address", data={"csrf_token": csrf_token(c, "/")})
    assert again.status_code == 409  # it has one now: said, nothing changed
