"""Notes written in a shared reading list are told to its other members: an advisor's notes in
the student's list reach the student (and the list's other editors), the owner's reach its
editors; one notice a day per list, member and writer, counting the papers noted, a note
written again the same day not counted twice. Nobody hears of their own notes, nor of a note
removed or saved unchanged; a deleted or suspended account is told nothing, and the
`notify_lists` switch turns these notices off. The notice links to the list, where the note
shows, and is emailed once to those who take notices by email."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.collection_editors import write_note
from paperfeed.store.community import notifications, unseen_count, user_notifications
from paperfeed.store.library import (
    Collection,
    collection_items,
    get_collection,
    user_collections,
)
from paperfeed.util import utcnow
from tests.digest_support import Sink
from tests.web_support import DAYS, client, on_day, post_form, sign_up

STUDENT, ADVISOR, PEER = 1, 2, 3  # user ids in the order the tests sign them up
NAME = "Thesis <i>reading</i>"  # markup stays text wherever it is shown
BASE = "http://testserver"


@contextmanager
def _team(site: Settings, engine: Engine) -> Iterator[tuple[TestClient, ...]]:
    """sara's public list NAME, edited by her advisor alan and by pete, holding four papers:
    the three signed in, in that order."""
    with ExitStack() as stack:
        sara, alan, pete = (stack.enter_context(client(site, engine)) for _ in range(3))
        for c, name in ((sara, "sara"), (alan, "alan"), (pete, "pete")):
            sign_up(c, name)
        post_form(sara, "/collections", {"name": NAME, "visibility": "public"})
        group = _group(engine)
        for pid in _pids(engine):
            post_form(sara, f"/papers/{pid}/save", {"into": str(group.id), "next": "/"})
        for name in ("alan", "pete"):
            sent = {"username": name}
            assert post_form(sara, f"/collections/{group.id}/editors", sent).is_redirect
        yield sara, alan, pete


def _group(engine: Engine) -> Collection:
    with engine.connect() as conn:
        (found,) = user_collections(conn, STUDENT)
    return found


def _pids(engine: Engine) -> list[str]:
    return sorted(on_day(engine, DAYS[0]))[:4]


def _note(engine: Engine, user_id: int, pid: str, text: str) -> None:
    """The user writes the list's note on the paper, in the store."""
    with engine.begin() as conn:
        group = get_collection(conn, _group(engine).id)
        assert group is not None
        assert write_note(conn, user_id, group, pid, text)


def _kinds(engine: Engine, user_id: int) -> list[tuple[str, str, int]]:
    """The user's list notices, newest first: kind, who, papers."""
    with engine.connect() as conn:
        found = user_notifications(conn, user_id)
    return [(n.kind, n.team.who, n.team.papers) for n in found if n.team]


def _a_day_ago(engine: Engine) -> None:
    """Every notice and note so far was written yesterday."""
    n, c = notifications.c, collection_items.c
    with engine.begin() as conn:
        for nid, at in conn.execute(select(n.id, n.created_at)).all():
            went = update(notifications).where(n.id == nid)
            conn.execute(went.values(created_at=at - timedelta(days=1)))
        noted = select(c.collection_id, c.paper_id, c.note_at).where(c.note_at.is_not(None))
        for cid, pid, at in conn.execute(noted).all():
            went = update(collection_items).where(c.collection_id == cid, c.paper_id == pid)
            conn.execute(went.values(note_at=at - timedelta(days=1)))


