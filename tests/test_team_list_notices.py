"""Team reading lists tell people what happened, in the site's notifications: the editor
offered a list (linking to the accept question), its owner when the offer is accepted or
declined, and a list's owner of papers editors put in it (one notice a day per list and
editor, counting up). Nobody hears of their own doing; names stay text; the owner can turn
the notices of papers off. Those who take notices by email get each notice emailed once (real
SMTP sink), through the digest run."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store.community import notifications, unseen_count, user_notifications
from paperfeed.store.digest_tables import outbox
from paperfeed.store.library import Collection, user_collections
from tests.digest_support import Sink
from tests.web_support import DAYS, client, on_day, post_form, sign_up

OWNER, EDITOR = 1, 2  # user ids in the order the tests sign them up
NAME = "Team <i>reading</i>"  # markup stays text wherever it is shown


def _team(engine: Engine, owner: TestClient, editor: TestClient) -> Collection:
    """eddie edits olive's public list NAME."""
    sign_up(owner, "olive")
    sign_up(editor, "eddie")
    post_form(owner, "/collections", {"name": NAME, "visibility": "public"})
    with engine.connect() as conn:
        (found,) = user_collections(conn, OWNER)
    assert post_form(owner, f"/collections/{found.id}/editors", {"username": "eddie"}).is_redirect
    return found


def _notices(c: TestClient) -> list[str]:
    """The notices the notifications page shows (opening it marks them seen)."""
    page = c.get("/notifications").text
    return re.findall(r'<article class="comment notice-list[^"]*">(.*?)</article>', page, re.S)


def _kinds(engine: Engine, user_id: int) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        found = user_notifications(conn, user_id)
    return [(n.kind, n.team.papers) for n in found if n.team]


def _offer(owner: TestClient, group: Collection) -> None:
    sent = {"username": "eddie", "stay": "1", "confirmed": "1"}
    assert post_form(owner, f"/collections/{group.id}/owner", sent).is_redirect


def test_the_editor_hears_of_the_offer_and_the_owner_of_the_answer(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie)
        _offer(olive, group)
        assert 'aria-label="Notifications: 1 new"' in eddie.get("/").text
        (told,) = _notices(eddie)
        assert "offered you the shared list" in told
        assert "“Team &lt;i&gt;reading&lt;/i&gt;”" in told and "<i>" not in told
        assert f'href="/library?collection={group.id}#offer"' in told
        assert _kinds(engine, OWNER) == []  # not told of her own offer
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        (answer,) = _notices(olive)
        assert "eddie</a> declined to take over your shared list" in answer
        assert ": it stays yours" in answer
        assert "No longer offered to you." in _notices(eddie)[0]  # declined: no link
        _offer(olive, group)
        link = "Accept or decline the offer of “Team &lt;i&gt;reading&lt;/i&gt;”</a>"
        assert link in _notices(eddie)[0]  # a link of its own for each list offered
        assert post_form(eddie, f"/collections/{group.id}/owner/accept", {}).is_redirect
        assert _kinds(engine, OWNER) == [("offer_accepted", 0), ("offer_declined", 0)]
        assert "took over your shared list" in _notices(olive)[0]
        assert [k for k, _ in _kinds(engine, EDITOR)] == ["list_offer", "list_offer"]


