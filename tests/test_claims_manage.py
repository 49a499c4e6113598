"""Managing author claims (withdrawing, revoking, rival claims, one paper per claim) and hiding
any comment as a moderator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from html import escape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store import get_paper, upsert_papers
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.community import (
    add_claim,
    claims_by_user,
    decide_claim,
    get_claim,
)
from paperfeed.store.jobs import recent_actions
from tests.digest_support import Sink
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, sign_in_as, sign_up

PASSWORD = "correct horse battery"
BASE = "http://testserver"


@pytest.fixture
def s(site: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "m" * 32}
    return site.model_copy(update=update | {"base_url": BASE})


@pytest.fixture
def c(s: Settings, engine: Engine) -> Iterator[TestClient]:
    with client(s, engine) as test_client:
        yield test_client


def _pids(engine: Engine) -> list[str]:
    return sorted(on_day(engine, DAYS[1]))


def _uid(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def _admin(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        set_admin(conn, name, True)


def _post(c: TestClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return c.post(path, data=data, follow_redirects=False)


def _claim(c: TestClient, token: str, pid: str, author: str) -> int:
    done = _post(c, f"/papers/{pid}/claim", {"author": author, "csrf_token": token})
    assert done.status_code == 303, done.text
    return max(int(i) for i in re.findall(r'/claims/(\d+)/withdraw"', c.get(f"/papers/{pid}").text))


def _author(c: TestClient, pid: str, n: int = 0) -> str:
    return str(c.get(f"/api/papers/{pid}").json()["authors"][n]["name"])


def _status(engine: Engine, claim_id: int) -> str:
    with engine.connect() as conn:
        found = get_claim(conn, claim_id)
    assert found is not None
    return found.status


def _log(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [f"{a.who}: {a.action} {a.target}" for a in recent_actions(conn)]


def test_a_claimant_withdraws_a_pending_then_an_approved_claim_and_may_claim_again(
    c: TestClient, engine: Engine
) -> None:
    pid = _pids(engine)[0]
    author = _author(c, pid)
    token = sign_in_as(c, "claimer", new=True)
    first = _claim(c, token, pid, author)
    box = c.get(f"/papers/{pid}").text.split('id="claim"')[1].split("</details>")[0]
    assert "is pending review" in box and f'action="/claims/{first}/withdraw"' in box
    assert 'data-confirm="Withdraw your claim' in box  # JavaScript asks first ...
    # ... and without it the site asks, changing nothing yet.
    asked = _post(c, f"/claims/{first}/withdraw", {"csrf_token": token})
    assert asked.status_code == 200 and "Are you sure?" in asked.text
    assert f"Withdraw your claim to be {escape(author, quote=True)} on {pid}?" in asked.text
    assert 'name="confirmed" value="1"' in asked.text and _status(engine, first) == "pending"
    done = _post(c, f"/claims/{first}/withdraw", {"csrf_token": token, "confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/papers/{pid}#claim"
    assert _status(engine, first) == "withdrawn"
    page = c.get(f"/papers/{pid}").text
    assert f"You withdrew your claim as {escape(author)}" in page
    assert f'action="/papers/{pid}/claim"' in page  # the name is offered again
    # Claimed again and approved: withdrawing takes the paper off the profile and the link.
    second = _claim(c, token, pid, author)
    assert second != first
    token = sign_in_as(c, "mod", new=True)
    _admin(engine, "mod")
    _post(c, f"/admin/claims/{second}", {"decision": "approve", "csrf_token": token})
    assert _status(engine, second) == "approved"
    token = sign_in_as(c, "claimer")
    assert 'href="/users/claimer"' in c.get(f"/papers/{pid}").text.split('id="authors"')[1][:2000]
    assert c.get("/api/users/claimer").json()["claimedPapers"] == [pid]
    profile = c.get("/users/claimer").text
    assert f'action="/claims/{second}/withdraw"' in profile  # from the profile, too
    done = _post(
        c,
        f"/claims/{second}/withdraw",
        {"csrf_token": token, "confirmed": "1", "next": "/users/claimer"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/users/claimer"
    assert c.get("/api/users/claimer").json()["claimedPapers"] == []
    assert "None claimed." in c.get("/users/claimer").text
    authors = c.get(f"/papers/{pid}").text.split('id="authors"')[1].split("</p>")[0]
    assert "/users/claimer" not in authors
    assert _status(engine, second) == "withdrawn"
    # The notification of the approval says it is over, and offers no withdraw any more.
    told = c.get("/notifications").text
    assert "was approved" in told and "Since withdrawn by you" in told
    assert f"/claims/{second}/withdraw" not in told
    # An admin cannot approve a withdrawn claim from a stale page.
    token = sign_in_as(c, "mod")
    stale = _post(c, f"/admin/claims/{second}", {"decision": "approve", "csrf_token": token})
    assert stale.status_code == 409 and "was withdrawn" in stale.text
    assert _status(engine, second) == "withdrawn"


def test_withdrawing_from_the_notifications_page(c: TestClient, engine: Engine) -> None:
    pid = _pids(engine)[0]
    sign_up(c, "nia", PASSWORD)
    with engine.begin() as conn:
        claim = add_claim(conn, _uid(engine, "nia"), pid, "Someone")
        decide_claim(conn, claim, True, "")
    token = csrf_token(c, "/")
    told = c.get("/notifications").text
    assert f'action="/claims/{claim}/withdraw"' in told and 'value="/notifications"' in told
    data = {"csrf_token": token, "next": "/notifications", "confirmed": "1"}
    done = _post(c, f"/claims/{claim}/withdraw", data)
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    assert _status(engine, claim) == "withdrawn"


def test_withdrawing_refuses_what_it_cannot_do(c: TestClient, engine: Engine) -> None:
    pid = _pids(engine)[0]
    author = _author(c, pid)
    token = sign_in_as(c, "owner", new=True)
    claim = _claim(c, token, pid, author)
    missing = _post(c, "/claims/999999/withdraw", {"csrf_token": token, "confirmed": "1"})
    assert missing.status_code == 404 and "no claim 999999" in missing.text
    forged = _post(c, f"/claims/{claim}/withdraw", {"confirmed": "1"})  # no CSRF token
    assert forged.status_code == 403 and "form expired" in forged.text
    bad_next = {"csrf_token": token, "confirmed": "1", "next": "https://evil.example/"}
    assert _post(c, f"/claims/{claim}/withdraw", bad_next).headers["location"] == "/"
    twice = _post(c, f"/claims/{claim}/withdraw", {"csrf_token": token, "confirmed": "1"})
    assert twice.status_code == 409 and "withdrawn already" in twice.text
    asked_again = _post(c, f"/claims/{claim}/withdraw", {"csrf_token": token})
    assert asked_again.status_code == 409  # no question about what cannot be done
    again = _claim(c, token, pid, author)
    token = sign_in_as(c, "other", new=True)
    theirs = _post(c, f"/claims/{again}/withdraw", {"csrf_token": token, "confirmed": "1"})
    assert theirs.status_code == 403 and "not yours" in theirs.text
    assert _status(engine, again) == "pending"
    assert c.post("/claims/0/withdraw", data={"csrf_token": token}).status_code == 400
    c.cookies.clear()
    token = csrf_token(c, "/")
    signed_out = _post(c, f"/claims/{again}/withdraw", {"csrf_token": token, "confirmed": "1"})
    assert 300 <= signed_out.status_code < 500 and _status(engine, again) == "pending"


def _notices(sink: Sink, address: str) -> list[EmailMessage]:
    return [m for m in sink.to(address) if "/notices/stop" in str(m["List-Unsubscribe"] or "")]


def _subscribe(c: TestClient, sink: Sink, auth: dict[str, str], address: str) -> None:
    r = c.post("/api/subscribe", json={"email": address}, headers=auth)
    assert r.status_code == 202, r.text
    text = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [link] = re.findall(rf"{re.escape(BASE)}(/\S*confirm\S*)", text)
    assert "You are subscribed" not in c.get(link).text  # opening the link only asks
    assert "You are subscribed" in c.post(link).text


def test_admins_see_approved_claims_and_revoke_them_with_a_reason(
    c: TestClient, engine: Engine, sink: Sink
) -> None:
    pid = _pids(engine)[0]
    _subscribe(c, sink, bearer(c, "kay", PASSWORD), "kay@example.org")
    with engine.begin() as conn:
        claim = add_claim(conn, _uid(engine, "kay"), pid, "Someone <b>")
        decide_claim(conn, claim, True, "")
    token = sign_in_as(c, "mod", new=True)
    _admin(engine, "mod")
    queue = c.get("/admin/community").text
    listed = queue.split('id="approved-claims"')[1].split("<h2>")[0]
    assert f'id="approved{claim}"' in listed and 'href="/users/kay"' in listed
    assert "Someone &lt;b&gt;" in listed and f'href="/papers/{pid}"' in listed
    assert re.search(r"approved \d{4}-\d\d-\d\d \d\d:\d\d", listed)
    assert f'action="/admin/claims/{claim}/revoke"' in listed and "data-confirm=" in listed
    no_reason = _post(c, f"/admin/claims/{claim}/revoke", {"csrf_token": token, "confirmed": "1"})
    assert no_reason.status_code == 400 and "say why" in no_reason.text
    asked = _post(c, f"/admin/claims/{claim}/revoke", {"csrf_token": token, "reason": "not them"})
    assert (
        asked.status_code == 200 and "Revoke kay&#39;s claim to be Someone &lt;b&gt;" in asked.text
    )
    assert 'name="reason" value="not them"' in asked.text and _status(engine, claim) == "approved"
    data = {"csrf_token": token, "reason": "not them", "confirmed": "1"}
    done = _post(c, f"/admin/claims/{claim}/revoke", data)
    assert done.status_code == 303 and _status(engine, claim) == "revoked"
    assert "mod: revoke claim kay as Someone <b> on " + pid + " (not them)" in _log(engine)
    assert f'id="approved{claim}"' not in c.get("/admin/community").text
    twice = _post(c, f"/admin/claims/{claim}/revoke", data)
    assert twice.status_code == 409 and "this one is revoked" in twice.text
    # The claimant is told on the site and by email, and the paper left their profile.
    [mail] = _notices(sink, "kay@example.org")
    assert str(mail["Subject"]).startswith("Your claim as Someone <b> was revoked: ")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "The moderator said: not them" in text and "rejected" not in text
    assert "revoked your approved claim to be Someone <b>" in text
    shown = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "revoked your approved claim" in shown and "rejected" not in shown
    sign_in_as(c, "kay")
    told = c.get("/notifications").text
    assert "revoked by a moderator" in told and "The moderator said: not them" in told
    assert c.get("/api/users/kay").json()["claimedPapers"] == []
    assert "was revoked by a moderator (not them)" in c.get(f"/papers/{pid}").text


def test_revoking_refuses_what_it_cannot_do(c: TestClient, engine: Engine) -> None:
    pid = _pids(engine)[0]
    sign_up(c, "kim", PASSWORD)
    with engine.begin() as conn:
        waiting = add_claim(conn, _uid(engine, "kim"), pid, "Someone")
        approved = add_claim(conn, _uid(engine, "kim"), pid, "Someone Else")
        decide_claim(conn, approved, True, "")
    data = {"csrf_token": csrf_token(c, "/"), "reason": "no", "confirmed": "1"}
    not_admin = _post(c, f"/admin/claims/{approved}/revoke", data)
    assert not_admin.status_code == 403 and "only an admin" in not_admin.text
    token = sign_in_as(c, "mod", new=True)
    _admin(engine, "mod")
    data["csrf_token"] = token
    assert _post(c, "/admin/claims/999999/revoke", data).status_code == 404
    pending = _post(c, f"/admin/claims/{waiting}/revoke", data)
    assert pending.status_code == 409 and "only an approved claim" in pending.text
    forged = _post(c, f"/admin/claims/{approved}/revoke", {"reason": "no", "confirmed": "1"})
    assert forged.status_code == 403 and _status(engine, approved) == "approved"


def test_rival_claims_on_one_name_are_shown_together(c: TestClient, engine: Engine) -> None:
    first, second = _pids(engine)[:2]
    author = _author(c, first)
    one = _claim(c, sign_in_as(c, "ann", new=True), first, author)
    two = _claim(c, sign_in_as(c, "ben", new=True), first, author)
    alone = _claim(c, csrf_token(c, "/"), second, _author(c, second))
    token = sign_in_as(c, "mod", new=True)
    _admin(engine, "mod")
    queue = c.get("/admin/community").text.split("<h2>Author claims</h2>")[1].split("<h2")[0]
    groups = queue.split('<article class="claim')[1:]
    assert len(groups) == 2
    [rivals] = [g for g in groups if f'id="claim{one}"' in g]
    assert f'id="claim{two}"' in rivals and "2 accounts claim" in rivals
    assert "approving one means rejecting the others" in rivals
    assert "Approve ann as" in rivals and "Approve ben as" in rivals  # each asks first
    [single] = [g for g in groups if f'id="claim{alone}"' in g]
    assert "accounts claim" not in single and "data-confirm" not in single
    _post(c, f"/admin/claims/{one}", {"decision": "approve", "csrf_token": token})
    queue = c.get("/admin/community").text.split("<h2>Author claims</h2>")[1].split("<h2")[0]
    [rivals] = [g for g in queue.split('<article class="claim')[1:] if f'id="claim{two}"' in g]
    assert f'id="claim{one}"' in rivals and "ann is approved already" in rivals
    assert f'action="/admin/claims/{one}"' not in rivals  # decided: only ben's waits
    clash = _post(c, f"/admin/claims/{two}", {"decision": "approve", "csrf_token": token})
    assert clash.status_code == 409 and "reject that claim first" in clash.text


def test_a_claim_links_its_author_name_on_its_own_paper_only(c: TestClient, engine: Engine) -> None:
    mine, other = "2606.99993", "2606.99994"
    with engine.begin() as conn:
        paper = get_paper(conn, _pids(engine)[0])
        assert paper is not None
        both = [replace(paper, id=pid, authors=["Yang Li", "Ann Ode"]) for pid in (mine, other)]
        upsert_papers(conn, both)
    sign_up(c, "yang", PASSWORD)
    with engine.begin() as conn:
        decide_claim(conn, add_claim(conn, _uid(engine, "yang"), mine, "Yang Li"), True, "")
        assert [cl.paper_id for cl in claims_by_user(conn, _uid(engine, "yang"))] == [mine]

    # One approved claim says nothing of the other papers by a "Yang Li".
    def names(pid: str) -> str:
        return c.get(f"/papers/{pid}").text.split('id="authors"')[1].split("</p>")[0]

    assert 'href="/users/yang"' in names(mine) and 'href="/users/yang"' not in names(other)


def _comment(c: TestClient, pid: str, auth: dict[str, str], body: str) -> int:
    r = c.post(f"/api/papers/{pid}/comments", json={"body": body}, headers=auth)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_admins_hide_any_comment_saying_why(c: TestClient, engine: Engine) -> None:
    pid = _pids(engine)[0]
    cid = _comment(c, pid, bearer(c, "wendy", PASSWORD), "A rude <i>remark</i>")
    own = _comment(c, pid, bearer(c, "mod", PASSWORD), "My own note")
    _admin(engine, "mod")
    token = sign_in_as(c, "mod")
    page = c.get(f"/papers/{pid}").text
    assert f'action="/comments/{cid}/hide"' in page  # not reported: hidden all the same
    listed = c.get("/discussions").text  # the recent discussions offer it too
    assert f'action="/comments/{cid}/hide"' in listed
    assert f'action="/comments/{own}/hide"' not in listed
    assert 'name="next" value="/discussions?page=1"' in listed
    assert f'action="/comments/{own}/hide"' not in page  # one's own: delete it instead
    no_reason = _post(c, f"/comments/{cid}/hide", {"csrf_token": token, "confirmed": "1"})
    assert no_reason.status_code == 400 and "say why" in no_reason.text
    asked = _post(c, f"/comments/{cid}/hide", {"csrf_token": token, "reason": "rude <x>"})
    assert asked.status_code == 200 and "Hide wendy&#39;s comment on" in asked.text
    assert 'name="reason" value="rude &lt;x&gt;"' in asked.text
    assert "A rude" in c.get(f"/papers/{pid}").text  # asked, nothing done yet
    data = {"csrf_token": token, "reason": "rude <x>", "confirmed": "1"}
    done = _post(c, f"/comments/{cid}/hide", data)
    assert done.status_code == 303 and done.headers["location"] == f"/papers/{pid}#discussion"
    assert f"mod: hide comment {cid} by wendy on {pid} (rude <x>)" in _log(engine)
    assert "A rude" not in c.get(f"/papers/{pid}").text
    assert f'id="h{cid}"' in c.get("/admin/community").text  # listed to unhide
    twice = _post(c, f"/comments/{cid}/hide", data)
    assert twice.status_code == 404 and f"no comment {cid}" in twice.text
    assert _post(c, "/comments/999999/hide", data).status_code == 404
    forged = _post(c, f"/comments/{own}/hide", {"reason": "x", "confirmed": "1"})
    assert forged.status_code == 403
    token = sign_in_as(c, "wendy")
    not_admin = _post(c, f"/comments/{own}/hide", data | {"csrf_token": token})
    assert not_admin.status_code == 403 and "only an admin" in not_admin.text
    assert f'action="/comments/{own}/hide"' not in c.get(f"/papers/{pid}").text
    assert "/hide" not in c.get("/discussions").text  # not an admin: no hide anywhere


def test_the_log_of_the_report_queue_names_the_comment_author_and_paper(
    c: TestClient, engine: Engine
) -> None:
    pid = _pids(engine)[0]
    cid = _comment(c, pid, bearer(c, "wendy", PASSWORD), "Off topic")
    token = sign_in_as(c, "mod", new=True)
    _admin(engine, "mod")
    _post(c, f"/comments/{cid}/report", {"csrf_token": token, "reason": "spam"})
    _post(c, f"/comments/{cid}/moderate", {"csrf_token": token, "action": "hide"})
    _post(c, f"/comments/{cid}/moderate", {"csrf_token": token, "action": "show"})
    log = _log(engine)
    assert f"mod: hide comment {cid} by wendy on {pid}" in log
    assert f"mod: unhide comment {cid} by wendy on {pid}" in log


def test_the_author_page_marks_only_the_papers_a_claim_is_of(c: TestClient, engine: Engine) -> None:
    """Two papers by a "Yang Li", one claimed: the author page says so of that paper alone."""
    mine, other = "2606.99991", "2606.99992"
    with engine.begin() as conn:
        paper = get_paper(conn, _pids(engine)[0])
        assert paper is not None
        namesakes = [
            replace(paper, id=pid, authors=["Yang Li", "Ann Ode"]) for pid in (mine, other)
        ]
        upsert_papers(conn, namesakes)
    sign_up(c, "yang", PASSWORD)
    with engine.begin() as conn:
        decide_claim(conn, add_claim(conn, _uid(engine, "yang"), mine, "Yang Li"), True, "")
    page = c.get("/authors/yang-li").text
    assert 'href="/users/yang">yang</a> on paperfeed claimed 1 of these papers' in page
    assert "On paperfeed as" not in page

    def card(pid: str) -> str:
        start = page.index(f'data-id="{pid}"')
        return page[start : page.index("</article>", start)]

    assert 'Claimed by <a href="/users/yang">yang</a>' in card(mine)
    assert "Claimed by" not in card(other)
