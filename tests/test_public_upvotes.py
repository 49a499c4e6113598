"""Who upvoted a paper, opt-in: only readers who chose "Show my upvotes publicly" are named on a
paper's page, in its API JSON and on their profile; the rest are counted. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect

from paperfeed.settings import Settings
from paperfeed.store import migrate, upsert_papers
from paperfeed.store.accounts import create_user, set_suspended, set_vote
from paperfeed.store.community import get_profile, save_profile
from paperfeed.store.db import _MIGRATIONS as MIGRATIONS
from paperfeed.store.erasure import delete_account
from paperfeed.store.upvoters import public_upvoters
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    client,
    on_day,
    post_form,
    sign_up,
    statements,
)

_LINE = re.compile(r'<p class="upvoters[^"]*" id="upvoters">(.*?)</p>', re.S)


def _named(page: str) -> list[str]:
    """The handles the paper page's "Upvoted by" line links, in order ([] without the line)."""
    found = _LINE.search(page)
    return re.findall(r'href="/users/([^"]+)"', found[1]) if found else []


def _line(page: str) -> str:
    """The "Upvoted by" line as read (tags dropped, spaces collapsed)."""
    found = _LINE.search(page)
    return " ".join(re.sub(r"<[^>]+>", "", found[1]).split()) if found else ""


def _reader(engine: Engine, name: str, public: bool) -> int:
    with engine.begin() as conn:
        uid = int(create_user(conn, name, "!").id)
        if public:
            save_profile(conn, uid, public_upvotes=True)
    return uid


def _vote(engine: Engine, uid: int, pid: str) -> None:
    with engine.begin() as conn:
        assert set_vote(conn, uid, pid, True)


def _paper(engine: Engine) -> str:
    return sorted(on_day(engine, DAYS[1]))[0]


def _opt(c: TestClient, public: bool) -> None:
    done = post_form(c, "/account/upvotes", {"public": "1"} if public else {})
    assert done.status_code == 303 and done.headers["location"].endswith("/account#upvotes")


def test_only_opted_in_upvoters_are_named_newest_first_and_the_rest_counted(
    site: Settings, engine: Engine
) -> None:
    pid = _paper(engine)
    order = [("ann", True), ("ben", False), ("cat", True), ("dan", True), ("eve", True)]
    ids = {name: _reader(engine, name, public) for name, public in order}
    for name, _ in order:
        _vote(engine, ids[name], pid)
    with client(site, engine) as c:
        total = c.get(f"/api/papers/{pid}").json()["upvotes"]
        page = c.get(f"/papers/{pid}").text
        assert _named(page) == ["eve", "dan", "cat"]  # the newest three who opted in
        assert _line(page) == f"Upvoted by eve, dan, cat and {total - 3} others"
        api = c.get(f"/api/papers/{pid}").json()
        assert [u["name"] for u in api["upvotedBy"]] == ["eve", "dan", "cat"]
        assert api["upvotedBy"][0] == {"name": "eve", "fullname": "eve", "type": "user"}

        with engine.begin() as conn:  # suspended and deleted accounts never appear
            set_suspended(conn, ids["eve"], True)
            delete_account(conn, ids["dan"])
        page = c.get(f"/papers/{pid}").text
        assert _named(page) == ["cat", "ann"]
        # by handle: a random token on the page may hold the letters "eve"
        assert "ben" not in _line(page) and "eve" not in _line(page)
        assert "/users/eve" not in page and "/users/dan" not in page
        assert [u["name"] for u in c.get(f"/api/papers/{pid}").json()["upvotedBy"]] == [
            "cat",
            "ann",
        ]


def test_a_paper_nobody_opted_in_for_names_nobody(site: Settings, engine: Engine) -> None:
    pid = _paper(engine)
    _vote(engine, _reader(engine, "ben", False), pid)
    with client(site, engine) as c:
        page = c.get(f"/papers/{pid}").text
        assert 'id="upvoters"' not in page and "/users/ben" not in page
        assert c.get(f"/api/papers/{pid}").json()["upvotedBy"] == []


def test_two_named_and_no_others_read_as_a_list(site: Settings, engine: Engine) -> None:
    hostile, plain = "2606.99999", _paper(engine)  # 3 upvotes imported from Hugging Face; none
    for name in ("ann", "bob"):
        uid = _reader(engine, name, True)
        _vote(engine, uid, hostile)
        _vote(engine, uid, plain)
    with client(site, engine) as c:
        assert _line(c.get(f"/papers/{hostile}").text) == "Upvoted by bob, ann and 3 others"
        assert c.get(f"/api/papers/{plain}").json()["upvotes"] == 2
        assert _line(c.get(f"/papers/{plain}").text) == "Upvoted by bob and ann"


