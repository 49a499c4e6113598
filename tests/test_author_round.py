"""An author's first days on paperfeed: claiming papers (a namesake co-author included),
answering questions on them and being seen as the author wherever readers meet the answer; on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin
from tests.digest_support import Sink
from tests.web_support import DAYS, client, csrf_token, on_day, sign_up

PASSWORD = "correct horse battery"
BADGE = '<span class="badge" title="'


@pytest.fixture
def s(site: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "a" * 32}
    return site.model_copy(update=update | {"base_url": "http://testserver"})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(s, engine) as test_client:
        yield test_client


def _as(c: TestClient, name: str, new: bool = False) -> str:
    """Sign `name` in (up, when `new`) as the client's only account; its form token."""
    c.cookies.clear()
    if new:
        sign_up(c, name, PASSWORD)
    else:
        data = {"username": name, "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
        assert c.post("/signin", data=data, follow_redirects=False).status_code == 303
    return csrf_token(c, "/")


def _post(c: TestClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return c.post(path, data=data, follow_redirects=False)


def _claim_approved(c: TestClient, engine: Engine, who: str, pid: str, author: str) -> None:
    """`who` claims `author` on `pid` through the paper page; an admin approves it."""
    token = _as(c, who)
    assert (
        _post(c, f"/papers/{pid}/claim", {"author": author, "csrf_token": token}).status_code == 303
    )
    claim = max(map(int, re.findall(r'/claims/(\d+)/withdraw"', c.get(f"/papers/{pid}").text)))
    token = _as(c, "moderator")
    done = _post(c, f"/admin/claims/{claim}", {"decision": "approve", "csrf_token": token})
    assert done.status_code == 303, done.text


def _comment(c: TestClient, token: str, pid: str, body: str, parent: int | None = None) -> int:
    data = {"body": body, "csrf_token": token} | ({"parent": str(parent)} if parent else {})
    done = _post(c, f"/papers/{pid}/comments", data)
    assert done.status_code == 303, done.text
    return int(done.headers["location"].rsplit("#c", 1)[1])


def test_an_authors_answer_is_marked_as_the_authors_on_recent_discussions_and_profile(
    c: TestClient, engine: Engine
) -> None:
    pid, other = sorted(on_day(engine, DAYS[1]))[:2]
    author = c.get(f"/api/papers/{pid}").json()["authors"][0]["name"]
    for name in ("writer", "reader", "moderator"):
        _as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    _claim_approved(c, engine, "writer", pid, author)
    question = _comment(c, _as(c, "reader"), pid, "Does it hold for small graphs?")
    token = _as(c, "writer")
    answer = _comment(c, token, pid, "Yes: see the appendix.", parent=question)
    aside = _comment(c, token, other, "A reader's remark on someone else's paper.")
    c.cookies.clear()  # what any reader sees
    recent = c.get("/discussions").text
    heads = {
        int(i): h
        for i, h in re.findall(r'id="c(\d+)">\s*<p class="comment-head">(.*?)</p>', recent, re.S)
    }
    assert BADGE in heads[answer] and "author</span>" in heads[answer]
    assert BADGE not in heads[question] and BADGE not in heads[aside]  # not on another's paper
    profile = c.get("/users/writer").text.split("<h2>Comments</h2>")[1]
    items = re.findall(r'<article class="comment">(.*?)</article>', profile, re.S)
    marked = {f"#c{answer}" in i: BADGE in i for i in items}
    assert marked == {True: True, False: False}  # the answer marked, the aside not
