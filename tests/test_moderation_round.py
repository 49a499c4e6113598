"""A moderator's round on a busy instance: spam accounts, suspensions and what they take with
them, paging through thousands of users, reports and log lines; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import NEW_ACCOUNT, create_user, set_admin, users
from paperfeed.store.community import (
    add_claim,
    add_comment,
    decide_claim,
    report_comment,
    save_profile,
    set_comment_vote,
)
from paperfeed.store.jobs import recent_actions, record_action
from paperfeed.util import utcnow
from paperfeed.web.auth import hash_new_password
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, sign_up

PASSWORD = "correct horse battery"


def _admin(c: TestClient, engine: Engine, name: str = "mod") -> str:
    """Sign `name` up as an admin in this client; its form token."""
    sign_up(c, name, PASSWORD)
    with engine.begin() as conn:
        set_admin(conn, name, True)
    return csrf_token(c, "/")


def _user_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(users.c.id).where(users.c.username == name)))


def _id(conn: Connection, name: str) -> int:
    return int(conn.scalar(select(users.c.id).where(users.c.username == name)))


def _suspend(c: TestClient, token: str, user_id: int, on: bool) -> None:
    data = {"suspended": str(int(on)), "confirmed": "1", "csrf_token": token}
    done = c.post(f"/admin/users/{user_id}/suspend", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text


def _comment_votes(c: TestClient, pid: str) -> dict[str, int]:
    return {t["body"]: t["upvotes"] for t in c.get(f"/api/papers/{pid}/comments").json()}


def _trending_ids(c: TestClient) -> list[str]:
    got = c.get("/api/daily_papers?sort=trending&limit=100")
    assert got.status_code == 200, got.text
    return [item["paper"]["id"] for item in got.json()]


def test_a_suspended_ring_leaves_counts_trending_and_discussions_until_lifted(
    site: Settings, engine: Engine
) -> None:
    """A vote ring of new accounts pushes one paper up and spams its discussion; suspending
    the accounts takes their upvotes (paper and comment), comments and counts off the site,
    and lifting a mistaken suspension brings back exactly that account's."""
    pid = sorted(on_day(engine, DAYS[2]))[-1]
    with client(site, engine) as c:
        ring = [bearer(c, f"ring{i}", PASSWORD) for i in range(4)]
        honest = bearer(c, "honest", PASSWORD)
        top = c.post(
            f"/api/papers/{pid}/comments", json={"body": "A careful reading."}, headers=honest
        )
        assert top.status_code == 201, top.text
        for i, auth in enumerate(ring):
            assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
            said = c.post(
                f"/api/papers/{pid}/comments", json={"body": f"BUY PILLS {i}"}, headers=auth
            )
            assert said.status_code == 201, said.text
        with engine.begin() as conn:  # the ring also lifts the comment it likes
            ring_names = users.c.username.like("ring%")  # and is older than a day: it counts
            conn.execute(update(users).where(ring_names).values(created_at=utcnow() - NEW_ACCOUNT))
            for i in range(4):
                set_comment_vote(conn, _user_id(engine, f"ring{i}"), top.json()["id"], True)
        before = c.get(f"/api/papers/{pid}").json()
        assert _comment_votes(c, pid)["A careful reading."] == 4
        assert _trending_ids(c)[0] == pid
        token = _admin(c, engine)
        for i in range(4):
            _suspend(c, token, _user_id(engine, f"ring{i}"), True)
        after = c.get(f"/api/papers/{pid}").json()
        assert after["upvotes"] == before["upvotes"] - 4
        assert after["numComments"] == 1
        assert _comment_votes(c, pid) == {"A careful reading.": 0}  # and nothing else
        assert _trending_ids(c)[0] != pid
        assert "BUY PILLS" not in c.get(f"/papers/{pid}").text
        assert "BUY PILLS" not in c.get("/discussions").text
        assert "BUY PILLS" not in c.get("/feeds/discussions.atom").text
        assert "BUY PILLS" not in TestClient(c.app).get("/users/ring0").text  # a reader's view
        assert "BUY PILLS 0" in c.get("/users/ring0").text  # an admin's, to review it
        # ring2 was suspended by mistake: lifting it restores its vote and its comment only.
        _suspend(c, token, _user_id(engine, "ring2"), False)
        lifted = c.get(f"/api/papers/{pid}").json()
        assert lifted["upvotes"] == after["upvotes"] + 1 and lifted["numComments"] == 2
        assert _comment_votes(c, pid)["A careful reading."] == 1
        page = c.get(f"/papers/{pid}").text
        assert "BUY PILLS 2" in page and "BUY PILLS 1" not in page