def test_papers_editors_put_in_are_told_to_the_owner_once_a_day(
    site: Settings, engine: Engine
) -> None:
    pids = sorted(on_day(engine, DAYS[0]))[:5]
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie)
        post_form(olive, f"/papers/{pids[0]}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER) == []  # her own paper: nothing to tell
        for pid in pids[:3]:  # one of them in it already: two put in
            post_form(eddie, f"/papers/{pid}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER) == [("list_added", 2)]
        (told,) = _notices(olive)
        assert "added 2 papers to" in told and f'href="/library?collection={group.id}"' in told
        with engine.connect() as conn:
            assert unseen_count(conn, OWNER) == 0
        put = eddie.put(f"/api/me/collections/{group.id}/papers/{pids[3]}", headers=_api(eddie))
        assert put.is_success
        with engine.connect() as conn:
            assert unseen_count(conn, OWNER) == 1  # the day's notice, unread again
        assert _kinds(engine, OWNER) == [("list_added", 3)]
        with engine.begin() as conn:  # the notice was yesterday's
            rows = conn.execute(select(notifications.c.id, notifications.c.created_at)).all()
            for nid, at in rows:
                went = update(notifications).where(notifications.c.id == nid)
                conn.execute(went.values(created_at=at - timedelta(days=1)))
        post_form(eddie, f"/papers/{pids[4]}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER) == [("list_added", 1), ("list_added", 3)]
        assert _kinds(engine, EDITOR) == []


def test_the_owner_can_turn_the_notices_of_papers_off(site: Settings, engine: Engine) -> None:
    pids = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as olive, client(site, engine) as eddie:
        group = _team(engine, olive, eddie)
        form = olive.get("/settings/profile").text
        assert 'id="notify_lists" name="notify_lists" value="1" checked' in form
        keep = {"notify_replies": "1", "notify_email": "1"}  # the list box left unticked
        assert post_form(olive, "/settings/profile", keep).is_redirect
        assert (
            'id="notify_lists" name="notify_lists" value="1">'
            in olive.get("/settings/profile").text
        )
        post_form(eddie, f"/papers/{pids[0]}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER) == []
        assert post_form(olive, "/settings/profile", keep | {"notify_lists": "1"}).is_redirect
        post_form(eddie, f"/papers/{pids[1]}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER) == [("list_added", 1)]
        _offer(olive, group)  # an offer is told whatever the switch
        assert _kinds(engine, EDITOR) == [("list_offer", 0)]
        sure = {"confirmed": "1"}
        assert post_form(olive, f"/collections/{group.id}/delete", sure).is_redirect
        with engine.connect() as conn:  # the list gone, its notices with it
            assert user_notifications(conn, OWNER) == []
            assert unseen_count(conn, EDITOR) == 0


def _api(c: TestClient, name: str = "eddie") -> dict[str, str]:
    got = c.post("/api/login", json={"username": name, "password": "correct horse battery"})
    return {"Authorization": f"Bearer {got.json()['token']}"}


BASE = "http://testserver"


def _subscribe(c: TestClient, sink: Sink, name: str) -> str:
    """The account's address, subscribed while signed in (linked to it) and confirmed."""
    address = f"{name}@example.org"
    r = c.post("/api/subscribe", json={"email": address}, headers=_api(c, name))
    assert r.status_code == 202, r.text
    link = re.search(rf"{BASE}(/\S*confirm\S*)", _part(sink.to(address)[-1], "plain"))
    assert link, _part(sink.to(address)[-1], "plain")
    assert c.post(link[1]).status_code == 200
    return address


def _part(mail: EmailMessage, kind: str) -> str:
    body = mail.get_body((kind,))
    assert body is not None
    return str(body.get_content())


def _emailed(engine: Engine, s: Settings, sink: Sink, address: str) -> list[EmailMessage]:
    """The notice emails the address has after a digest run (digests left out)."""
    run_due(engine, s, SmtpMailer(s))
    return [m for m in sink.to(address) if "/notices/stop" in str(m["List-Unsubscribe"] or "")]


def test_team_list_notices_are_emailed_once_each(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    # They reached the notifications page only, while replies and mentions were emailed.
    change = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    s = site.model_copy(update=change | {"base_url": BASE})
    pids = sorted(on_day(engine, DAYS[0]))[:4]
    with client(s, engine) as olive, client(s, engine) as eddie:
        group = _team(engine, olive, eddie)
        to_olive, to_eddie = _subscribe(olive, sink, "olive"), _subscribe(eddie, sink, "eddie")
        _offer(olive, group)
        (offered,) = _emailed(engine, s, sink, to_eddie)
        assert offered["Subject"] == "olive offered you the shared list “Team <i>reading</i>”"
        html = _part(offered, "html")
        assert "comments on your papers and your shared reading lists." in html  # why it came
        assert "“Team &lt;i&gt;reading&lt;/i&gt;”" in html and "<i>" not in html  # text
        assert f"{BASE}/library?collection={group.id}#offer" in _part(offered, "plain")
        assert _emailed(engine, s, sink, to_olive) == []  # not told of her own offer
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        (answer,) = _emailed(engine, s, sink, to_olive)
        assert str(answer["Subject"]).startswith("eddie declined to take over your shared list")
        assert "reading</i>”: it stays yours." in " ".join(_part(answer, "plain").split())
        for pid in pids[:2]:
            post_form(eddie, f"/papers/{pid}/save", {"into": str(group.id), "next": "/"})
        added = _emailed(engine, s, sink, to_olive)[1:]
        assert [m["Subject"] for m in added] == [
            "eddie added 2 papers to your shared list “Team <i>reading</i>”"
        ]
        assert f"{BASE}/library?collection={group.id}" in _part(added[0], "plain")
        post_form(eddie, f"/papers/{pids[2]}/save", {"into": str(group.id), "next": "/"})
        assert len(_emailed(engine, s, sink, to_olive)) == 2  # one email a day per list, editor
        assert len(_emailed(engine, s, sink, to_eddie)) == 1  # each notice emailed once
        # Notice emails off in the profile (the site's notices of papers kept on): none more.
        keep = {"notify_replies": "1", "notify_lists": "1"}
        assert post_form(olive, "/settings/profile", keep).is_redirect
        with engine.begin() as conn:  # the day's notice was yesterday's
            day = notifications.c.kind == "list_added"
            for nid, at in conn.execute(select(notifications.c.id, notifications.c.created_at)):
                went = update(notifications).where(day, notifications.c.id == nid)
                conn.execute(went.values(created_at=at - timedelta(days=1)))
        post_form(eddie, f"/papers/{pids[3]}/save", {"into": str(group.id), "next": "/"})
        assert _kinds(engine, OWNER)[0] == ("list_added", 1)  # told on the site
        assert len(_emailed(engine, s, sink, to_olive)) == 2


def test_a_list_offered_again_the_same_day_is_emailed_once(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    # Offered, declined and offered again, the editor got an email each time.
    change = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    s = site.model_copy(update=change | {"base_url": BASE})
    with client(s, engine) as olive, client(s, engine) as eddie:
        group = _team(engine, olive, eddie)
        to_eddie = _subscribe(eddie, sink, "eddie")
        _offer(olive, group)
        assert len(_emailed(engine, s, sink, to_eddie)) == 1
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        _offer(olive, group)
        assert len(_emailed(engine, s, sink, to_eddie)) == 1  # not again today
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        _offer(olive, group)  # offered twice between two runs: still none more
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        _offer(olive, group)
        assert len(_emailed(engine, s, sink, to_eddie)) == 1
        assert _kinds(engine, EDITOR) == [("list_offer", 0)] * 4  # the site shows each
        with engine.begin() as conn:  # the offers and their email were yesterday's
            for nid, at in conn.execute(select(notifications.c.id, notifications.c.created_at)):
                went = update(notifications).where(notifications.c.id == nid)
                conn.execute(went.values(created_at=at - timedelta(days=1)))
            day = at.date()
            for oid, period in conn.execute(select(outbox.c.id, outbox.c.period)):
                past = period.replace(str(day), str(day - timedelta(days=1)))
                conn.execute(update(outbox).where(outbox.c.id == oid).values(period=past))
        assert post_form(eddie, f"/collections/{group.id}/owner/decline", {}).is_redirect
        _offer(olive, group)  # a new day: emailed
        again = _emailed(engine, s, sink, to_eddie)
        assert [m["Subject"] for m in again[1:]] == [
            "olive offered you the shared list “Team <i>reading</i>”"
        ]
