"""A held reply to a reply, approved by a moderator: the reply it answered is told "reply to
you" and the thread's top comment only of a reply in its thread, as when such a reply is not
held; SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, select

from paperfeed.store.accounts import users
from paperfeed.store.community import notified
from tests.test_held_comments import FOUR, People, _age, _held, _id, _post, _review, people
from tests.web_support import DAYS, on_day

__all__ = ["people"]  # the moderator, a reader and "fresh", each signed in


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = conn.scalar(select(users.c.id).where(users.c.username == name))
    assert found is not None
    return int(found)


def _told(engine: Engine, comment_id: int) -> dict[str, set[int]]:
    with engine.connect() as conn:
        return {kind: notified(conn, comment_id, kind) for kind in ("reply_to_you", "reply")}


def test_an_approved_reply_to_a_reply_tells_the_answered_one_as_a_reply_to_them(
    engine: Engine, people: People
) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]
    mod, reader, poster = people
    _age(engine, "fresh", 48)
    top = _id(_post(mod, pid, "A question about the method."))
    answer = _id(_post(reader, pid, "The appendix has it.", parent=top))
    keeper, reader_id = _user_id(engine, "keeper"), _user_id(engine, "reader")
    # unheld, a reply to the reader's reply tells the reader "reply to you"
    plain = _id(_post(poster, pid, "Thanks, found it.", parent=answer))
    assert _told(engine, plain) == {"reply_to_you": {reader_id}, "reply": {keeper}}
    held = _id(_post(poster, pid, f"More on it: {FOUR}", parent=answer))
    assert _held(engine, held)
    assert _told(engine, held) == {"reply_to_you": set(), "reply": set()}
    assert _review(mod, "approve", held).status_code == 303
    assert _told(engine, held) == {"reply_to_you": {reader_id}, "reply": {keeper}}