def test_notes_are_told_to_the_lists_other_members_once_a_day(
    site: Settings, engine: Engine
) -> None:
    pids = _pids(engine)
    with _team(site, engine):
        _note(engine, ADVISOR, pids[0], "Read section 3 first")
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 1)]
        assert _kinds(engine, PEER) == [("list_notes", "alan", 1)]
        assert _kinds(engine, ADVISOR) == []  # not told of his own note
        with engine.begin() as conn:
            conn.execute(update(notifications).values(seen=True))
        _note(engine, ADVISOR, pids[0], "Read sections 3 and 4 first")  # the same paper
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 1)]
        with engine.connect() as conn:
            assert unseen_count(conn, STUDENT) == 1  # unread again: the note changed
        _note(engine, ADVISOR, pids[1], "Compare with the baseline")
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 2)]
        _note(engine, STUDENT, pids[2], "Skimmed")  # the owner's: told to both editors
        assert _kinds(engine, ADVISOR) == [("list_notes", "sara", 1)]
        assert _kinds(engine, PEER) == [("list_notes", "sara", 1), ("list_notes", "alan", 2)]
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 2)]
        _a_day_ago(engine)
        _note(engine, ADVISOR, pids[0], "Read sections 3, 4 and 5")  # yesterday's note
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 1), ("list_notes", "alan", 2)]


def test_no_notice_of_a_note_saved_unchanged_or_removed(site: Settings, engine: Engine) -> None:
    pids = _pids(engine)
    with _team(site, engine):
        _note(engine, ADVISOR, pids[0], "Read section 3 first")
        with engine.begin() as conn:
            conn.execute(update(notifications).values(seen=True))
        _note(engine, PEER, pids[0], "  Read section 3 first\n")  # kept as it was
        _note(engine, PEER, pids[0], "")  # removed
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 1)]
        with engine.connect() as conn:
            assert unseen_count(conn, STUDENT) == 0


def test_deleted_suspended_and_switched_off_members_are_told_nothing(
    site: Settings, engine: Engine
) -> None:
    pids = _pids(engine)
    with _team(site, engine) as (sara, alan, pete):
        keep = {"notify_replies": "1", "notify_email": "1"}  # the list box left unticked
        assert post_form(sara, "/settings/profile", keep).is_redirect
        sure = {"password": "correct horse battery"}
        assert post_form(pete, "/account/delete", sure).is_redirect
        _note(engine, ADVISOR, pids[0], "Read section 3 first")
        assert _kinds(engine, STUDENT) == []
        with engine.connect() as conn:
            assert conn.execute(select(users.c.deleted_at).where(users.c.id == PEER)).scalar()
        assert _kinds(engine, PEER) == []
        assert post_form(sara, "/settings/profile", keep | {"notify_lists": "1"}).is_redirect
        with engine.begin() as conn:
            suspended = update(users).where(users.c.id == ADVISOR)
            conn.execute(suspended.values(suspended_at=utcnow()))
        _note(engine, STUDENT, pids[1], "Skimmed")
        assert _kinds(engine, ADVISOR) == []
        _note(engine, ADVISOR, pids[2], "Read it")  # sara told again now her box is ticked
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 1)]


def _notices(c: TestClient) -> list[str]:
    """The list notices the notifications page shows (opening it marks them seen)."""
    page = c.get("/notifications").text
    return re.findall(r'<article class="comment notice-list[^"]*">(.*?)</article>', page, re.S)


def test_the_notice_links_to_the_list_where_the_note_shows(site: Settings, engine: Engine) -> None:
    pids = _pids(engine)
    with _team(site, engine) as (sara, alan, _pete):
        group = _group(engine)
        for pid, text in ((pids[0], "Read <b>section 3</b> first"), (pids[1], "Baseline")):
            sent = {"paper_id": pid, "note": text, "version": "0"}
            assert post_form(alan, f"/collections/{group.id}/note", sent).is_redirect
        assert 'aria-label="Notifications: 1 new"' in sara.get("/").text
        (told,) = _notices(sara)
        said = " ".join(re.sub(r"<[^>]+>", "", told).split())
        assert "alan wrote notes on 2 papers in “Thesis &lt;i&gt;reading&lt;/i&gt;”" in said
        assert f'<a href="/library?collection={group.id}">“Thesis' in told and "<i>" not in told
        listed = sara.get(f"/library?collection={group.id}").text
        assert "Read &lt;b&gt;section 3&lt;/b&gt; first" in listed and "<b>section" not in listed
        assert "note by alan" in listed
        assert _notices(alan) == []
        (kept,) = json.loads(sara.get("/account/export.json").text)["notifications"]
        assert (kept["kind"], kept["collection_id"], kept["papers"]) == ("list_notes", group.id, 2)
        sent = {"paper_id": pids[2], "note": "Skimmed", "version": "0"}
        assert post_form(sara, f"/collections/{group.id}/note", sent).is_redirect
        (one,) = _notices(alan)
        assert "sara</a> wrote a note on 1 paper in" in " ".join(one.split())