def _crowd(engine: Engine, names: list[str]) -> None:
    """Accounts made through the store (one password hash for all: hashing is slow on purpose)."""
    hashed = hash_new_password(PASSWORD)
    with engine.begin() as conn:
        for name in names:
            create_user(conn, name, hashed)


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-user="([^"]+)"', page)


def test_the_console_finds_and_pages_thousands_of_users(site: Settings, engine: Engine) -> None:
    """Past the newest 200 accounts a user could not be found, suspended or made admin from
    /admin; now the list is paged and searched by name, and acting keeps the search."""
    _crowd(engine, ["Old_Troll"] + [f"reader{i:04d}" for i in range(1199)])
    with client(site, engine) as c:
        token = _admin(c, engine)
        first = c.get("/admin")
        assert first.status_code == 200
        assert len(_listed(first.text)) == 100 and "Old_Troll" not in _listed(first.text)
        assert "1201 users, newest first: page 1 of 13" in first.text
        last = c.get("/admin?users_page=13")
        assert (
            _listed(last.text) == ["Old_Troll"]
            and 'rel="next"' not in last.text.split('id="log"')[0]
        )
        beyond = c.get("/admin?users_page=99")  # past the end: the last page, not an empty one
        assert _listed(beyond.text) == ["Old_Troll"]
        found = c.get("/admin?user=old_%")  # any case; % is a plain character
        assert _listed(found.text) == []
        found = c.get("/admin?user=old_tr")
        assert _listed(found.text) == ["Old_Troll"] and "1 user with “old_tr”" in found.text
        form = re.search(r'action="/admin/users/(\d+)/suspend"', found.text)
        assert form is not None and 'name="user" value="old_tr"' in found.text
        data = {"suspended": "1", "confirmed": "1", "csrf_token": token, "user": "old_tr"}
        done = c.post(f"/admin/users/{form[1]}/suspend", data=data, follow_redirects=False)
        assert done.status_code == 303
        assert done.headers["location"] == "/admin?done=suspend+Old_Troll&user=old_tr#users"
        assert (
            "suspended"
            in c.get(done.headers["location"]).text.split('data-user="Old_Troll"')[1][:200]
        )
        for bad in ("users_page=0", "users_page=x", "log_page=-1", "user=" + "x" * 65):
            refused = c.get(f"/admin?{bad}")
            assert refused.status_code in (400, 422), (bad, refused.status_code)