def test_opting_out_leaves_no_cached_page_naming_you(site: Settings, engine: Engine) -> None:
    """Pages and API answers for visitors are cached per data version, checked here once an hour:
    only the opt-out's own write may make them stale."""
    slow = site.model_copy(update={"page_cache_check_seconds": 3600.0})
    pid = _paper(engine)
    with client(slow, engine) as c:
        sign_up(c, "ann")
        page = c.get("/account").text
        assert (
            'id="public-upvotes"' in page
            and "checked" not in page.split('id="public-upvotes"')[1][:40]
        )
        _opt(c, True)
        assert "Your upvotes are now public" in c.get("/account").text
        assert post_form(c, f"/papers/{pid}/upvote", {"up": "1"}).status_code == 303
        session = dict(c.cookies)
        c.cookies.clear()
        assert _named(c.get(f"/papers/{pid}").text) == ["ann"]  # kept for visitors
        assert [u["name"] for u in c.get(f"/api/papers/{pid}").json()["upvotedBy"]] == ["ann"]
        assert pid in c.get("/users/ann").text.split('id="upvoted"')[1]

        c.cookies.update(session)
        _opt(c, False)
        assert "Your upvotes are private again" in c.get("/account").text
        c.cookies.clear()
        assert _named(c.get(f"/papers/{pid}").text) == []
        assert c.get(f"/api/papers/{pid}").json()["upvotedBy"] == []
        assert 'id="upvoted"' not in c.get("/users/ann").text


def test_the_choice_is_in_the_export_and_bad_input_is_refused(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        assert c.post("/account/upvotes", data={"public": "1"}).status_code == 403  # no token
        sign_up(c, "ann")
        assert c.get("/account/export.json").json()["account"]["upvotes_public"] is False
        _opt(c, True)
        assert c.get("/account/export.json").json()["account"]["upvotes_public"] is True
        for bad in ("2", "yes", "-1"):
            refused = post_form(c, "/account/upvotes", {"public": bad})
            assert 400 <= refused.status_code < 500 and "Traceback" not in refused.text
        assert c.get("/account/export.json").json()["account"]["upvotes_public"] is True
        c.cookies.clear()
        signed_out = post_form(c, "/account/upvotes", {"public": "1"})
        assert signed_out.status_code in (303, 401)


def _read_both(c: TestClient, engine: Engine, pid: str) -> tuple[int, str, str]:
    with statements(engine) as seen:
        page, profile = c.get(f"/papers/{pid}").text, c.get("/users/a1").text
    # Not the data version's reads: a background thread checks it too, as often as it likes.
    return len([s for s in seen if "site_state" not in s]), page, profile


def test_a_paper_page_reads_upvoters_in_one_query_however_many(
    site: Settings, engine: Engine
) -> None:
    """One named upvoter or three, one paper on a profile or six: the same statements."""
    pid, *more = sorted(on_day(engine, DAYS[1]))[:6]
    with client(site, engine) as c:
        a1 = _reader(engine, "a1", True)
        assert c.get(f"/papers/{pid}").status_code == c.get("/users/a1").status_code == 200
        _vote(engine, a1, pid)
        few, page, _ = _read_both(c, engine, pid)
        assert _named(page) == ["a1"]
        for name in ("a2", "a3", "a4", "a5"):  # three named, the rest counted
            _vote(engine, _reader(engine, name, True), pid)
        for other in more:
            _vote(engine, a1, other)
        many, page, profile = _read_both(c, engine, pid)
        assert len(_named(page)) == 3 and all(p in profile for p in more)
    assert few == many


def test_profiles_and_votes_made_before_the_choice_stay_unnamed(engine: Engine) -> None:
    """Migration 0025 on a store that already holds profiles and votes: every one stays off."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        upsert_papers(conn, [HOSTILE])
        config.attributes["connection"] = conn
        command.downgrade(config, "0024")
    assert "public_upvotes" not in {c["name"] for c in inspect(engine).get_columns("profiles")}
    with engine.begin() as conn:
        uid = create_user(conn, "ann", "!").id
        conn.exec_driver_sql(
            "INSERT INTO profiles (user_id, bio, affiliation, links, notify_replies, "
            f"notify_email, display_name) VALUES ({uid}, 'hi', '', '', true, true, 'Ann')"
        )
        assert set_vote(conn, uid, HOSTILE_ID, True)
    migrate(engine)
    with engine.connect() as conn:
        assert get_profile(conn, uid).bio == "hi" and not get_profile(conn, uid).public_upvotes
        assert public_upvoters(conn, HOSTILE_ID) == []