def _part(mail: EmailMessage, kind: str) -> str:
    body = mail.get_body((kind,))
    assert body is not None
    return str(body.get_content())


def _subscribe(c: TestClient, sink: Sink, name: str) -> str:
    """The account's address, subscribed while signed in (linked to it) and confirmed."""
    address = f"{name}@example.org"
    login = {"username": name, "password": "correct horse battery"}
    token = c.post("/api/login", json=login).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = c.post("/api/subscribe", json={"email": address}, headers=headers)
    assert r.status_code == 202, r.text
    link = re.search(rf"{BASE}(/\S*confirm\S*)", _part(sink.to(address)[-1], "plain"))
    assert link, _part(sink.to(address)[-1], "plain")
    assert c.post(link[1]).status_code == 200
    return address


def _emailed(engine: Engine, s: Settings, sink: Sink, address: str) -> list[EmailMessage]:
    """The notice emails the address has after a digest run (digests left out)."""
    run_due(engine, s, SmtpMailer(s))
    return [m for m in sink.to(address) if "/notices/stop" in str(m["List-Unsubscribe"] or "")]


def test_a_days_notes_are_emailed_once(site: Settings, engine: Engine, sink: Sink) -> None:
    change = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    s = site.model_copy(update=change | {"base_url": BASE})
    pids = _pids(engine)
    with _team(s, engine) as (sara, _alan, _pete):
        to_sara = _subscribe(sara, sink, "sara")
        _note(engine, ADVISOR, pids[0], "Read section 3 first")
        _note(engine, ADVISOR, pids[1], "Baseline")
        (told,) = _emailed(engine, s, sink, to_sara)
        subject = "alan wrote notes on 2 papers in the shared list “Thesis <i>reading</i>”"
        assert told["Subject"] == subject
        text = " ".join(_part(told, "plain").split())
        assert f"{BASE}/library?collection={_group(engine).id}" in text
        assert "Notes they write in it later today are counted on your notifications page" in text
        assert "“Thesis &lt;i&gt;reading&lt;/i&gt;”" in _part(told, "html")
        _note(engine, ADVISOR, pids[2], "Skimmed")
        assert len(_emailed(engine, s, sink, to_sara)) == 1  # one email a day per list, writer
        assert _kinds(engine, STUDENT) == [("list_notes", "alan", 3)]


def test_an_editor_removed_before_the_email_is_not_emailed_of_the_list(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    change = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "n" * 32}
    s = site.model_copy(update=change | {"base_url": BASE})
    pids = _pids(engine)
    with _team(s, engine) as (sara, alan, pete):
        to_alan, to_pete = _subscribe(alan, sink, "alan"), _subscribe(pete, sink, "pete")
        _note(engine, STUDENT, pids[0], "Read section 3 first")
        group = _group(engine).id
        sent = {"username": "alan", "remove": "1"}
        assert post_form(sara, f"/collections/{group}/editors", sent).is_redirect
        # alan no longer edits the list: its notice is not mailed to him; pete's is.
        assert _emailed(engine, s, sink, to_alan) == []
        (told,) = _emailed(engine, s, sink, to_pete)
        assert (
            told["Subject"]
            == "sara wrote a note on 1 paper in the shared list “Thesis <i>reading</i>”"
        )
