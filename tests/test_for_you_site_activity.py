"""For you under a busy site: others' votes leave a reader's model alone; one's own count."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import Engine

from paperfeed.recommend.service import Recommender
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user, set_vote, site_revision
from paperfeed.store.library import set_rating
from tests.web_support import DAYS, client, on_day, post_form, sign_up, stored


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*" data-id="([^"]+)"', html)


def test_anothers_upvote_does_not_retrain_a_readers_model(site: Settings, engine: Engine) -> None:
    """Every vote on the site bumps its revision; a reader's model was keyed on it, so during a
    busy hour each page view of For you trained the reader's model again (~0.3 s at 75 k
    papers). Nothing another reader does is in that model: it is kept."""
    ids = sorted(on_day(engine, DAYS[2]))
    rec = Recommender(engine)
    with engine.begin() as conn:
        ana = create_user(conn, "ana", "not a real hash").id
        ben = create_user(conn, "ben", "not a real hash").id
        set_rating(conn, ana, ids[0], 1)
    with engine.connect() as conn:
        model, _space = rec.model(conn, ana, DAYS[0], DAYS[-1])
        before = site_revision(conn)
    with engine.begin() as conn:
        assert set_vote(conn, ben, ids[1], True)
    with engine.connect() as conn:
        assert site_revision(conn) > before  # the site's pages did change
        again, _space = rec.model(conn, ana, DAYS[0], DAYS[-1])
    assert again is model


def test_a_readers_own_upvote_takes_the_paper_out_of_their_for_you(
    site: Settings, engine: Engine
) -> None:
    """Upvoting a paper is a signal: it leaves the reader's For you at once, as a save does."""
    embed_papers(site, engine)
    with client(site, engine) as c:
        sign_up(c, "voter")
        category = Counter(cat for p in stored(engine).values() for cat in p.categories)
        post_form(c, "/me/follow", {"kind": "category", "value": category.most_common(1)[0][0]})
        shown = _cards(c.get("/for-you?window=month").text)
        assert shown
        assert post_form(c, f"/papers/{shown[0]}/upvote", {"up": "1"}).status_code < 400
        after = _cards(c.get("/for-you?window=month").text)
    assert after and shown[0] not in after
