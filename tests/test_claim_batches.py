"""An author claiming several papers at once from an author page, and author pages of each
spelling of her name pointing to her profile; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.claim_batches import BatchReport, claim_papers, claim_states
from paperfeed.store.community import add_claim, claims_by_user, decide_claim, pending_claims
from paperfeed.store.listings import set_flags
from tests.web_support import client, csrf_token, sign_in_as, web_settings

PASSWORD = "correct horse battery"
DAY = date(2026, 6, 25)


def _paper(pid: str, title: str, *authors: str) -> Paper:
    return Paper(id=pid, title=title, authors=authors, categories=("cs.LG",), listing_date=DAY)


PAPERS = [
    _paper("2606.00001", "Sparse <script>alert(1)</script> attention", "Ann Lee", "José García"),
    _paper("2606.00002", "Dense retrieval", "José García"),
    _paper("2606.00003", "Rival's paper", "Jose Garcia", "Bo Chen"),
    _paper("2606.00004", "Not hers", "Ann Lee"),
    _paper("2606.00005", "Initialled", "J. García", "Ann Lee"),
]
MINE = ["2606.00001", "2606.00002"]


@pytest.fixture
def s(settings: Settings) -> Settings:
    return web_settings(settings).model_copy(update={"secret_key": "b" * 32})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, PAPERS)
    with client(s, engine) as test_client:
        yield test_client


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _rival_approved(engine: Engine) -> None:
    """rival is the approved Jose Garcia of 2606.00003."""
    with engine.begin() as conn:
        claim = add_claim(conn, _uid(engine, "rival"), "2606.00003", "Jose Garcia", 0)
        decide_claim(conn, claim, True, "")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_claiming_several_papers_reports_each(c: TestClient, engine: Engine) -> None:
    sign_in_as(c, "rival", new=True)
    sign_in_as(c, "jose", new=True)
    _rival_approved(engine)
    ids = [*MINE, "2606.00003", "2606.00004", "2606.09999", MINE[0]]
    uid = _uid(engine, "jose")
    with engine.begin() as conn:
        report = claim_papers(conn, uid, "jose garcia", ids)
    unlisted = ("2606.00004", "2606.09999")
    assert report == BatchReport(tuple(MINE), (), ("2606.00003",), unlisted)
    with engine.connect() as conn:
        waiting = {(p.paper_id, p.author, p.position) for p in pending_claims(conn)}
        states = claim_states(conn, uid, "jose garcia", [*MINE, "2606.00003", "2606.00004"])
    # Each is a claim of its own, of the name as the paper lists it, waiting for a moderator.
    assert waiting == {("2606.00001", "José García", 1), ("2606.00002", "José García", 0)}
    assert {pid: (st.state, st.status, st.username) for pid, st in states.items()} == {
        "2606.00001": ("yours", "pending", ""),
        "2606.00002": ("yours", "pending", ""),
        "2606.00003": ("taken", "approved", "rival"),
    }
    with engine.begin() as conn:  # asking again claims nothing twice
        again = claim_papers(conn, uid, "jose garcia", MINE)
    assert again == BatchReport((), tuple(MINE))


def test_ticking_papers_on_the_author_page_claims_them(c: TestClient, engine: Engine) -> None:
    sign_in_as(c, "rival", new=True)
    _rival_approved(engine)
    token = sign_in_as(c, "jose", new=True)
    page = c.get("/authors/jose-garcia").text
    form = page.split('id="claim-papers"')[1].split("</details>")[0]
    assert "<script>alert(1)" not in form and "&lt;script&gt;" in form  # a title stays text
    assert "claimed by rival" in _text(form) and 'value="2606.00003"' not in form
    data = {"csrf_token": token, "paper": [*MINE, "2606.00003"]}
    done = c.post("/authors/jose-garcia/claim", data=data, follow_redirects=False)
    assert done.status_code == 303 and "#" not in done.headers["location"]
    said = c.get(done.headers["location"]).text
    assert "Papers: 2 claimed, waiting for a moderator; 1 claimed by someone else." in said
    form = said.split('id="claim-papers"')[1].split("</details>")[0]
    assert _text(form).count("claimed by you, waiting for a moderator") == 2
    # The moderators decide each claim as a single one.
    with engine.connect() as conn:
        assert sorted(p.paper_id for p in pending_claims(conn)) == MINE


def test_all_on_the_page_claims_every_unclaimed_one(c: TestClient, engine: Engine) -> None:
    token = sign_in_as(c, "jose", new=True)
    c.post("/authors/jose-garcia/claim", data={"csrf_token": token, "paper": [MINE[0]]})
    page = c.get("/authors/jose-garcia").text
    listed = re.findall(r'name="listed" value="([^"]+)"', page)
    assert sorted(listed) == ["2606.00002", "2606.00003"]
    data = {"csrf_token": token, "listed": listed, "all": "1", "paper": []}
    said = c.post("/authors/jose-garcia/claim", data=data).text
    assert "Papers: 2 claimed, waiting for a moderator." in said
    with engine.connect() as conn:
        claimed = {cl.paper_id for cl in claims_by_user(conn, _uid(engine, "jose"))}
    assert claimed == {*MINE, "2606.00003"}


def test_bad_bulk_claims_are_refused_with_a_reason(c: TestClient) -> None:
    anonymous = csrf_token(c, "/signin")
    data = {"csrf_token": anonymous, "paper": MINE}
    refused = c.post("/authors/jose-garcia/claim", data=data, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")
    token = sign_in_as(c, "jose", new=True)
    nothing = c.post("/authors/jose-garcia/claim", data={"csrf_token": token})
    assert nothing.status_code == 400 and "tick the papers" in nothing.text
    forged = c.post("/authors/jose-garcia/claim", data={"paper": MINE})
    assert forged.status_code == 403
    odd = c.post("/authors/Jose-Garcia/claim", data={"csrf_token": token, "paper": MINE})
    assert odd.status_code == 404
    many = [f"2606.{n:05d}" for n in range(101)]
    too_many = c.post("/authors/jose-garcia/claim", data={"csrf_token": token, "paper": many})
    assert too_many.status_code == 400 and "at most 100" in too_many.text, too_many.text


def test_each_spelling_s_author_page_points_to_her_profile(c: TestClient, engine: Engine) -> None:
    sign_in_as(c, "jose", new=True)
    uid = _uid(engine, "jose")
    with engine.begin() as conn:
        claim_papers(conn, uid, "jose garcia", MINE)
        claim_papers(conn, uid, "j garcia", ["2606.00005"])
        for claim in claims_by_user(conn, uid):
            decide_claim(conn, claim.id, True, "")
    for slug, n in (("jose-garcia", 2), ("j-garcia", 1)):
        hero = c.get(f"/authors/{slug}").text.split('class="hero"')[1].split("</section>")[0]
        said = f"jose on paperfeed claimed {n} of these papers (marked below): this author's"
        assert said in _text(hero) and "All 3 papers jose authored" in _text(hero)
        assert 'href="/users/jose#authored"' in hero
    profile = c.get("/users/jose").text.split('id="authored"')[1].split("<h2")[0]
    assert {"Dense retrieval", "Initialled"} <= set(re.findall(r"[A-Z][a-z]+ ?[a-z]*", profile))
    assert _text(profile).count("as José García") == 2 and "as J. García" in _text(profile)
    names = re.findall(r'href="(/authors/[^"]+)"', profile)
    assert names == ["/authors/jose-garcia", "/authors/j-garcia"]  # each spelling's page


def test_an_author_page_counts_only_the_claimed_papers_a_visitor_sees(
    c: TestClient, engine: Engine
) -> None:
    sign_in_as(c, "jose", new=True)
    uid = _uid(engine, "jose")
    with engine.begin() as conn:
        claim_papers(conn, uid, "jose garcia", MINE)
        claim_papers(conn, uid, "j garcia", ["2606.00005"])
        for claim in claims_by_user(conn, uid):
            decide_claim(conn, claim.id, True, "")
        set_flags(conn, "2606.00002", hidden=True, featured=False)  # a moderator hid it
    c.cookies.clear()  # a visitor
    profile = c.get("/users/jose").text.split('id="authored"')[1].split("<h2")[0]
    assert _text(profile).count(" as ") == 2 and "Dense retrieval" not in profile
    hero = c.get("/authors/jose-garcia").text.split('class="hero"')[1].split("</section>")[0]
    said = "jose on paperfeed claimed 1 of these papers (marked below): this author's account."
    assert said in _text(hero) and "All 2 papers jose authored" in _text(hero)
    with engine.begin() as conn:
        set_flags(conn, "2606.00005", hidden=True, featured=False)
    hero = c.get("/authors/jose-garcia").text.split('class="hero"')[1].split("</section>")[0]
    assert "All 1 paper jose authored" in _text(hero)