def test_the_admin_log_pages_and_answers_who_did_what_to_whom(
    site: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        for i in range(120):
            record_action(
                conn, f"mod{i % 2}", "hide comment", f"{i} by spammer{i % 3} on 2606.0000"
            )
        record_action(conn, "command line", "suspend", "Spammer0")
    with client(site, engine) as c:
        _admin(c, engine, "chief")
        first = c.get("/admin").text
        assert "121 actions, newest first: page 1 of 3" in first
        assert "command line: suspend Spammer0" in first
        older = re.search(r'href="([^"]*log_page=2[^"]*#log)" rel="next"', first)
        assert older is not None
        page2 = c.get(unescape(older[1])).text
        assert "hide comment 70 by spammer1" in page2 and "command line: suspend" not in page2
        about = c.get("/admin?log=SPAMMER0").text  # by or about a name, any case
        assert "41 actions by or about “SPAMMER0”" in about
        mine = c.get("/admin?log=mod1").text
        assert "60 actions by or about “mod1”" in mine and "mod0:" not in mine.split('id="log"')[1]


def _reported_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="comment report" id="r(\d+)"', page)]


def test_the_report_queue_pages_and_a_suspension_clears_its_authors_reports(
    site: Settings, engine: Engine
) -> None:
    """Readers report a spam wave: the queue holds 50 at a time, the longest waiting first;
    suspending the spammers takes their reported comments out of it (and off the site), so
    what is left is what needs a decision; lifting one brings its reports back."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    _crowd(engine, ["spamA", "spamB", "decent", "reporter"])
    with engine.begin() as conn:
        ids = {n: _id(conn, n) for n in ("spamA", "spamB", "decent", "reporter")}
        wave = []
        for i in range(100):
            author = ids["spamA"] if i % 2 else ids["spamB"]
            wave.append(add_comment(conn, pid, author, f"cheap pills <b>{i}</b>", None))
            report_comment(conn, wave[-1], ids["reporter"], "spam <script>x()</script>")
        fair = add_comment(conn, pid, ids["decent"], "I disagree with section 3.", None)
        report_comment(conn, fair, ids["reporter"], "rude")
    with client(site, engine) as c:
        token = _admin(c, engine)
        queue = c.get("/admin/community").text
        assert "101 reported comments wait, the longest waiting first: page 1 of 3" in queue
        assert _reported_ids(queue) == wave[:50]
        assert "<script>x()" not in queue and "&lt;script&gt;x()" in queue  # reasons are inert
        last = c.get("/admin/community?page=3").text
        assert _reported_ids(last) == [fair]
        for name in ("spamA", "spamB"):
            data = {"suspended": "1", "confirmed": "1", "csrf_token": token}
            c.post(f"/admin/community/suspend/{name}", data=data)
        left = c.get("/admin/community").text
        assert _reported_ids(left) == [fair] and "1 reported comment waits" in left
        assert "cheap pills" not in c.get(f"/papers/{pid}").text
        data = {"suspended": "0", "csrf_token": token}  # spamB was a mistake
        c.post("/admin/community/suspend/spamB", data=data)
        back = c.get("/admin/community").text
        assert "51 reported comments wait" in back
        assert _reported_ids(back) == [w for w in wave if w % 2 == wave[0] % 2][:50]
        for bad in ("page=0", "page=two"):
            assert c.get(f"/admin/community?{bad}").status_code in (400, 422)


def test_no_admin_route_answers_a_reader_a_stranger_or_a_forged_post(
    site: Settings, engine: Engine
) -> None:
    """Every moderation and admin action refuses a signed-in reader (form with a valid token,
    and bearer token), an anonymous visitor and a post without the form token, changing
    nothing; an admin whose role is taken away loses it on the next request."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    _crowd(engine, ["victim"])
    with engine.begin() as conn:
        victim = _id(conn, "victim")
        cid = add_comment(conn, pid, victim, "a fine comment", None)
        claim = add_claim(conn, victim, pid, on_day(engine, DAYS[1])[pid].authors[0])
    posts = {
        f"/admin/users/{victim}/suspend": {"suspended": "1", "confirmed": "1"},
        f"/admin/users/{victim}/admin": {"is_admin": "1", "confirmed": "1"},
        "/admin/community/suspend/victim": {"suspended": "1", "confirmed": "1"},
        f"/comments/{cid}/moderate": {"action": "hide"},
        f"/comments/{cid}/hide": {"reason": "spam", "confirmed": "1"},
        f"/admin/claims/{claim}": {"decision": "approve"},
        f"/admin/claims/{claim}/revoke": {"reason": "no"},
        "/admin/jobs/embed/run": {},
        "/admin/outbox/1/retry": {},
        f"/papers/{pid}/moderate": {"hidden": "1", "featured": "0"},
    }
    with client(site, engine) as c:
        reader = bearer(c, "reader", PASSWORD)
        c.post(
            "/signin",
            data={"username": "reader", "password": PASSWORD, "csrf_token": csrf_token(c)},
        )
        token = csrf_token(c, "/")
        for path in ("/admin", "/admin/community", "/admin?user=victim", "/admin/community?page=2"):
            assert c.get(path, follow_redirects=False).status_code == 403, path
            assert c.get(path, headers=reader, follow_redirects=False).status_code == 403, path
        for path, data in posts.items():
            signed = c.post(path, data=data | {"csrf_token": token}, follow_redirects=False)
            assert signed.status_code == 403, (path, signed.status_code)
            api = c.post(path, data=data, headers=reader, follow_redirects=False)
            assert api.status_code in (401, 403), (path, api.status_code)
        c.cookies.clear()
        for path, data in posts.items():  # anonymous, with or without a token
            anon = c.post(path, data=data | {"csrf_token": token}, follow_redirects=False)
            assert anon.status_code in (401, 403) or anon.headers.get("location", "").startswith(
                "/signin"
            ), (path, anon.status_code)
        # An admin's forms are refused without the form token (a forged cross-site post).
        chief = _admin(c, engine, "chief")
        for path, data in posts.items():
            forged = c.post(path, data=data, follow_redirects=False)
            assert forged.status_code == 403, (path, forged.status_code)
        assert chief
        with engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == victim)).one()
            assert row.suspended_at is None and not row.is_admin
            assert recent_actions(conn) == []
        assert "a fine comment" in c.get(f"/papers/{pid}").text
        with engine.begin() as conn:
            set_admin(conn, "chief", False)
        assert c.get("/admin", follow_redirects=False).status_code == 403


