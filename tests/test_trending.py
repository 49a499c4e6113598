"""The trending score: a sensible order on a fresh install, monotone in its signals, decaying."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from paperfeed.models import TrendingRow
from paperfeed.settings import Settings
from paperfeed.trending import TrendingWeights, rank, reference_time, score, signal, window_start

NEWEST = date(2026, 7, 1)
REF = reference_time(NEWEST)
W = TrendingWeights()


def row(
    pid: str,
    age_days: int = 0,
    upvotes: int = 0,
    stars: int | None = None,
    code: bool = False,
    featured: bool = False,
) -> TrendingRow:
    return TrendingRow(pid, NEWEST - timedelta(days=age_days), upvotes, stars, code, featured)


def test_fresh_install_orders_by_recency_then_code() -> None:
    rows = [
        row("old-code", 2, code=True),
        row("new", 0),
        row("new-code", 0, code=True),
        row("mid", 1),
    ]
    assert [r.id for r in rank(rows, REF, W)] == ["new-code", "new", "mid", "old-code"]


def test_featured_papers_come_first() -> None:
    rows = [row("popular", 0, upvotes=500, stars=10_000), row("chosen", 5, featured=True)]
    assert [r.id for r in rank(rows, REF, W)] == ["chosen", "popular"]


def test_votes_can_lift_an_older_paper_above_a_newer_one() -> None:
    rows = [row("new", 0), row("loved", 1, upvotes=20)]
    assert rank(rows, REF, W)[0].id == "loved"


def test_ties_break_by_newer_id() -> None:
    rows = [row("2606.00001"), row("2606.00002")]
    assert [r.id for r in rank(rows, REF, W)] == ["2606.00002", "2606.00001"]


@given(
    votes=st.integers(0, 10_000),
    extra=st.integers(1, 1000),
    age=st.integers(0, 30),
    stars=st.none() | st.integers(0, 10**6),
    code=st.booleans(),
)
def test_more_upvotes_always_score_higher(
    votes: int, extra: int, age: int, stars: int | None, code: bool
) -> None:
    low = row("a", age, votes, stars, code)
    high = row("a", age, votes + extra, stars, code)
    assert score(high, REF, W) > score(low, REF, W)


@given(stars=st.integers(0, 10**6), extra=st.integers(1, 10**6))
def test_more_stars_score_higher(stars: int, extra: int) -> None:
    assert signal(row("a", stars=stars + extra), W) > signal(row("a", stars=stars), W)


@given(age=st.integers(0, 365), later=st.integers(1, 365), votes=st.integers(0, 1000))
def test_scores_decay_with_age(age: int, later: int, votes: int) -> None:
    assert score(row("a", age, votes), REF, W) > score(row("a", age + later, votes), REF, W)


def test_weights_come_from_settings() -> None:
    s = Settings(
        trending_gravity=0.5, trending_star_weight=3.0, trending_window_days=3, _env_file=None
    )  # type: ignore[call-arg]
    w = TrendingWeights.from_settings(s)
    assert (w.gravity, w.star_weight, w.window_days) == (0.5, 3.0, 3)
    assert window_start(NEWEST, w) == NEWEST - timedelta(days=2)


def test_zero_gravity_means_no_decay() -> None:
    flat = TrendingWeights(gravity=0.0)
    assert (
        score(row("a", 0, 5), REF, flat)
        == score(row("a", 300, 5), REF, flat)
        == signal(row("a", 0, 5), flat)
    )
