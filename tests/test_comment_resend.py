"""A comment sent again (a slow post pressed twice, or retried after a dropped connection lost
its answer) is posted once, and the resend lands on it. On SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store.community import comments
from paperfeed.store.listings import data_version
from tests.web_support import DAYS, client, on_day, post_form, sign_up


def _posted(engine: Engine, pid: str) -> list[tuple[str, int | None]]:
    query = select(comments.c.body, comments.c.parent_id).where(comments.c.paper_id == pid)
    with engine.connect() as conn:
        return [(r.body, r.parent_id) for r in conn.execute(query.order_by(comments.c.id))]


def _send(c: TestClient, pid: str, body: str, parent: int | None = None) -> str:
    data = {"body": body, "parent": "" if parent is None else str(parent)}
    sent = post_form(c, f"/papers/{pid}/comments", data)
    assert sent.status_code == 303, sent.text
    return str(sent.headers["location"])


def _id(location: str) -> int:
    return int(location.rsplit("#c", 1)[1])


def test_a_comment_sent_twice_is_posted_once(site: Settings, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        sign_up(c, "onatrain")
        first = _send(c, pid, "Does this hold\r\nfor small batches?")
        assert _send(c, pid, "Does this hold\nfor small batches?") == first  # same place
        assert _posted(engine, pid) == [("Does this hold\nfor small batches?", None)]
        top = _id(first)
        reply = _send(c, pid, "Thanks!", top)
        assert _send(c, pid, "Thanks!", top) == reply
        assert _id(_send(c, pid, "Thanks!", _id(reply))) != _id(reply)  # a reply to the reply
        assert _send(c, pid, "Thanks!", _id(reply)) != reply
        assert _id(_send(c, pid, "Thanks!")) not in (top, _id(reply))  # on the paper itself
        assert len(_posted(engine, pid)) == 4
        assert c.get(f"/papers/{pid}").text.count("<p>Thanks!</p>") == 3


def test_the_same_words_after_a_deletion_or_by_another_reader_are_new(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        sign_up(c, "first")
        gone = _id(_send(c, pid, "+1"))
        assert post_form(c, f"/comments/{gone}/delete", {"confirmed": "1"}).status_code == 303
        again = _id(_send(c, pid, "+1"))
        assert again != gone
    with client(site, engine) as c:
        sign_up(c, "second")
        assert _id(_send(c, pid, "+1")) not in (gone, again)
    query = select(func.count()).where(comments.c.paper_id == pid, comments.c.deleted.is_(False))
    with engine.connect() as conn:
        assert conn.execute(query).scalar_one() == 2


def test_a_resend_leaves_cached_pages_as_they_are(site: Settings, engine: Engine) -> None:
    """A resend posts nothing and is not rate limited, so it must not mark the site changed: a
    loop of resends emptied every cached page at each request."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(site, engine) as c:
        sign_up(c, "looper")
        first = _send(c, pid, "Same words again")
        with engine.connect() as conn:
            before = data_version(conn)
        for _ in range(3):
            assert _send(c, pid, "Same words again") == first
        with engine.connect() as conn:
            assert data_version(conn) == before
        _send(c, pid, "New words")  # a new comment still marks pages stale
        with engine.connect() as conn:
            assert data_version(conn) != before
