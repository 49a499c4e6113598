"""The trending score: community signals with a time decay, pure and configurable.

    signal = base + upvote_weight * (upvotes - new + new_account_vote_weight * new)
                  + star_weight * log10(1 + github_stars)
                  + code_weight * (1 if the paper links code else 0)
    score  = signal / (age_hours + offset_hours) ** gravity

`age_hours` runs from the start of the paper's arXiv day (its listing day; a submission never
changes it, so submitting an old paper does not make it new) to the reference time, which is the
end of the newest listing day in the store: a store that stopped ingesting keeps a sensible
ranking instead of decaying everything to zero. Only papers from the newest `window_days` days
are candidates. With no votes or stars at all (a fresh install) every
paper has the same `base`, so the order is newest first, papers with code ahead of those without.
Featured papers (an admin's choice) are listed before the ranking. The weights are `Settings`
fields named `trending_*` (environment variables `PAPERFEED_TRENDING_*`).

`new` counts the upvotes by accounts younger than `new_account_hours` now: a wave of fresh
sign-ups voting for the same papers moves nothing (weight 0, the default) until the accounts
are that old, which gives a moderator the time to suspend them (their votes then leave every
count). Vote counts on cards and in the API show every vote, new or not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from paperfeed.models import TrendingRow
from paperfeed.settings import Settings


@dataclass(frozen=True)
class TrendingWeights:
    """The knobs of the formula (see the module docstring)."""

    window_days: int = 7
    gravity: float = 1.5
    offset_hours: float = 2.0
    upvote_weight: float = 1.0
    star_weight: float = 1.0
    code_weight: float = 0.5
    base: float = 1.0
    new_account_hours: float = 24.0
    new_account_vote_weight: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TrendingWeights:
        """The weights configured in Settings."""
        return cls(
            window_days=settings.trending_window_days,
            gravity=settings.trending_gravity,
            offset_hours=settings.trending_offset_hours,
            upvote_weight=settings.trending_upvote_weight,
            star_weight=settings.trending_star_weight,
            code_weight=settings.trending_code_weight,
            base=settings.trending_base,
            new_account_hours=settings.trending_new_account_hours,
            new_account_vote_weight=settings.trending_new_account_vote_weight,
        )


@dataclass(frozen=True)
class Ranked:
    """One paper's place in the trending list."""

    id: str
    score: float
    featured: bool


def signal(row: TrendingRow, w: TrendingWeights) -> float:
    """The undecayed signal of one paper."""
    stars = math.log10(1 + max(row.github_stars or 0, 0))
    code = 1.0 if row.has_code else 0.0
    votes = row.upvotes - row.new_upvotes + w.new_account_vote_weight * row.new_upvotes
    return w.base + w.upvote_weight * votes + w.star_weight * stars + w.code_weight * code


def new_accounts_since(now: datetime, w: TrendingWeights) -> datetime | None:
    """When the accounts whose votes count as new were made from; None when none are new."""
    return now - timedelta(hours=w.new_account_hours) if w.new_account_hours > 0 else None


def age_hours(day: date, reference: datetime) -> float:
    """Hours from the start of `day` to `reference` (never negative)."""
    start = datetime.combine(day, time.min)
    return max((reference - start).total_seconds() / 3600.0, 0.0)


def score(row: TrendingRow, reference: datetime, w: TrendingWeights) -> float:
    """The trending score of one paper at the reference time."""
    decay = (age_hours(row.day, reference) + w.offset_hours) ** w.gravity
    return signal(row, w) / float(decay)


def reference_time(newest_day: date) -> datetime:
    """The moment ages are measured to: the end of the newest day in the store."""
    return datetime.combine(newest_day + timedelta(days=1), time.min)


def window_start(newest_day: date, w: TrendingWeights) -> date:
    """The first day whose papers are trending candidates."""
    return newest_day - timedelta(days=w.window_days - 1)


def rank(rows: Sequence[TrendingRow], reference: datetime, w: TrendingWeights) -> list[Ranked]:
    """Order candidates: featured first, then by score, ties by newer id."""
    ranked = [Ranked(r.id, score(r, reference, w), r.featured) for r in rows]
    ranked.sort(key=lambda r: r.id, reverse=True)
    ranked.sort(key=lambda r: (r.featured, r.score), reverse=True)
    return ranked
