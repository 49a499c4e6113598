"""A report sent twice (a double press on a slow connection, or the page sent again after a
dropped answer) is one report: the moderators' queue lists the reader once, with the reason first
sent; another reader's report still counts. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_comment, comment_reports, open_reports, report_comment
from paperfeed.store.tables import papers
from paperfeed.web.auth import hash_new_password
from tests.web_support import client, csrf_token, sign_up

PASSWORD = "correct horse battery"


def _comment(engine: Engine) -> tuple[str, int]:
    with engine.begin() as conn:
        pid = str(conn.scalar(select(papers.c.id).order_by(papers.c.id).limit(1)))
        author = create_user(conn, "loud", hash_new_password(PASSWORD)).id
        return pid, add_comment(conn, pid, author, "Buy my course", None)


def _reports(engine: Engine, cid: int) -> int:
    query = select(func.count()).where(comment_reports.c.comment_id == cid)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_a_report_recorded_twice_is_stored_once(engine: Engine) -> None:
    _, cid = _comment(engine)
    with engine.begin() as conn:
        reader = create_user(conn, "reader", hash_new_password(PASSWORD)).id
        other = create_user(conn, "other", hash_new_password(PASSWORD)).id
        report_comment(conn, cid, reader, "spam")
        report_comment(conn, cid, reader, "spam, again")  # the second press
        report_comment(conn, cid, other, "advert")
    assert _reports(engine, cid) == 2
    with engine.connect() as conn:
        (queued,) = open_reports(conn)
    assert queued.reports == [("reader", "spam"), ("other", "advert")]


def test_the_report_form_posted_twice_answers_both_and_stores_one(
    site: Settings, engine: Engine
) -> None:
    pid, cid = _comment(engine)
    with client(site, engine) as c:
        sign_up(c, "reader", PASSWORD)
        token = csrf_token(c, f"/papers/{pid}")
        form = {"csrf_token": token, "reason": "spam"}
        first = c.post(f"/comments/{cid}/report", data=form, follow_redirects=False)
        again = c.post(f"/comments/{cid}/report", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert f"reported={cid}" in again.headers["location"]
    assert _reports(engine, cid) == 1
