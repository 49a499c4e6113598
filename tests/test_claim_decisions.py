"""A moderator deciding one account's claims on one name at once from the queue, the claimant
told once for the batch; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.claim_batches import claim_papers
from paperfeed.store.claim_decisions import decide_claims
from paperfeed.store.community import claims_by_user, decide_claim, user_notifications
from paperfeed.store.jobs import recent_actions
from tests.test_claim_batches import PAPERS, _paper
from tests.web_support import client, sign_in_as, web_settings

MORE = [_paper(f"2606.001{i:02d}", f"Her paper {i} <b>bold</b>", "José García") for i in range(12)]


@pytest.fixture
def s(settings: Settings) -> Settings:
    return web_settings(settings).model_copy(update={"secret_key": "c" * 32})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, [*PAPERS, *MORE])
    with client(s, engine) as test_client:
        yield test_client


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _fourteen(c: TestClient, engine: Engine) -> list[int]:
    """jose claims José García on the 14 papers listing her; the claim ids, oldest first."""
    sign_in_as(c, "jose", new=True)
    pids = ["2606.00001", "2606.00002", *(p.id for p in MORE)]
    with engine.begin() as conn:
        assert len(claim_papers(conn, _uid(engine, "jose"), "jose garcia", pids).claimed) == 14
        return sorted(cl.id for cl in claims_by_user(conn, _uid(engine, "jose")))


def _moderator(c: TestClient, engine: Engine) -> str:
    sign_in_as(c, "mod", new=True)
    with engine.begin() as conn:
        set_admin(conn, "mod", True)
    return sign_in_as(c, "mod")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_deciding_several_claims_tells_the_claimant_once(c: TestClient, engine: Engine) -> None:
    ids = _fourteen(c, engine)
    with engine.begin() as conn:
        decide_claim(conn, ids[0], False, "not you")  # decided one by one before
        report = decide_claims(conn, [*ids, ids[1], 10**6], True, "")
        told = user_notifications(conn, _uid(engine, "jose"))
        again = decide_claims(conn, ids[:3], True, "")
    assert [cl.id for cl in report.decided] == ids[1:]
    assert report.already == (ids[0],) and report.missing == (10**6,)
    assert {cl.status for cl in report.decided} == {"approved"}
    # One notification for the 13 approved at once, beside the single rejection's.
    assert [(n.kind, n.papers) for n in told] == [("claim_approved", 13), ("claim_rejected", 0)]
    assert told[0].claim is not None and told[0].claim.id == ids[1]
    assert again.decided == () and again.already == tuple(ids[:3])


def test_a_moderator_approves_the_ticked_then_all_the_rest(c: TestClient, engine: Engine) -> None:
    ids = _fourteen(c, engine)
    token = _moderator(c, engine)
    page = c.get("/admin/community").text
    assert "jose</a> claims to be <b>José García</b> on 14 papers" in page
    assert "Her paper 3 &lt;b&gt;bold&lt;/b&gt;" in page  # a title's markup shown as text
    form = {"csrf_token": token, "decision": "reject", "ids": [str(i) for i in ids[:2]]}
    refused = c.post("/admin/community/claims", data=form)
    assert refused.status_code == 400 and "say why" in refused.text
    form |= {"decision": "approve"}
    done = c.post("/admin/community/claims", data=form)
    assert "Claims: 2 approved." in _text(done.text)
    rest = {"csrf_token": token, "decision": "approve-all", "batch": [str(i) for i in ids]}
    done = c.post("/admin/community/claims", data=rest)
    assert "Claims: 12 approved; 2 were already decided." in _text(done.text)
    assert "claims to be" not in done.text and "No claims waiting." in done.text
    with engine.connect() as conn:
        assert {cl.status for cl in claims_by_user(conn, _uid(engine, "jose"))} == {"approved"}
        assert len([a for a in recent_actions(conn, 50) if "approve claim" in str(a)]) == 14
    sign_in_as(c, "jose")
    told = _text(c.get("/notifications").text)
    assert "Your claims to be José García on 12 papers" in told
    assert "Your claims to be José García on 2 papers" in told


def test_bad_bulk_decisions_are_refused_with_a_reason(c: TestClient, engine: Engine) -> None:
    ids = _fourteen(c, engine)
    token = _moderator(c, engine)
    nothing = c.post("/admin/community/claims", data={"csrf_token": token, "decision": "approve"})
    assert nothing.status_code == 400 and "tick the claims" in nothing.text
    odd = {"csrf_token": token, "decision": "approve", "ids": ["x"]}
    assert c.post("/admin/community/claims", data=odd).status_code in (400, 422)
    forged = {"decision": "approve", "ids": [str(ids[0])]}
    assert c.post("/admin/community/claims", data=forged).status_code in (400, 403)
    sign_in_as(c, "jose")
    mine = {"csrf_token": sign_in_as(c, "jose"), "decision": "approve", "ids": [str(ids[0])]}
    assert c.post("/admin/community/claims", data=mine).status_code == 403
    with engine.connect() as conn:
        assert {cl.status for cl in claims_by_user(conn, _uid(engine, "jose"))} == {"pending"}
