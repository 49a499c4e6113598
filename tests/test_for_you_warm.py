"""For you models trained in the background after new papers: used by the reader's next page,
ranked as one trained in the request would rank, and trained again after a new signal."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from sqlalchemy import Engine

from paperfeed.recommend.model import Recommendation
from paperfeed.recommend.service import Recommender
from paperfeed.recommend.warm import Warmer
from paperfeed.settings import Settings
from paperfeed.store import get_papers, upsert_papers
from paperfeed.store.accounts import create_user, find_user
from paperfeed.store.library import add_interest, save_papers, set_rating
from paperfeed.store.papers import author_key
from paperfeed.web.library import ranked_feed
from tests.web_support import DAYS, client, on_day, post_form, sign_up, stored


def _feed(engine: Engine, rec: Recommender, user_id: int) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        found: list[Recommendation] = rec.feed(conn, user_id, DAYS[0], DAYS[-1], 5)
    return [(r.id, r.why) for r in found]  # scores move a little with the signals' age


def _reader(engine: Engine, name: str, liked: list[str]) -> int:
    with engine.begin() as conn:
        user_id = create_user(conn, name, "not a real hash").id
        for pid in liked:
            set_rating(conn, user_id, pid, 1)
    return user_id


def _new_papers(engine: Engine, n: int = 1) -> list[str]:
    """As an ingest does: papers stored on the newest day (the candidate space changes)."""
    model = next(iter(on_day(engine, DAYS[-1]).values()))
    ids = [f"2606.9{i:04d}" for i in range(n)]
    with engine.begin() as conn:
        upsert_papers(conn, [replace(model, id=pid, title=f"{model.title} {pid}") for pid in ids])
    return ids


def _settled(warmer: Warmer) -> int:
    """Two looks at an unchanged store: the second warms."""
    assert warmer.check() == 0  # a change just seen: an ingest may still be storing
    return warmer.check()


def test_a_warmed_model_serves_the_next_page_as_one_trained_in_it(
    site: Settings, engine: Engine
) -> None:
    # Two processes with the same past (keyword features are fitted once a day: kept through
    # the day's later papers): one warms, the other trains in the request as before.
    rec, cold = Recommender(engine), Recommender(engine)
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[2]))[:2])
    ben = _reader(engine, "ben", sorted(on_day(engine, DAYS[1]))[:2])
    assert _feed(engine, rec, ana) == _feed(engine, cold, ana)  # only ana came yesterday
    _new_papers(engine)
    warmer = Warmer(rec, days=7, budget_s=600)
    assert _settled(warmer) == 1  # ana's model; ben was not seen by this process
    assert warmer.check() == 0  # the same change: nothing to warm again
    trained = rec.trained
    page = _feed(engine, rec, ana)
    assert rec.trained == trained  # her first page after the new papers trained nothing
    assert page and page == _feed(engine, cold, ana)
    _feed(engine, rec, ben)
    assert rec.trained == trained + 1  # his was trained on his page, as before


def test_a_new_signal_after_warming_shows_on_the_next_page(site: Settings, engine: Engine) -> None:
    rec, cold = Recommender(engine), Recommender(engine)
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[2]))[:2])
    assert _feed(engine, rec, ana) == _feed(engine, cold, ana)
    _new_papers(engine)
    warmer = Warmer(rec, days=7, budget_s=600)
    assert _settled(warmer) == 1
    top = _feed(engine, rec, ana)[0][0]
    with engine.begin() as conn:
        save_papers(conn, ana, [top])  # a save: the paper leaves her feed at once
    saved = _feed(engine, rec, ana)
    assert top not in {pid for pid, _why in saved}
    assert saved == _feed(engine, cold, ana)
    with engine.begin() as conn:
        author = get_papers(conn, [saved[0][0]])[saved[0][0]].authors[0]
        add_interest(conn, ana, "mute", "author", author_key(author), author)
    muted = _feed(engine, rec, ana)
    assert saved[0][0] not in {pid for pid, _why in muted}
    assert muted == _feed(engine, cold, ana)


def test_warming_keeps_to_its_days_and_its_time(site: Settings, engine: Engine) -> None:
    rec = Recommender(engine)
    ana = _reader(engine, "ana", sorted(on_day(engine, DAYS[2]))[:2])
    _feed(engine, rec, ana)
    _new_papers(engine)
    assert rec.recent_readers(7) == [ana] and rec.recent_readers(0) == []
    assert rec.warm(days=0, budget_s=600) == 0  # nobody seen in no days
    assert rec.warm(days=7, budget_s=0) == 0  # no time to spend
    assert rec.warm(days=7, budget_s=600) == 1


def _page(engine: Engine, rec: Recommender, size: int) -> list[str]:
    """The ids of the reader's first For you page (this week) as `rec` ranks it."""
    with engine.connect() as conn:
        found = find_user(conn, "reader")
        assert found is not None
        return [r.id for r in ranked_feed(rec, conn, found[0].id, "week", size + 1)[0][:size]]


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', html)


def test_the_for_you_page_after_new_papers_is_ranked_by_the_warmed_model(
    site: Settings, engine: Engine
) -> None:
    """Through the site: the reader's page after an ingest trains nothing and shows what a
    page trained in the request shows; their 👍 on it still changes the next page."""
    with client(site, engine) as c:
        sign_up(c, "reader")
        category = Counter(cat for p in stored(engine).values() for cat in p.categories)
        post_form(c, "/me/follow", {"kind": "category", "value": category.most_common(1)[0][0]})
        assert _cards(c.get("/for-you?window=week").text)
        rec: Recommender = c.app.state.recommender  # type: ignore[attr-defined]
        cold = Recommender(engine)  # a process that trains in the request, with the same past
        assert _page(engine, cold, site.page_size) == _cards(c.get("/for-you?window=week").text)
        _new_papers(engine, 3)
        assert _settled(Warmer(rec, days=7, budget_s=600)) == 1
        trained = rec.trained
        shown = _cards(c.get("/for-you?window=week").text)
        assert rec.trained == trained
        assert shown and shown == _page(engine, cold, site.page_size)
        assert post_form(c, f"/papers/{shown[0]}/rate", {"rating": "1"}).status_code < 400
        after = _cards(c.get("/for-you?window=week").text)
    assert after and shown[0] not in after