def test_a_suspended_spammers_profile_stops_advertising(site: Settings, engine: Engine) -> None:
    """A spam account's bio and links were its advert, still served on its profile page and
    by the API after the suspension; now they are not (to anyone but admins reviewing it,
    who also see the comments the suspension took off the site), until it is lifted."""
    pid = sorted(on_day(engine, DAYS[1]))[0]
    _crowd(engine, ["pillshop"])
    with engine.begin() as conn:
        shop = _id(conn, "pillshop")
        save_profile(
            conn,
            shop,
            bio="Cheap pills <b>now</b>",
            affiliation="PillCo",
            links="https://pills.example",
        )
        add_comment(conn, pid, shop, "visit my shop", None)
    with client(site, engine) as c:
        token = _admin(c, engine)
        _suspend(c, token, shop, True)
        seen_by_admin = c.get("/users/pillshop").text
        assert "visit my shop" in seen_by_admin and "suspended" in seen_by_admin
        sign_up(c, "passerby", PASSWORD)
        for page in (c.get("/users/pillshop").text, TestClient(c.app).get("/users/pillshop").text):
            assert "pills.example" not in page and "Cheap pills" not in page
            assert "PillCo" not in page and "visit my shop" not in page
        api = c.get("/api/users/pillshop").json()
        assert api["bio"] == "" and api["links"] == [] and api["affiliation"] == ""
        c.cookies.clear()
        _admin(c, engine, "chief")
        _suspend(c, csrf_token(c, "/"), shop, False)
        back = c.get("/api/users/pillshop").json()
        assert back["bio"] == "Cheap pills <b>now</b>" and back["links"] == [
            "https://pills.example"
        ]
        assert "Cheap pills &lt;b&gt;now&lt;/b&gt;" in c.get("/users/pillshop").text


def test_a_suspended_accounts_claims_leave_the_queue_and_the_paper_until_lifted(
    site: Settings, engine: Engine
) -> None:
    """A spammer claims to be a famous author: its claim sat beside the real author's as a
    rival in the queue, and its approved claim kept linking another paper's author to its
    profile after the suspension; now both wait for the suspension to be lifted."""
    papers = on_day(engine, DAYS[1])
    contested, taken = sorted(papers)[:2]
    author = papers[contested].authors[0]
    _crowd(engine, ["impostor", "real"])
    with engine.begin() as conn:
        impostor, real = _id(conn, "impostor"), _id(conn, "real")
        add_claim(conn, impostor, contested, author)
        add_claim(conn, real, contested, author)
        approved = add_claim(conn, impostor, taken, papers[taken].authors[0])
        decide_claim(conn, approved, True, "")
    with client(site, engine) as c:
        token = _admin(c, engine)
        queue = c.get("/admin/community").text
        assert "2 accounts claim" in queue
        assert 'href="/users/impostor"' in c.get(f"/papers/{taken}").text
        _suspend(c, token, impostor, True)
        queue = c.get("/admin/community").text
        assert "2 accounts claim" not in queue
        waiting = queue.split("<h2>Author claims</h2>")[1].split('id="approved-claims"')[0]
        assert "/users/real" in waiting and "/users/impostor" not in waiting
        assert 'href="/users/impostor"' not in c.get(f"/papers/{taken}").text
        _suspend(c, token, impostor, False)
        assert "2 accounts claim" in c.get("/admin/community").text
        assert 'href="/users/impostor"' in c.get(f"/papers/{taken}").text


def test_the_claim_queue_pages_a_flood_of_claims(site: Settings, engine: Engine) -> None:
    """Hundreds of accounts claiming authors all came on one page; now 50 names a page, the
    longest waiting first, and the reports' page is kept while paging claims."""
    papers = on_day(engine, DAYS[0]) | on_day(engine, DAYS[1]) | on_day(engine, DAYS[2])
    names = [(pid, a) for pid, p in sorted(papers.items()) for a in p.authors[:8]][:120]
    _crowd(engine, [f"claimer{i}" for i in range(len(names))])
    with engine.begin() as conn:
        for i, (pid, author) in enumerate(names):
            add_claim(conn, _id(conn, f"claimer{i}"), pid, author)
    with client(site, engine) as c:
        _admin(c, engine)
        first = c.get("/admin/community").text
        waiting = first.split("<h2>Author claims</h2>")[1].split('id="approved-claims"')[0]
        assert "names are claimed and waiting, the longest waiting first: page 1 of" in first
        assert waiting.count('class="claim-one"') == 50 and "/users/claimer0" in waiting
        last_page = -(-len(names) // 50)
        assert (
            len(names) > 50 and "/admin/community?page=1&amp;claims_page=2#claim-queue" in waiting
        )
        page2 = c.get("/admin/community?claims_page=2").text
        assert '/users/claimer50"' in page2 and '/users/claimer0"' not in page2
        last = c.get(f"/admin/community?claims_page={last_page}").text
        assert f'/users/claimer{len(names) - 1}"' in last and 'rel="next"' not in last
        assert c.get("/admin/community?claims_page=0").status_code in (400, 422)
