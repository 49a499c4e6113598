"""An author's first days on paperfeed: claiming papers (a namesake co-author included),
answering questions on them and being seen as the author wherever readers meet the answer; on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import set_admin
from paperfeed.store.community import claims_for_papers
from tests.digest_support import Sink
from tests.web_support import DAYS, client, on_day, sign_in_as

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


def _post(c: TestClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return c.post(path, data=data, follow_redirects=False)


def _claim_approved(
    c: TestClient,
    engine: Engine,
    who: str,
    pid: str,
    author: str,
    more: dict[str, str] | None = None,
) -> None:
    """`who` claims `author` on `pid` through the paper page; an admin approves it."""
    token = sign_in_as(c, who)
    data = {"author": author, "csrf_token": token} | (more or {})
    assert _post(c, f"/papers/{pid}/claim", data).status_code == 303
    claim = max(map(int, re.findall(r'/claims/(\d+)/withdraw"', c.get(f"/papers/{pid}").text)))
    token = sign_in_as(c, "moderator")
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
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    _claim_approved(c, engine, "writer", pid, author)
    question = _comment(c, sign_in_as(c, "reader"), pid, "Does it hold for small graphs?")
    token = sign_in_as(c, "writer")
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


NAMESAKES = Paper(
    id="2606.88888",
    title="Two Qi Zhangs Write a Paper",
    abstract="A paper whose author list names two different people called Qi Zhang.",
    authors=("Honglin Guo", "Qi Zhang", "Yu Zhang", "Qi Zhang"),
    categories=("cs.CL",),
    version=1,
    source="test",
    listing_date=DAYS[1],
)


def _authors_line(c: TestClient, pid: str) -> list[str]:
    """Each author of the paper page's list with what follows their name (a claimant's link)."""
    line = c.get(f"/papers/{pid}").text.split('id="authors">')[1].split("</p>")[0]
    return line.split(", ")


def test_two_namesakes_on_one_paper_claim_their_own_places(c: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [NAMESAKES])
    pid = NAMESAKES.id
    for name in ("qi-first", "qi-last", "moderator"):
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    token = sign_in_as(c, "qi-first")
    form = c.get(f"/papers/{pid}").text.split('id="claim-author"')[1].split("</select>")[0]
    assert '<option value="1">Qi Zhang (author 2 of 4)</option>' in form
    assert '<option value="3">Qi Zhang (author 4 of 4)</option>' in form
    assert '<option value="0">Honglin Guo</option>' in form  # a unique name needs no number
    _claim_approved(c, engine, "qi-first", pid, "", {"position": "1"})
    line = _authors_line(c, pid)
    assert "/users/qi-first" in line[1] and "/users/" not in line[3]  # not the namesake
    # The second Qi Zhang is offered their own place, claims it and is approved too.
    token = sign_in_as(c, "qi-last")
    form = c.get(f"/papers/{pid}").text.split('id="claim-author"')[1].split("</select>")[0]
    assert 'value="1"' not in form and '<option value="3">Qi Zhang (author 4 of 4)</option>' in form
    _claim_approved(c, engine, "qi-last", pid, "", {"position": "3"})
    line = _authors_line(c, pid)
    assert "/users/qi-first" in line[1] and "/users/qi-last" in line[3]
    assert "/users/" not in line[0] + line[2]
    assert c.get("/api/users/qi-last").json()["claimedPapers"] == [pid]
    # A form naming no such place, or another author's, is refused and stores nothing.
    token = sign_in_as(c, "moderator")
    for bad, says in (
        ({"position": "4"}, "2606.88888 lists 4 authors: there is no author 5"),
        ({}, "choose which of the paper's authors you are"),
        ({"position": "0", "author": "Qi Zhang"}, "author 1 of 2606.88888 is not 'Qi Zhang'"),
        ({"author": "Nobody"}, "'Nobody' is not an author"),
    ):
        refused = _post(c, f"/papers/{pid}/claim", bad | {"csrf_token": token})
        assert refused.status_code == 400 and says in unescape(refused.text), refused.text
    with engine.connect() as conn:
        assert len(claims_for_papers(conn, [pid])) == 2


def test_0018_gives_an_existing_claim_its_names_first_place(engine: Engine) -> None:
    """A claim made before claims named a place takes its name's first place in the list (as the
    paper page then marked it), and down again drops the column."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from paperfeed.store import migrate
    from paperfeed.store.accounts import create_user
    from paperfeed.store.db import _MIGRATIONS

    def alembic(action: str, revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            getattr(command, action)(config, revision)

    with engine.begin() as conn:
        upsert_papers(conn, [NAMESAKES])
        uid = create_user(conn, "qi", "x" * 60).id
    alembic("downgrade", "0017")
    assert "position" not in {c["name"] for c in inspect(engine).get_columns("author_claims")}
    with engine.begin() as conn:
        for author in ("Qi Zhang", "Yu Zhang", "Someone Else"):
            conn.execute(
                text(
                    "INSERT INTO author_claims (user_id, paper_id, author, status, reason,"
                    " created_at) VALUES (:u, :p, :a, 'approved', '', CURRENT_TIMESTAMP)"
                ),
                {"u": uid, "p": NAMESAKES.id, "a": author},
            )
    migrate(engine)
    with engine.connect() as conn:
        places = {c.author: c.position for c in claims_for_papers(conn, [NAMESAKES.id])}
    assert places == {"Qi Zhang": 1, "Yu Zhang": 2, "Someone Else": 0}
    alembic("downgrade", "0017")
    assert "position" not in {c["name"] for c in inspect(engine).get_columns("author_claims")}
    migrate(engine)


def test_an_authors_answer_is_emailed_as_the_authors(
    c: TestClient, engine: Engine, sink: Sink
) -> None:
    """A reader notified of replies learns which answer comes from the paper's author."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    author = c.get(f"/api/papers/{pid}").json()["authors"][0]["name"]
    for name in ("writer", "reader", "bystander", "moderator"):
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    _claim_approved(c, engine, "writer", pid, author)
    token = sign_in_as(c, "reader")
    asked = _post(
        c, "/subscribe", {"email": "reader@example.org", "frequency": "none", "csrf_token": token}
    )
    assert asked.status_code == 200, asked.text
    body = sink.to("reader@example.org")[-1].get_body(("plain",))
    assert body is not None
    [confirm] = re.findall(r"http://testserver(/confirm\S+)", str(body.get_content()))
    assert c.post(confirm).status_code == 200  # the confirm page's button
    question = _comment(c, token, pid, "Does it hold for small graphs?")
    _comment(c, sign_in_as(c, "bystander"), pid, "I wondered too.", parent=question)
    _comment(c, sign_in_as(c, "writer"), pid, "Yes: see the appendix.", parent=question)
    subjects = [str(m["Subject"]) for m in sink.to("reader@example.org")[1:]]
    assert [s.split(":")[0] for s in subjects] == [
        "bystander replied to your comment",
        "writer (an author of the paper) replied to your comment",
    ]


def test_the_readers_notifications_mark_the_authors_reply(c: TestClient, engine: Engine) -> None:
    pid = sorted(on_day(engine, DAYS[1]))[0]
    author = c.get(f"/api/papers/{pid}").json()["authors"][0]["name"]
    for name in ("writer", "reader", "bystander", "moderator"):
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    _claim_approved(c, engine, "writer", pid, author)
    question = _comment(c, sign_in_as(c, "reader"), pid, "Does it hold for small graphs?")
    _comment(c, sign_in_as(c, "bystander"), pid, "I wondered too.", parent=question)
    _comment(c, sign_in_as(c, "writer"), pid, "Yes: see the appendix.", parent=question)
    sign_in_as(c, "reader")
    page = c.get("/notifications").text
    heads = re.findall(r'<p class="comment-head">(.*?)</p>', page, re.S)
    marked = {re.search(r'href="/users/(\w+)"', h)[1]: BADGE in h for h in heads}  # type: ignore[index]
    assert marked == {"writer": True, "bystander": False}


def test_the_authors_own_code_link_comes_before_one_found_in_the_abstract(
    c: TestClient, engine: Engine
) -> None:
    """arXiv's metadata named a baseline's repository; the author adds the official one: the
    paper's Code button, its card, its GitHub facts and the API lead with the author's."""
    from dataclasses import replace

    from paperfeed.store.enrichment import RepoFacts, save_repo

    pid = "2606.88889"
    coded = replace(NAMESAKES, id=pid, code_links=("https://github.com/else/baseline",))
    with engine.begin() as conn:
        upsert_papers(conn, [coded])
        for name, stars in (("else/baseline", 9000), ("qi/official", 12)):
            facts = RepoFacts(name, stars, 1, "Python", "MIT", None)
            save_repo(conn, name, facts, None, DAYS[1])
    for name in ("writer", "moderator"):
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    _claim_approved(c, engine, "writer", pid, "Honglin Guo")
    token = sign_in_as(c, "writer")
    official = "https://github.com/qi/official"
    added = _post(c, f"/papers/{pid}/links", {"kind": "code", "url": official, "csrf_token": token})
    assert added.status_code == 303
    c.cookies.clear()  # what any reader sees
    page = c.get(f"/papers/{pid}").text
    buttons = re.findall(r'<a class="button code" href="([^"]+)"', page)
    assert buttons == [official, "https://github.com/else/baseline"]
    assert re.search(r"<dt>GitHub</dt><dd><a href=\"https://github.com/qi/official\"", page)
    day = c.get("/authors/honglin-guo").text  # a listing of cards
    card = day.split(f'href="/papers/{pid}"')[1].split("</article>")[0]
    assert re.findall(r'<a class="code" href="([^"]+)"', card) == [official]
    api = c.get(f"/api/papers/{pid}").json()
    assert api["codeLinks"][0] == official and api["githubRepo"] == "qi/official"
    md = c.get(f"/papers/{pid}.md").text  # what HfApi.read_paper reads: the same order
    assert f"- Code: {official}" in md and md.index(official) < md.index("else/baseline")


def test_the_moderator_sees_which_namesake_each_claim_is(c: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [NAMESAKES])
    for name in ("qi-first", "qi-last", "moderator"):
        sign_in_as(c, name, new=True)
    with engine.begin() as conn:
        set_admin(conn, "moderator", True)
    for who, place in (("qi-first", "1"), ("qi-last", "3")):
        token = sign_in_as(c, who)
        data = {"position": place, "csrf_token": token}
        assert _post(c, f"/papers/{NAMESAKES.id}/claim", data).status_code == 303
    sign_in_as(c, "moderator")
    page = unescape(re.sub(r"<[^>]+>", "", c.get("/admin/community").text))
    assert "qi-first says they are Qi Zhang (author 2 of the paper's list) on" in page
    assert "qi-last says they are Qi Zhang (author 4 of the paper's list) on" in page
    assert "accounts claim" not in page  # two authors, not rivals for one
