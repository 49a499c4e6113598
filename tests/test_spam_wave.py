"""A spam wave of fresh accounts upvoting the same paper: their votes show in the counts but
move nothing in trending until the accounts are older (configurable); SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from paperfeed.models import TrendingRow
from paperfeed.settings import Settings
from paperfeed.store.accounts import bump_revision, create_user, set_vote, users
from paperfeed.trending import TrendingWeights, new_accounts_since, signal
from paperfeed.util import utcnow
from paperfeed.web.auth import hash_new_password
from tests.web_support import DAYS, client, web_settings

WAVE = 50


def _wave(engine: Engine, pid: str) -> None:
    """WAVE accounts made just now, each upvoting `pid` (one hash for all: hashing is slow)."""
    hashed = hash_new_password("correct horse battery")
    with engine.begin() as conn:
        for i in range(WAVE):
            user = create_user(conn, f"wave{i:02d}", hashed)
            set_vote(conn, user.id, pid, True)


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
