"""Discussions, moderation, profiles and author claims, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape, unescape
from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.settings import Settings
from paperfeed.store.accounts import set_admin, users
from paperfeed.store.community import comments
from paperfeed.store.enrichment import hub_artifacts
from paperfeed.util import utcnow
from tests.web_support import (
    DAYS,
    HOSTILE_ID,
    bearer,
    client,
    csrf_token,
    on_day,
    post_form,
    sign_up,
    stored,
    web_settings,
)

PASSWORD = "correct horse battery"


def _bearer(c: TestClient, username: str) -> dict[str, str]:
    return bearer(c, username, PASSWORD)


def _age(engine: Engine, username: str, days: int = 3) -> None:
    with engine.begin() as conn:
        query = update(users).where(users.c.username == username)
        conn.execute(query.values(created_at=utcnow() - timedelta(days=days)))


def _post(c: TestClient, pid: str, auth: dict[str, str], body: str, parent: int | None = None):  # type: ignore[no-untyped-def]
    return c.post(
        f"/api/papers/{pid}/comments", json={"body": body, "parent": parent}, headers=auth
    )


def _pid(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[1]))[0]


def test_comment_reply_and_counts(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
        first = _post(c, pid, ada, "Nice result: $E = mc^2$ holds.")
        assert first.status_code == 201, first.text
        top = first.json()["id"]
        reply = _post(c, pid, bob, "Agreed, *very* nice.", top)
        assert reply.status_code == 201 and reply.json()["parent"] == top
        # A reply to a reply joins the same one-level thread.
        nested = _post(c, pid, ada, "Thanks!", reply.json()["id"])
        assert nested.json()["parent"] == top
        thread = c.get(f"/api/papers/{pid}/comments").json()
        assert [t["id"] for t in thread] == [top]
        assert [r["author"]["name"] for r in thread[0]["replies"]] == ["bob", "ada"]
        assert "<em>very</em>" in thread[0]["replies"][0]["html"]
        assert "$E = mc^2$" in thread[0]["html"]  # math left for KaTeX, unmangled
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 3
        day = c.get(f"/api/daily_papers?date={DAYS[1].isoformat()}&limit=100").json()
        counts = {item["paper"]["id"]: item["numComments"] for item in day}
        assert counts[pid] == 3 and sum(counts.values()) == 3
        page = c.get(f"/papers/{pid}").text
        assert "Nice result" in page and "Agreed" in page
        assert "💬 3" in c.get(f"/papers/date/{DAYS[1].isoformat()}").text
        assert f"/papers/{pid}#c{top}" in c.get("/discussions").text
        past = c.get("/discussions?page=2")  # not "Nobody has commented yet"
        assert past.status_code == 404 and "past the oldest comment" in past.text
        # The top-level author is told about replies, in the site.
        c.cookies.clear()
        c.post("/api/login", json={"username": "ada", "password": PASSWORD})
        sign_in = {"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
        c.post("/signin", data=sign_in)
        assert "replied to your comment" in c.get("/notifications").text


def test_markdown_is_inert(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    hostile = (
        "<script>alert(1)</script> [click](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> ![x](javascript:alert(4)) __pf_csrf_token__"
    )
    with client(site, engine) as c:
        auth = _bearer(c, "mallory")
        _age(engine, "mallory")
        made = _post(c, pid, auth, hostile)
        assert made.status_code == 201
        shown = made.json()["html"]
        assert "<script" not in shown and 'href="javascript' not in shown and "<img" not in shown
        assert 'src="javascript' not in shown
        page = c.get(f"/papers/{pid}").text
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert 'href="javascript' not in page


def test_comment_headings_stay_headings_below_the_page(site: Settings, engine: Engine) -> None:
    """`#` was dropped to plain text (h1 and h2 are not allowed in a comment): now an h4, and
    its maths sits in a `.math` span, as in notes."""
    pid = _pid(engine)
    with client(site, engine) as c:
        made = _post(c, pid, _bearer(c, "hedy"), "# Result\n\nIt is $x^2$.")
        paper = c.get(f"/papers/{pid}").text
        listed = [c.get(path).text for path in ("/discussions", "/users/hedy")]
    assert made.status_code == 201
    assert made.json()["html"] == '<h4>Result</h4>\n<p>It is <span class="math">$x^2$</span>.</p>\n'
    assert "<h4>Result</h4>" in paper
    for page in listed:  # lists of comments have no heading of the paper to sit under
        assert "<p><strong>Result</strong></p>" in page and "<h4>Result" not in page


def test_links_of_new_accounts_are_not_clickable(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        new, old = _bearer(c, "newbie"), _bearer(c, "oldtimer")
        _age(engine, "oldtimer")
        young = _post(c, pid, new, "see https://example.org and [site](https://example.org)")
        aged = _post(c, pid, old, "see [site](https://example.org)")
        assert "<a " not in young.json()["html"] and "example.org" in young.json()["html"]
        assert "site (https://example.org)" in young.json()["html"]  # the address stays readable
        assert 'href="https://example.org"' in aged.json()["html"]
        assert "nofollow" in aged.json()["html"]


def test_bad_comments_get_clear_errors(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        auth = _bearer(c, "ada")
        huge = _post(c, pid, auth, "x" * 1_000_000)
        assert huge.status_code in (413, 422) and "detail" in huge.json()
        assert _post(c, pid, auth, "   ").status_code == 400
        assert _post(c, "2601.00000", auth, "hello").status_code == 404
        assert _post(c, pid, auth, "hi", 999_999).status_code == 400
        anonymous = c.post(f"/api/papers/{pid}/comments", json={"body": "hi"})
        assert anonymous.status_code == 401
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 0


def test_delete_keeps_replies_and_refuses_new_ones(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
        top = _post(c, pid, ada, "original point").json()["id"]
        _post(c, pid, bob, "a reply that must survive", top)
        sign_up(c, "ada2", PASSWORD)
        # Only the author may delete: bob's session is the bearer; a cookie session for ada2.
        forbidden = c.post(
            f"/comments/{top}/delete",
            data={"csrf_token": csrf_token(c, "/"), "confirmed": "1"},
            follow_redirects=False,
        )
        assert forbidden.status_code == 403
        c.cookies.clear()
        sign_in = {"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
        c.post("/signin", data=sign_in)
        token = csrf_token(c, "/")
        forged = c.post(f"/comments/{top}/delete", data={"csrf_token": "x"}, follow_redirects=False)
        assert forged.status_code == 403
        asked = c.post(f"/comments/{top}/delete", data={"csrf_token": token})
        assert asked.status_code == 200 and "Delete your comment? Replies to it stay." in asked.text
        assert get_comment_of(engine, top) == "original point"  # asked, nothing done yet
        answer = {"csrf_token": token, "confirmed": "1"}
        done = c.post(f"/comments/{top}/delete", data=answer, follow_redirects=False)
        assert done.status_code == 303
        thread = c.get(f"/api/papers/{pid}/comments").json()
        assert thread[0]["deleted"] and thread[0]["body"] == ""
        assert thread[0]["replies"][0]["body"] == "a reply that must survive"
        assert _post(c, pid, bob, "late reply", top).status_code == 400


def test_edit_is_marked(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        token = csrf_token(c, "/")
        made = c.post(
            f"/papers/{pid}/comments",
            data={"body": "frist", "csrf_token": token},
            follow_redirects=False,
        )
        assert made.status_code == 303
        cid = int(made.headers["location"].rsplit("#c", 1)[1])
        c.post(f"/comments/{cid}/edit", data={"body": "first", "csrf_token": token})
        thread = c.get(f"/api/papers/{pid}/comments").json()
        assert thread[0]["body"] == "first" and thread[0]["editedAt"] is not None
        assert "edited" in c.get(f"/papers/{pid}").text


def test_report_hide_and_suspend(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        spam = _bearer(c, "spammer")
        cid = _post(c, pid, spam, "buy cheap pills").json()["id"]
        sign_up(c, "reader", PASSWORD)
        token = csrf_token(c, "/")
        sent = c.post(f"/comments/{cid}/report", data={"reason": "spam", "csrf_token": token})
        assert "Thank you: your report was sent" in sent.text  # the page it returns to says so
        assert c.get("/admin/community", follow_redirects=False).status_code == 403
        with engine.begin() as conn:
            set_admin(conn, "reader", True)
        queue = c.get("/admin/community").text
        assert "buy cheap pills" in queue and "spam" in queue
        c.post(f"/comments/{cid}/moderate", data={"action": "hide", "csrf_token": token})
        asked = c.post(
            "/admin/community/suspend/spammer", data={"suspended": "1", "csrf_token": token}
        )  # without JavaScript the page asks first, as /admin does (the button asks with it)
        assert "Suspend spammer? Their sessions end" in asked.text
        assert 'name="confirmed" value="1"' in asked.text
        assert 'data-confirm="Suspend spammer?' in c.get("/admin/community").text
        assert c.get("/api/me/library", headers=spam).status_code == 200  # not suspended yet
        barred = c.post(
            "/admin/community/suspend/spammer",
            data={"suspended": "1", "confirmed": "1", "csrf_token": token},
        )
        assert "spammer is suspended: their sessions ended" in barred.text  # said, and undoable
        assert "Lift spammer's suspension" in barred.text and "Suspend spammer" not in barred.text
        assert "buy cheap pills" not in c.get(f"/papers/{pid}").text
        assert c.get(f"/api/papers/{pid}/comments").json() == []
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 0
        feed = c.get(f"/feeds/papers/{pid}/comments.atom")
        assert feed.status_code == 200 and "buy cheap pills" not in feed.text
        assert "buy cheap pills" not in c.get("/discussions").text
        again = _post(c, pid, spam, "more pills")  # a suspended account's sessions end, saying why
        assert again.status_code == 403 and "suspended" in again.json()["detail"], again.text
        assert c.get("/api/me/library", headers=spam).json()["detail"].startswith("this account")
        # Signing in again says why it fails, to the password's owner only.
        owner = c.post("/api/login", json={"username": "spammer", "password": PASSWORD})
        assert owner.status_code == 401 and "suspended" in owner.json()["detail"]
        guess = c.post("/api/login", json={"username": "spammer", "password": "a wrong guess"})
        assert guess.json()["detail"] == "wrong user name or password"
        # Lifting the suspension does not bring the old sessions back: the user signs in again.
        c.post("/admin/community/suspend/spammer", data={"suspended": "0", "csrf_token": token})
        assert _post(c, pid, spam, "sorry").status_code == 401
        c.post(
            "/admin/community/suspend/spammer",
            data={"suspended": "1", "confirmed": "1", "csrf_token": token},
        )
        # The queue shows what was hidden, to be unhidden; the console logs both.
        queue = c.get("/admin/community").text.split("<h2>Hidden comments</h2>")[1]
        assert "buy cheap pills" in queue and "Unhide comment" in queue
        c.post(f"/comments/{cid}/moderate", data={"action": "show", "csrf_token": token})
        # Unhidden, it still waits for its author's suspension to be lifted.
        assert "buy cheap pills" not in c.get(f"/papers/{pid}").text
        c.post("/admin/community/suspend/spammer", data={"suspended": "0", "csrf_token": token})
        assert "buy cheap pills" in c.get(f"/papers/{pid}").text
        assert "No hidden comments." in c.get("/admin/community").text
        console = c.get("/admin").text
        assert f"hide comment {cid}" in console and f"unhide comment {cid}" in console
        assert "comment comment" not in console
        gone = c.post("/comments/999999/moderate", data={"action": "hide", "csrf_token": token})
        assert gone.status_code == 404
        # One's own comment is edited or deleted, not reported.
        own = _post(c, pid, _bearer(c, "selfish"), "my own words").json()["id"]
        c.post("/api/login", json={"username": "selfish", "password": PASSWORD})
        sign_in = {
            "username": "selfish",
            "password": PASSWORD,
            "csrf_token": csrf_token(c, "/signin"),
        }
        c.post("/signin", data=sign_in)
        mine = c.post(
            f"/comments/{own}/report", data={"reason": "x", "csrf_token": csrf_token(c, "/")}
        )
        assert mine.status_code == 400 and "your own comment" in mine.text


def test_new_accounts_are_rate_limited(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        auth = _bearer(c, "eager")
        codes = [_post(c, pid, auth, f"comment {i}").status_code for i in range(6)]
        assert codes == [201] * 5 + [429]


def test_discussion_feed_is_valid_xml(site: Settings, engine: Engine) -> None:
    pid = HOSTILE_ID
    with client(site, engine) as c:
        auth = _bearer(c, "ada")
        _post(c, pid, auth, "odd \ufffe characters <b>and</b> & ampersands")
        for fmt in ("atom", "rss"):
            feed = c.get(f"/feeds/papers/{pid}/comments.{fmt}")
            assert feed.status_code == 200
            root = ET.fromstring(feed.content)
            assert "ampersands" in ET.tostring(root, encoding="unicode")


def test_claiming_shows_the_pending_claim_instead_of_the_form(
    site: Settings, engine: Engine
) -> None:
    """After "this is me", the paper page says the claim is pending in place of the claim
    form; claiming again leads back there, not to an error page."""
    pid = _pid(engine)
    with client(site, engine) as c:
        author = c.get(f"/api/papers/{pid}").json()["authors"][0]["name"]
        sign_up(c, "claimer", PASSWORD)
        first = post_form(c, f"/papers/{pid}/claim", {"author": author})
        assert first.status_code == 303 and first.headers["location"].endswith("#claim")
        page = c.get(first.headers["location"]).text
        assert f"Your claim as {escape(author)} is pending review" in page
        assert 'id="claim" open' in page and f'action="/papers/{pid}/claim"' not in page
        again = post_form(c, f"/papers/{pid}/claim", {"author": author})
        assert again.status_code == 303, again.text
        assert "is pending review" in c.get(again.headers["location"]).text


def test_author_claims(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        paper = c.get(f"/api/papers/{pid}").json()
        author = paper["authors"][0]["name"]
        sign_up(c, "claimer", PASSWORD)
        token = csrf_token(c, "/")
        claim = c.post(
            f"/papers/{pid}/claim",
            data={"author": author, "csrf_token": token},
            follow_redirects=False,
        )
        assert claim.status_code == 303
        bogus = c.post(f"/papers/{pid}/claim", data={"author": "Nobody", "csrf_token": token})
        assert bogus.status_code == 400
        c.cookies.clear()
        sign_up(c, "rival", PASSWORD)
        token = csrf_token(c, "/")
        # A claim still waiting does not lock the name: a second one waits beside it.
        rival = c.post(
            f"/papers/{pid}/claim",
            data={"author": author, "csrf_token": token},
            follow_redirects=False,
        )
        assert rival.status_code == 303
        with engine.begin() as conn:
            set_admin(conn, "rival", True)
        queue = c.get("/admin/community").text
        claim_id, rival_id = sorted({int(i) for i in re.findall(r'/admin/claims/(\d+)"', queue)})
        no_reason = c.post(
            f"/admin/claims/{claim_id}", data={"decision": "reject", "csrf_token": token}
        )
        assert no_reason.status_code == 400
        c.post(
            f"/admin/claims/{claim_id}",
            data={"decision": "reject", "reason": "no proof", "csrf_token": token},
        )
        # After a rejection, asking again is possible.
        c.cookies.clear()
        c.post(
            "/signin",
            data={
                "username": "claimer",
                "password": PASSWORD,
                "csrf_token": csrf_token(c, "/signin"),
            },
        )
        token = csrf_token(c, "/")
        assert "no proof" in c.get(f"/papers/{pid}").text
        # The claimer is told: a count in every page's header, the decision on /notifications.
        assert 'aria-label="Notifications: 1 new"' in c.get("/daily").text
        told = c.get("/notifications").text
        assert f"Your claim to be <strong>{escape(author)}</strong>" in told
        assert "was rejected" in told and "The moderator said: no proof" in told
        assert "Notifications: 1 new" not in c.get("/daily").text  # opened: seen
        again = c.post(
            f"/papers/{pid}/claim",
            data={"author": author, "csrf_token": token},
            follow_redirects=False,
        )
        assert again.status_code == 303
        with engine.begin() as conn:
            set_admin(conn, "claimer", True)
        queue = c.get("/admin/community").text
        claim_id = max(int(i) for i in re.findall(r'/admin/claims/(\d+)"', queue))
        c.post(f"/admin/claims/{claim_id}", data={"decision": "approve", "csrf_token": token})
        # One name, one approved account: the rival's waiting claim cannot be approved too.
        clash = c.post(
            f"/admin/claims/{rival_id}", data={"decision": "approve", "csrf_token": token}
        )
        assert clash.status_code == 409 and "reject that claim first" in clash.text
        assert "approve claim" in c.get("/admin").text  # the console's log of admin actions
        c.post(f"/admin/claims/{claim_id}", data={"decision": "approve", "csrf_token": token})
        assert 'aria-label="Notifications: 1 new"' in c.get("/daily").text  # told once
        told = c.get("/notifications").text
        assert told.count("was approved") == 1 and told.count("was rejected") == 1
        page = c.get(f"/papers/{pid}").text
        assert 'href="/users/claimer"' in page
        # Only the current decision is shown (the rejection before it is over) ...
        assert "is approved" in page and "was rejected" not in page
        # The author page shows the profile.
        author_url = c.get(f"/papers/{pid}").text.split(
            '<p class="authors" id="authors"><a href="'
        )[1]
        author_page = c.get(author_url.split('"')[0]).text
        assert 'href="/users/claimer">claimer</a> on paperfeed claimed 1 of these papers' in (
            author_page
        )
        # A claimed author adds links; someone else may not.
        with engine.begin() as conn:
            set_admin(conn, "claimer", False)
        before = c.get(f"/api/papers/{pid}").json()
        added = c.post(
            f"/papers/{pid}/links",
            data={"kind": "model", "url": "https://huggingface.co/org/model", "csrf_token": token},
            follow_redirects=False,
        )
        assert added.status_code == 303
        # Added models and datasets count as the Hub's do, once each: a dataset the Hub already
        # lists for the paper is not counted again.
        with engine.begin() as conn:
            conn.execute(
                hub_artifacts.insert().values(
                    paper_id=pid, kind="dataset", hub_id="org/data", fetched_at=utcnow()
                )
            )
        for kind, url in (
            ("dataset", "http://huggingface.co/datasets/org/data/"),
            ("model", "https://huggingface.co/org/model"),  # the same model twice
        ):
            c.post(f"/papers/{pid}/links", data={"kind": kind, "url": url, "csrf_token": token})
        after = c.get(f"/api/papers/{pid}").json()
        assert after["numModels"] == before["numModels"] + 1
        assert after["numDatasets"] == before["numDatasets"] + 1  # the Hub's, already listed
        assert "1 model" in c.get("/search", params={"q": pid, "mode": "keyword"}).text
        bad = c.post(
            f"/papers/{pid}/links",
            data={"kind": "model", "url": "javascript:alert(1)", "csrf_token": token},
        )
        assert bad.status_code == 400
        assert 'href="https://huggingface.co/org/model"' in c.get(f"/papers/{pid}").text
        # Its code link shows wherever the paper's code does (once, however often it is added).
        repo = "https://github.com/org/polyflow"
        for _ in range(2):
            code = {"kind": "code", "url": repo, "csrf_token": token}
            assert c.post(f"/papers/{pid}/links", data=code).status_code == 200
        page = c.get(f"/papers/{pid}").text
        assert page.count(f'href="{repo}"') == 1 + (not stored(engine)[pid].code_links)
        assert repo in c.get(f"/api/papers/{pid}").json()["codeLinks"]
        assert not stored(engine)[pid].code_links  # else the card's Code is the paper's own
        found = c.get("/search", params={"q": pid, "mode": "keyword"}).text  # its card first
        assert f'<a class="code" href="{repo}"' in found
        c.cookies.clear()
        sign_up(c, "stranger", PASSWORD)
        stranger = c.post(
            f"/papers/{pid}/links",
            data={"kind": "code", "url": "https://example.org/x", "csrf_token": csrf_token(c, "/")},
        )
        assert stranger.status_code == 403
        # ... and a name someone holds is not offered to anyone else.
        box = c.get(f"/papers/{pid}").text.split('id="claim"')[1].split("</details>")[0]
        assert f"<option>{escape(author)}</option>" not in box
        profile = c.get("/api/users/claimer").json()
        assert profile["claimedPapers"] == [pid]
        assert pid in c.get("/users/claimer").text


def test_profiles(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "ada", PASSWORD)
        token = csrf_token(c, "/")
        assert 'href="/users/ada"' in c.get("/").text
        saved = c.post(
            "/settings/profile",
            data={
                "bio": "I study <b>graphs</b>",
                "affiliation": "Analytical Engines Ltd",
                "links": "https://example.org/ada",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
        page = c.get("/users/ada").text
        assert "Analytical Engines Ltd" in page and "I study &lt;b&gt;graphs&lt;/b&gt;" in page
        typed = {"bio": "Now <i>hypergraphs</i>", "affiliation": "Difference Engines"}
        links = "javascript:alert(1)\nhttps://example.org/new"
        bad = c.post("/settings/profile", data=typed | {"links": links, "csrf_token": token})
        # The form comes back with the reason by the links and nothing typed lost.
        assert bad.status_code == 400
        assert "Not an http(s) address: javascript:alert(1)" in bad.text
        assert ">Now &lt;i&gt;hypergraphs&lt;/i&gt;</textarea>" in bad.text
        assert 'value="Difference Engines"' in bad.text and "https://example.org/new" in bad.text
        assert "Analytical Engines Ltd" in c.get("/users/ada").text  # nothing saved
        many = "\n".join(f"https://example.org/{i}" for i in range(6))
        too_many = c.post("/settings/profile", data={"links": many, "csrf_token": token})
        assert too_many.status_code == 400 and "At most five links." in too_many.text
        avatar = c.get("/avatars/ada.svg")
        assert avatar.status_code == 200 and avatar.text.startswith("<svg")
        assert c.get("/users/nobody-here").status_code == 404
        wrong = c.post(
            "/settings/password",
            data={"current": "nope", "new": "a much better one", "csrf_token": token},
        )
        assert wrong.status_code == 400
        elsewhere = c.post("/api/login", json={"username": "ada", "password": PASSWORD})
        other = {"Authorization": f"Bearer {elsewhere.json()['token']}"}
        assert c.get("/api/me/library", headers=other).status_code == 200
        changed = c.post(
            "/settings/password",
            data={"current": PASSWORD, "new": "a much better one", "csrf_token": token},
            follow_redirects=False,
        )
        assert c.get("/api/me/library", headers=other).status_code == 401  # signed out
        assert changed.status_code == 303
        assert changed.headers["location"] == "/settings/profile?password=changed#password"
        said = c.get(changed.headers["location"]).text  # this session stays signed in
        assert "Your password was changed. Your other sessions were signed out." in said
        assert 'minlength="8"' in said.split('id="new"')[1].split(">")[0]
        login = c.post("/api/login", json={"username": "ada", "password": "a much better one"})
        assert login.status_code == 200


def test_a_form_posted_signed_out_leads_back_to_its_page_after_signing_in(
    site: Settings, engine: Engine
) -> None:
    pid = next(iter(stored(engine)))
    with client(site, engine) as c:
        token = csrf_token(c, f"/papers/{pid}")
        page = f"http://testserver/papers/{pid}?sort=new"
        vote = c.post(
            "/comments/1/vote",
            data={"value": "1", "csrf_token": token},
            headers={"referer": page},
            follow_redirects=False,
        )
        # The vote's own address answers POST only: signing in goes back to the paper.
        assert vote.status_code == 303
        assert vote.headers["location"] == f"/signin?next=/papers/{pid}%3Fsort%3Dnew"
        elsewhere = c.post(
            "/comments/1/vote",
            data={"value": "1", "csrf_token": token},
            headers={"referer": "https://elsewhere.example/papers/x"},
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/signin?next=/"
        asked = c.get("/library?state=read", follow_redirects=False)
        assert asked.headers["location"] == "/signin?next=/library%3Fstate%3Dread"


def test_the_discussion_feed_shows_comments_as_the_page_does(
    site: Settings, engine: Engine
) -> None:
    """Entries carry the rendered, sanitised Markdown (feed readers show HTML), never markup
    a reader would run."""
    pid = _pid(engine)
    body = "**Bold claim**\n\n- one\n- two <script>alert(1)</script> [x](javascript:alert(2))"
    unheld = web_settings(site, trending_new_account_hours=0)  # new accounts' links not held
    with client(unheld, engine) as c:
        feeder = _bearer(c, "feeder")
        _post(c, pid, feeder, body)
        for fmt in ("atom", "rss"):
            feed = c.get(f"/feeds/papers/{pid}/comments.{fmt}")
            assert feed.status_code == 200
            texts = [e.text or "" for e in ET.fromstring(feed.content).iter()]
            [shown] = [t for t in texts if "Bold claim</strong>" in t]  # the entry's content
            assert "<strong>Bold claim</strong>" in shown and "<li>one</li>" in shown
            assert "<script" not in shown and "&lt;script&gt;" in shown  # shown as text
            assert "href=" not in shown  # a javascript: link stays words
        # A link of an account younger than a day is text in the feed, as on the page.
        _post(c, pid, _bearer(c, "newcomer"), "See https://spam.example/offer for more")
        _age(engine, "feeder")
        _post(c, pid, feeder, "Also https://fine.example/paper")
        for fmt in ("atom", "rss"):
            content = c.get(f"/feeds/papers/{pid}/comments.{fmt}").text
            assert "https://spam.example/offer" in content
            assert 'href="https://spam.example' not in unescape(content)
            assert 'href="https://fine.example/paper"' in unescape(content)


def test_the_discussion_feeds_channel_links_to_the_paper_and_dates_from_it(
    site: Settings, engine: Engine
) -> None:
    pid = sorted(on_day(engine, DAYS[2]))[0]  # a paper nobody has commented on
    with client(site, engine) as c:
        rss = ET.fromstring(c.get(f"/feeds/papers/{pid}/comments.rss").content)
        atom = ET.fromstring(c.get(f"/feeds/papers/{pid}/comments.atom").content)
    channel = rss.find("channel")
    assert channel is not None
    assert (channel.findtext("link") or "").endswith(f"/papers/{pid}#discussion")
    assert "1991" not in (channel.findtext("lastBuildDate") or "")
    updated = atom.findtext("{http://www.w3.org/2005/Atom}updated") or ""
    assert updated.startswith(DAYS[2].isoformat()), updated


def test_a_refused_comment_comes_back_in_its_box(site: Settings, engine: Engine) -> None:
    """Over the hourly limit, the typed text was lost behind a bare error page."""
    pid = _pid(engine)
    with client(site, engine) as c:
        sign_up(c, "hasty")
        token = csrf_token(c, "/")
        typed = "Line one </textarea><script>alert(1)</script>\n\nLine two"
        posted = [
            c.post(f"/papers/{pid}/comments", data={"body": f"{typed} {i}", "csrf_token": token})
            for i in range(8)
        ]
        refused = posted[-1]
        assert refused.status_code == 429 and "comments an hour" in refused.text
        assert 3000 < int(refused.headers["Retry-After"]) <= 3600  # as the sign-in limit says
        assert re.search(r"try again in (59|60) minutes", refused.text)
        api = _post(c, pid, {"X-CSRF-Token": token}, "once more")
        assert api.status_code == 429 and "Retry-After" in api.headers
        assert "try again in " in api.json()["detail"]
        box = re.search(
            r'<textarea id="comment-body" name="body"[^>]*>(.*?)</textarea>', refused.text, re.S
        )
        assert box and unescape(box[1]) == f"{typed} 7"  # kept, and inert in the box
        assert "<script>alert(1)" not in refused.text
        assert f'action="/papers/{pid}/comments"' in refused.text


def test_hiding_a_comment_keeps_the_replies_others_wrote(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
        top = _post(c, pid, ada, "rude words").json()["id"]
        reply = _post(c, pid, bob, "a fair answer", top).json()["id"]
        lone = _post(c, pid, ada, "more rude words").json()["id"]
        sign_up(c, "mod", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "mod", True)
        token = csrf_token(c, "/")
        for cid in (top, lone):
            c.post(f"/comments/{cid}/moderate", data={"action": "hide", "csrf_token": token})
        page = c.get(f"/papers/{pid}").text
        assert "a fair answer" in page and "[hidden by a moderator]" in page
        assert "rude words" not in page and f'id="c{lone}"' not in page
        shown = c.get(f"/api/papers/{pid}/comments").json()
        assert [(t["id"], t["deleted"], t["body"]) for t in shown] == [(top, True, "")]
        assert [r["id"] for r in shown[0]["replies"]] == [reply]
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 1  # as many as are shown


def test_a_comment_of_invisible_characters_is_empty(site: Settings, engine: Engine) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada = _bearer(c, "ada")
        for body in ("\u200b\u200b", "\u2063 \u202e", "\ufeff\n\u00a0", "\u2800", "&nbsp;", ">"):
            refused = _post(c, pid, ada, body)
            assert refused.status_code == 400 and "empty" in refused.json()["detail"], body
        assert _post(c, pid, ada, "\u200bok").status_code == 201


def test_a_moderator_deletes_but_never_edits_anothers_comment(
    site: Settings, engine: Engine
) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        carol = _bearer(c, "carol")
        cid = _post(c, pid, carol, "what carol said").json()["id"]
        sign_up(c, "modmax", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "modmax", True)
        token = csrf_token(c, "/")
        page = c.get(f"/papers/{pid}").text.split(f'id="c{cid}"')[1].split("</article>")[0]
        assert "Edit comment" not in page and "logged as a moderator" in page
        edit = c.post(
            f"/comments/{cid}/edit", data={"body": "words never said", "csrf_token": token}
        )
        assert edit.status_code == 403 and "only its author can edit" in edit.text
        assert "what carol said" in c.get(f"/papers/{pid}").text
        gone = c.post(f"/comments/{cid}/delete", data={"csrf_token": token, "confirmed": "1"})
        assert gone.status_code == 200 and "what carol said" not in gone.text
        assert f"delete comment {cid} by carol on {pid}" in c.get("/admin").text


def test_a_reported_comment_deleted_by_its_author_is_kept_for_the_moderators(
    site: Settings, engine: Engine
) -> None:
    pid = _pid(engine)
    title = stored(engine)[pid].title
    with client(site, engine) as c:
        bob = _bearer(c, "bob")
        cid = _post(c, pid, bob, "offensive *maths*").json()["id"]
        sign_up(c, "carol", PASSWORD)
        token = csrf_token(c, "/")
        c.post(f"/comments/{cid}/report", data={"reason": "rude", "csrf_token": token})
        c.cookies.clear()  # the author deletes it next
        sign_in = {"username": "bob", "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
        c.post("/signin", data=sign_in)
        c.post(f"/comments/{cid}/delete", data={"csrf_token": csrf_token(c, "/"), "confirmed": "1"})
        assert "offensive" not in c.get(f"/papers/{pid}").text
        assert c.get(f"/api/papers/{pid}/comments").json() == []
        with engine.begin() as conn:
            set_admin(conn, "carol", True)
        c.cookies.clear()
        sign_in = {
            "username": "carol",
            "password": PASSWORD,
            "csrf_token": csrf_token(c, "/signin"),
        }
        c.post("/signin", data=sign_in)
        queue = c.get("/admin/community").text.split("<h2>Author claims</h2>")[0]
        assert "deleted by its author after the report" in queue and "<em>maths</em>" in queue
        assert 'href="/users/carol">carol</a>: “rude”' in queue and escape(title) in queue
        token = csrf_token(c, "/")
        c.post(f"/comments/{cid}/moderate", data={"action": "dismiss", "csrf_token": token})
        assert "No open reports." in c.get("/admin/community").text
        with engine.connect() as conn:
            body = conn.execute(select(comments.c.body).where(comments.c.id == cid)).scalar()
        assert body == ""  # handled: the deleted text is gone for good


def test_the_api_edits_and_deletes_comments_as_the_page_does(
    site: Settings, engine: Engine
) -> None:
    pid = _pid(engine)
    with client(site, engine) as c:
        ada, bob = _bearer(c, "ada"), _bearer(c, "bob")
        cid = _post(c, pid, ada, "first words").json()["id"]
        reply = _post(c, pid, bob, "an answer", cid).json()["id"]
        edited = c.patch(f"/api/comments/{cid}", json={"body": "better *words*"}, headers=ada)
        assert edited.status_code == 200, edited.text
        got = edited.json()
        assert (
            got["body"] == "better *words*" and got["editedAt"] and "<em>words</em>" in got["html"]
        )
        assert [r["id"] for r in got["replies"]] == [reply]
        theirs = c.patch(f"/api/comments/{cid}", json={"body": "not mine"}, headers=bob)
        assert theirs.status_code == 403 and "only its author" in theirs.json()["detail"]
        refused = c.delete(f"/api/comments/{cid}", headers=bob)
        assert refused.status_code == 403 and "author or a moderator can delete" in refused.text
        assert c.patch(f"/api/comments/{cid}", json={"body": ""}, headers=ada).status_code == 422
        assert c.patch("/api/comments/999999", json={"body": "x"}, headers=ada).status_code == 404
        assert c.delete(f"/api/comments/{cid}").status_code == 401  # signed out
        gone = c.delete(f"/api/comments/{cid}", headers=ada)
        assert gone.status_code == 204 and gone.content == b""
        shown = c.get(f"/api/papers/{pid}/comments").json()
        assert [(t["id"], t["deleted"], t["body"]) for t in shown] == [(cid, True, "")]
        assert c.delete(f"/api/comments/{cid}", headers=ada).status_code == 409
        paths = c.get("/openapi.json").json()["paths"]["/api/comments/{comment_id}"]
        assert {"patch", "delete"} <= set(paths)


def get_comment_of(engine: Engine, comment_id: int) -> str:
    from paperfeed.store.community import get_comment

    with engine.connect() as conn:
        found = get_comment(conn, comment_id)
    assert found is not None
    return found.body


def test_a_hub_link_added_to_a_paper_the_hub_lists_nothing_for_breaks_no_page(
    site: Settings, engine: Engine
) -> None:
    """A model link added to a paper without Hub artifacts made every page showing its card
    (home, daily, search, its own page, the API) answer 500: its count was read before it
    was made."""
    pid = sorted(on_day(engine, DAYS[0]))[0]
    with engine.begin() as conn:
        conn.execute(hub_artifacts.delete().where(hub_artifacts.c.paper_id == pid))
    with client(site, engine) as c:
        sign_up(c, "linker", PASSWORD)
        with engine.begin() as conn:
            set_admin(conn, "linker", True)
        for kind, url in (
            ("model", "https://huggingface.co/org/model"),
            ("demo", "https://huggingface.co/spaces/org/demo"),
        ):
            added = post_form(c, f"/papers/{pid}/links", {"kind": kind, "url": url})
            assert added.status_code == 303, added.text
        paper = c.get(f"/papers/{pid}")
        day = c.get(f"/papers/date/{DAYS[0].isoformat()}")
        api = c.get(f"/api/papers/{pid}")
        found = c.get("/search", params={"q": pid, "mode": "keyword"})
    assert paper.status_code == day.status_code == api.status_code == found.status_code == 200
    assert (api.json()["numModels"], api.json()["numSpaces"]) == (1, 1)
    card = day.text.split(f'data-id="{pid}"')[1].split("</article>")[0]
    assert "1 model" in card and "1 demo" in card


def test_a_long_comment_of_many_lines_is_counted_as_its_text(
    site: Settings, engine: Engine
) -> None:
    """A browser sends each line break as CR LF: 19,500 characters on 1,500 lines were
    refused as over 20,000 from the page, and taken from the API."""
    pid = _pid(engine)
    line = "word word wo"  # 12 characters and a break: 13 each (14 as sent)
    text = "\n".join([line] * 1500)
    assert 19_000 < len(text) < 20_000 < len(text.replace("\n", "\r\n"))
    with client(site, engine) as c:
        sign_up(c, "poet")
        sent = post_form(c, f"/papers/{pid}/comments", {"body": text.replace("\n", "\r\n")})
        assert sent.status_code == 303, sent.text[:300]
        [stored_comment] = c.get(f"/api/papers/{pid}/comments").json()
    assert stored_comment["body"] == text  # kept with "\n" breaks


def test_a_refused_edit_comes_back_in_its_box(site: Settings, engine: Engine) -> None:
    """An edit refused (blank, too long, or of a comment deleted in another tab) went to a
    bare error page and lost the text; a reply to a comment deleted meanwhile came back as a
    reply that could only fail again."""
    pid = _pid(engine)
    with client(site, engine) as c:
        sign_up(c, "editor")
        auth = {"X-CSRF-Token": csrf_token(c, "/")}
        first = _post(c, pid, auth, "First thoughts").json()["id"]
        gone = _post(c, pid, auth, "Soon deleted").json()["id"]
        blank = post_form(c, f"/comments/{first}/edit", {"body": "&nbsp;"})
        long = post_form(c, f"/comments/{first}/edit", {"body": "x" * 20_001})
        post_form(c, f"/comments/{gone}/delete", {"confirmed": "1"})
        late = post_form(c, f"/comments/{gone}/edit", {"body": "Second thoughts, kept"})
        reply = post_form(c, f"/papers/{pid}/comments", {"body": "An answer", "parent": str(gone)})
    box = r'<textarea id="comment-body" name="body"[^>]*>(.*?)</textarea>'
    for answer, status, action in (
        (blank, 400, f"/comments/{first}/edit"),
        (long, 413, f"/comments/{first}/edit"),
    ):
        assert answer.status_code == status and "Edit not saved" in answer.text
        assert f'action="{action}"' in answer.text
    assert re.search(box, blank.text, re.S)[1] == "&amp;nbsp;"  # type: ignore[index]
    assert late.status_code == 409 and "Comment not posted" in late.text
    assert "Second thoughts, kept" in late.text and f'action="/papers/{pid}/comments"' in late.text
    assert reply.status_code == 400 and "An answer" in reply.text
    assert 'name="parent"' not in reply.text  # offered as a comment of its own


def test_a_discussion_feed_with_comments_answers_304_until_a_new_one(
    site: Settings, engine: Engine
) -> None:
    """The feed was dated the moment it was asked for, so its ETag changed on every request
    and a feed reader never got a 304."""
    pid = _pid(engine)
    path = f"/feeds/papers/{pid}/comments.atom"
    with client(site, engine) as c:
        ada = _bearer(c, "ada")
        assert _post(c, pid, ada, "A first comment").status_code == 201
        first = c.get(path)
        tag = first.headers["etag"]
        again = c.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert _post(c, pid, ada, "A second comment").status_code == 201
        changed = c.get(path, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and "A second comment" in changed.text
    ns = {"a": "http://www.w3.org/2005/Atom"}
    newest = ET.fromstring(changed.content).findtext("a:updated", "", ns)
    entries = ET.fromstring(changed.content).findall("a:entry", ns)
    assert newest == max(e.findtext("a:updated", "", ns) for e in entries)


def test_a_reported_comment_is_not_edited_away_from_the_moderators(
    site: Settings, engine: Engine
) -> None:
    """Edited after a report, a comment showed the moderators only its clean new words."""
    pid = _pid(engine)
    with client(site, engine) as c:
        bob = _bearer(c, "bob")
        cid = _post(c, pid, bob, "offensive words").json()["id"]
        sign_up(c, "carol", PASSWORD)
        c.post(
            f"/comments/{cid}/report",
            data={"reason": "rude", "csrf_token": csrf_token(c, "/")},
        )
        api = c.patch(f"/api/comments/{cid}", json={"body": "kind words"}, headers=bob)
        with engine.begin() as conn:
            set_admin(conn, "carol", True)
        queue = c.get("/admin/community").text
        dismiss = {"action": "dismiss", "csrf_token": csrf_token(c, "/")}
        c.post(f"/comments/{cid}/moderate", data=dismiss)
        later = c.patch(f"/api/comments/{cid}", json={"body": "kind words"}, headers=bob)
    assert api.status_code == 409 and "waits for a moderator" in api.json()["detail"]
    assert "offensive words" in queue and "kind words" not in queue
    assert later.status_code == 200  # once a moderator has looked, the author edits again


def test_comment_feeds_read_markdown_and_maths_as_text(site: Settings, engine: Engine) -> None:
    """Feed readers run no KaTeX and show entry titles as text: neither gets raw TeX or "**"."""
    pid = _pid(engine)
    body = r"**Gödel** & _Rényi_: $\mathcal{O}(n^2)$ and [code](https://x.org)"
    with client(web_settings(site, trending_new_account_hours=0), engine) as c:  # not held
        assert _post(c, pid, _bearer(c, "tex"), body).status_code == 201
        atom = ET.fromstring(c.get(f"/feeds/papers/{pid}/comments.atom").content)
    ns = "{http://www.w3.org/2005/Atom}"
    [entry] = atom.findall(f"{ns}entry")
    assert entry.findtext(f"{ns}title") == "tex: Gödel & Rényi: 𝒪(n^2) and code (https://x.org)"
    content = entry.findtext(f"{ns}content") or ""
    assert "<strong>Gödel</strong>" in content and "𝒪(n^2)" in content
    assert "mathcal" not in content and "code (https://x.org)" in content  # a new account
