"""A batch of claims decided at once is emailed to its claimant once, counting the papers as the
site's notification does (real SMTP sink); approving all of a batch that another account
rivals asks first, also without JavaScript; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.claim_batches import claim_papers
from paperfeed.store.community import Claim, add_claim, claims_by_user
from tests.digest_support import Sink
from tests.test_claim_batches import PAPERS
from tests.test_claim_decisions import MORE, _moderator, _text, _uid
from tests.test_web_notices import _notices, _subscribe
from tests.web_support import bearer, client

BASE = "http://testserver"
PIDS = ["2606.00001", "2606.00002", *(p.id for p in MORE)]


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    from tests.web_support import web_settings

    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "b" * 32}
    return web_settings(settings).model_copy(update=update | {"base_url": BASE})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with engine.begin() as conn:
        upsert_papers(conn, [*PAPERS, *MORE])
    with client(s, engine) as test_client:
        yield test_client


def _claimed(c: TestClient, sink: Sink, engine: Engine) -> list[int]:
    """jose, who takes notices by email, claims José García on 14 papers; the claim ids."""
    _subscribe(c, sink, bearer(c, "jose", "correct horse battery"), "jose@example.org")
    with engine.begin() as conn:
        assert len(claim_papers(conn, _uid(engine, "jose"), "jose garcia", PIDS).claimed) == 14
        return sorted(cl.id for cl in claims_by_user(conn, _uid(engine, "jose")))


def _parts(mail: EmailMessage) -> tuple[str, str]:
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return text, mail.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_a_batch_decision_is_one_email_counting_the_papers(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    ids = _claimed(c, sink, engine)
    token = _moderator(c, engine)
    reject = {"csrf_token": token, "decision": "reject", "reason": "<i>not</i> you"}
    c.post("/admin/community/claims", data=reject | {"ids": [str(i) for i in ids[:2]]})
    rest = {"csrf_token": token, "decision": "approve-all", "batch": [str(i) for i in ids]}
    c.post("/admin/community/claims", data=rest)
    rejected, approved = _notices(sink, "jose@example.org")  # one email a batch
    subject = str(rejected["Subject"])
    assert subject.startswith("Your claims to be José García on 2 papers (Sparse")
    assert subject.endswith("attention and 1 more) were rejected")
    text, html = _parts(rejected)
    assert "The moderator said: <i>not</i> you" in text and "<i>not" not in html  # inert
    assert "<script>" not in html and "and 1 more" in _text(html)
    assert "claim them again from your author page" in text
    subject = str(approved["Subject"])
    assert subject.startswith("Your claims to be José García on 12 papers (Her paper 0")
    assert subject.endswith("and 11 more) were approved")
    text, html = _parts(approved)
    assert "A moderator approved your claims to be José García on 12 papers." in text
    assert f"{BASE}/users/jose" in text and "and 11 more" in _text(html)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold" not in html  # the title as text
    footer = "replies to you, mentions, comments on your papers and your shared reading lists"
    assert footer in " ".join(text.split()) and footer in _text(html)


def test_a_single_claim_email_names_every_kind_of_notice(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    ids = _claimed(c, sink, engine)
    token = _moderator(c, engine)
    c.post(f"/admin/claims/{ids[0]}", data={"csrf_token": token, "decision": "approve"})
    [mail] = _notices(sink, "jose@example.org")
    assert str(mail["Subject"]).startswith("Your claim as José García was approved: ")
    text, _ = _parts(mail)
    assert "mentions, comments on your papers and your shared reading lists" in text


def test_approving_all_of_a_rivalled_batch_asks_first(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    ids = _claimed(c, sink, engine)
    bearer(c, "rival", "correct horse battery")
    with engine.begin() as conn:
        add_claim(conn, _uid(engine, "rival"), PIDS[5], "José García")
    token = _moderator(c, engine)
    page = c.get("/admin/community").text
    question = (
        "Approve jose as José García? The other claims on this name will then need rejecting."
    )
    assert f'data-confirm="{question}"' in page  # the button asks (site.js)
    rest = {"csrf_token": token, "decision": "approve-all", "batch": [str(i) for i in ids]}
    asked = c.post("/admin/community/claims", data=rest)  # without JavaScript: a page asks
    assert asked.status_code == 200 and question in _text(asked.text)
    assert 'name="confirmed" value="1"' in asked.text and 'value="approve-all"' in asked.text
    with engine.connect() as conn:
        assert {cl.status for cl in claims_by_user(conn, _uid(engine, "jose"))} == {"pending"}
    done = c.post("/admin/community/claims", data=rest | {"confirmed": "1"})
    assert "Claims: 14 approved." in _text(done.text)


def test_approving_a_ticked_rivalled_claim_asks_first(
    c: TestClient, sink: Sink, engine: Engine
) -> None:
    ids = _claimed(c, sink, engine)
    bearer(c, "rival", "correct horse battery")
    with engine.begin() as conn:
        add_claim(conn, _uid(engine, "rival"), PIDS[5], "José García")
    rivalled = next(cl.id for cl in _jose(engine) if cl.paper_id == PIDS[5])
    token = _moderator(c, engine)
    question = (
        "Approve jose as José García? The other claims on this name will then need rejecting."
    )
    assert f'data-confirm-named="{question}"' in c.get("/admin/community").text  # site.js
    ticked = {"csrf_token": token, "decision": "approve", "ids": [str(ids[0]), str(rivalled)]}
    asked = c.post("/admin/community/claims", data=ticked)  # without JavaScript: a page asks
    assert asked.status_code == 200 and question in _text(asked.text)
    assert (
        'name="confirmed" value="1"' in asked.text
        and f'name="ids" value="{rivalled}"' in asked.text
    )
    assert 'name="batch"' not in asked.text and "Approve ticked" in asked.text
    assert {cl.status for cl in _jose(engine)} == {"pending"}
    plain = c.post("/admin/community/claims", data=ticked | {"ids": [str(ids[0])]})
    assert "Claims: 1 approved." in _text(plain.text)  # no rival ticked: no question
    done = c.post(
        "/admin/community/claims", data=ticked | {"ids": [str(rivalled)], "confirmed": "1"}
    )
    assert "Claims: 1 approved." in _text(done.text)
    assert [cl.status for cl in _jose(engine)].count("approved") == 2


def _jose(engine: Engine) -> list[Claim]:
    with engine.connect() as conn:
        return claims_by_user(conn, _uid(engine, "jose"))
