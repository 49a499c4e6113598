"""A spam wave of fresh accounts upvoting the same paper: their votes show in the counts but
move nothing in trending until the accounts are older (configurable); SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from paperfeed.models import TrendingRow
from paperfeed.settings import Settings
from paperfeed.store.accounts import bump_revision, create_user, set_admin, set_vote, users
from paperfeed.store.community import add_comment
from paperfeed.store.jobs import recent_actions
from paperfeed.trending import TrendingWeights, new_accounts_since, signal
from paperfeed.util import utcnow
from paperfeed.web.auth import hash_new_password
from tests.web_support import (
    DAYS,
    bearer,
    client,
    csrf_token,
    on_day,
    post_form,
    sign_up,
    web_settings,
)

WAVE = 50


def _wave(engine: Engine, pid: str) -> list[int]:
    """WAVE accounts made just now, each upvoting `pid` and posting a link there (one hash for
    all: hashing is slow); their ids."""
    hashed = hash_new_password("correct horse battery")
    made = []
    with engine.begin() as conn:
        for i in range(WAVE):
            user = create_user(conn, f"wave{i:02d}", hashed)
            set_vote(conn, user.id, pid, True)
            add_comment(conn, pid, user.id, f"Great paper! https://pills.example/{i}", None)
            made.append(user.id)
    return made


def _age_the_wave(engine: Engine, by: timedelta) -> None:
    with engine.begin() as conn:
        wave = users.c.username.like("wave%")
        conn.execute(update(users).where(wave).values(created_at=utcnow() - by))
        bump_revision(conn)  # ageing changes no data the page cache watches; a vote would


def _trending(c: TestClient) -> list[str]:
    got = c.get("/api/trending?limit=100")
    assert got.status_code == 200, got.text
    return [item["paper"]["id"] for item in got.json()]


def _upvotes(c: TestClient, pid: str) -> int:
    return int(c.get(f"/api/papers/{pid}").json()["upvotes"])


def test_a_wave_of_new_accounts_moves_trending_only_once_they_are_a_day_old(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        before = _trending(c)
        target = before[-1]  # the least trending paper
        votes = _upvotes(c, target)
        _wave(engine, target)
        assert _upvotes(c, target) == votes + WAVE  # the count shows every vote
        assert _trending(c) == before  # but trending is as it was
        about = " ".join(c.get("/about").text.split())
        assert "account younger than 24 hours counts nothing in the signal" in about
        _age_the_wave(engine, timedelta(hours=23))
        assert _trending(c) == before
        _age_the_wave(engine, timedelta(hours=25))
        assert _trending(c)[0] == target


def test_the_new_account_rule_is_configurable(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        target = _trending(c)[-1]
    _wave(engine, target)
    counted = web_settings(site, trending_new_account_vote_weight=1.0)
    halved = web_settings(site, trending_new_account_vote_weight=0.5)  # 25 votes: still enough
    off = web_settings(site, trending_new_account_hours=0)  # no account is new
    for settings in (counted, halved, off):
        with client(settings, engine) as c:
            assert _trending(c)[0] == target


def test_new_votes_count_by_their_weight_in_the_signal() -> None:
    day = DAYS[-1]
    row = TrendingRow("p", day, 10, None, False, False, new_upvotes=4)
    assert signal(row, TrendingWeights()) == 1.0 + 6
    assert signal(row, TrendingWeights(new_account_vote_weight=0.5)) == 1.0 + 8
    assert signal(row, TrendingWeights(new_account_vote_weight=1.0)) == 1.0 + 10
    now = utcnow()
    assert new_accounts_since(now, TrendingWeights()) == now - timedelta(hours=24)
    assert new_accounts_since(now, TrendingWeights(new_account_hours=0)) is None


def test_settings_carry_the_new_account_rule_into_the_weights() -> None:
    s = Settings(
        trending_new_account_hours=6,
        trending_new_account_vote_weight=0.25,
        _env_file=None,
    )
    w = TrendingWeights.from_settings(s)
    assert (w.new_account_hours, w.new_account_vote_weight) == (6, 0.25)


def _bulk(c: TestClient, pairs: list[tuple[str, str]], token: str = "") -> Any:
    """Post the console's bulk form (names repeat, as a form's boxes do)."""
    form: dict[str, list[str]] = {"csrf_token": [token or csrf_token(c, "/")]}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return c.post("/admin/users/bulk", data=form, follow_redirects=False)


def _suspended(engine: Engine) -> int:
    with engine.connect() as conn:
        barred = users.c.suspended_at.is_not(None)
        return len(list(conn.scalars(select(users.c.id).where(barred))))


def test_a_moderator_suspends_the_wave_at_once_and_lifts_it(site: Settings, engine: Engine) -> None:
    """Fifty accounts could only be suspended one by one (two clicks each); now ticked, or
    all of a page at once, after one question, each logged; lifting them is the undo."""
    with client(site, engine) as c:
        target = _trending(c)[-1]
        votes = _upvotes(c, target)
        wave = _wave(engine, target)
        sign_up(c, "keeper")
        with engine.begin() as conn:
            set_admin(conn, "keeper", True)
        console = c.get("/admin?user=wave").text
        assert console.count('name="ids"') == WAVE and "Suspend ticked" in console
        ticked = [("action", "suspend")] + [("ids", str(i)) for i in wave[:3]]
        asked = _bulk(c, ticked)
        assert asked.status_code == 200 and _suspended(engine) == 0
        assert "Suspend 3 accounts (wave00, wave01, wave02)?" in unescape(asked.text)
        pairs = [("action", "suspend"), ("all", "1"), ("user", "wave"), ("confirmed", "1")]
        done = _bulk(c, pairs + [("page_ids", str(i)) for i in wave])
        assert done.status_code == 303 and done.headers["location"].endswith("#users")
        assert _suspended(engine) == WAVE
        assert _upvotes(c, target) == votes
        assert "pills.example" not in c.get(f"/papers/{target}").text
        assert "suspend 50 accounts; each is in the admin log" in unescape(
            c.get(done.headers["location"]).text
        )
        with engine.connect() as conn:
            logged = recent_actions(conn, 100, 0, "wave")
        assert sorted(a.target for a in logged if a.action == "suspend") == [
            f"wave{i:02d}" for i in range(WAVE)
        ]
        again = _bulk(c, [("action", "suspend"), ("confirmed", "1"), ("ids", str(wave[0]))])
        assert again.status_code == 303 and _suspended(engine) == WAVE  # nothing twice
        lifted = [("action", "unsuspend"), ("confirmed", "1")] + [("ids", str(i)) for i in wave]
        assert _bulk(c, lifted).status_code == 303
        assert _suspended(engine) == 0 and _upvotes(c, target) == votes + WAVE
        assert "pills.example/7" in c.get(f"/papers/{target}").text


def test_bulk_suspension_refuses_bad_posts(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "keeper")
        with engine.begin() as conn:
            set_admin(conn, "keeper", True)
            me = conn.scalar(select(users.c.id).where(users.c.username == "keeper"))
        assert _bulk(c, [("action", "suspend")]).status_code == 400  # none ticked
        own = _bulk(c, [("action", "suspend"), ("ids", str(me)), ("confirmed", "1")])
        assert own.status_code == 400 and _suspended(engine) == 0  # never one's own
        for bad in ([("action", "delete"), ("ids", "1")], [("action", "suspend"), ("ids", "x")]):
            assert _bulk(c, bad).status_code == 400
        too_many = [("action", "suspend")] + [("ids", str(i)) for i in range(1, 102)]
        assert _bulk(c, too_many).status_code == 400
        reader = TestClient(c.app)
        sign_up(reader, "reader")
        refused = _bulk(reader, [("action", "suspend"), ("ids", str(me)), ("confirmed", "1")])
        assert refused.status_code in (401, 403) and _suspended(engine) == 0


def test_votes_toggled_by_a_script_are_limited_per_account(site: Settings, engine: Engine) -> None:
    """Every upvote given or taken back changed every cached page, and nothing limited how
    often: past the account's limit a minute it is refused (429), for papers and comments."""
    limited = web_settings(site, vote_rate_limit=4)
    pid = sorted(on_day(engine, DAYS[2]))[0]
    with client(limited, engine) as c:
        script, other = bearer(c, "toggler"), bearer(c, "reader")
        said = c.post(f"/api/papers/{pid}/comments", json={"body": "Fine."}, headers=other)
        cid, before = said.json()["id"], _upvotes(c, pid)
        for _ in range(2):
            assert c.post(f"/api/papers/{pid}/upvote", headers=script).status_code == 200
            assert c.delete(f"/api/papers/{pid}/upvote", headers=script).status_code == 200
        refused = c.post(f"/api/papers/{pid}/upvote", headers=script)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "at most 4 upvotes a minute" in refused.json()["detail"]
        assert c.post(f"/api/papers/{pid}/upvote", headers=other).status_code == 200
        sign_up(c, "clicker")
        for up in ("1", "0", "1", "0"):
            done = post_form(c, f"/comments/{cid}/vote", {"up": up})
            assert done.status_code == 303
        assert post_form(c, f"/comments/{cid}/vote", {"up": "1"}).status_code == 429
        assert post_form(c, f"/papers/{pid}/upvote", {"up": "1"}).status_code == 429
        assert _upvotes(c, pid) == before + 1  # the reader's only: refused ones left no vote
