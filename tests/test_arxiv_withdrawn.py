"""A paper withdrawn on arXiv (a new version whose comment says so), as ingested from a listing:
marked on its page, its cards and the feeds, and left out of a reader's For you."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import Engine

from paperfeed.pipeline import ingest_files
from paperfeed.recommend.service import Recommender
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user
from paperfeed.store.library import set_rating
from tests.web_support import DAYS, client, on_day, stored

NOTE = "This paper has been withdrawn by the authors due to an error in Theorem 2."


def _withdraw(engine: Engine, settings: Settings, folder: Path, pid: str) -> None:
    """As arXiv announces it: a new version on a later listing whose comment says so."""
    paper = stored(engine)[pid]
    day = (paper.listing_date or DAYS[-1]) + timedelta(days=1)
    record = {
        "id": f"{pid}v{(paper.version or 1) + 1}",
        "title": paper.title,
        "summary": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "comment": NOTE,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.jsonl"
    path.write_text(json.dumps(record) + "\n")
    report, failed = ingest_files(engine, settings, "listing", [path])
    assert not failed and report.updated == 1, report


def _ids(engine: Engine, rec: Recommender, user_id: int) -> list[str]:
    with engine.connect() as conn:
        return [r.id for r in rec.feed(conn, user_id, DAYS[0], DAYS[-1], 20)]


def _ids_all(engine: Engine, rec: Recommender, user_id: int) -> list[str]:
    with engine.connect() as conn:
        return [r.id for r in rec.feed_all(conn, user_id, 20, False) or []]


def test_a_withdrawn_paper_leaves_for_you(site: Settings, engine: Engine, tmp_path: Path) -> None:
    liked = sorted(on_day(engine, DAYS[2]))[:2]
    with engine.begin() as conn:
        user_id = create_user(conn, "ana", "not a real hash").id
        for pid in liked:
            set_rating(conn, user_id, pid, 1)
    rec = Recommender(engine)
    before = _ids(engine, rec, user_id)
    assert before, "the reader's feed should recommend something"
    gone = before[0]
    _withdraw(engine, site, tmp_path / "v2", gone)
    after = _ids(engine, rec, user_id)
    assert after and gone not in after
    assert gone not in _ids(engine, Recommender(engine), user_id)  # nor for a fresh process


def test_a_withdrawn_paper_is_marked_on_its_cards_and_in_feeds(
    site: Settings, engine: Engine, tmp_path: Path
) -> None:
    pid = sorted(on_day(engine, DAYS[1]))[0]
    _withdraw(engine, site, tmp_path / "v2", pid)
    with client(site, engine) as c:
        page = c.get(f"/abs/{pid}")
        assert page.status_code == 200 and "This paper has been withdrawn." in page.text
        day = c.get(f"/daily?date={DAYS[1].isoformat()}")
        assert day.status_code == 200
        card = day.text.split(f'data-id="{pid}"', 1)[1].split("</article>", 1)[0]
        assert 'class="badge withdrawn"' in card and "Withdrawn" in card
        api = c.get(f"/api/papers/{pid}")
        assert api.status_code == 200 and api.json()["withdrawn"] is True
        rss = c.get(f"/feeds/daily.rss?date={DAYS[1].isoformat()}")
        assert rss.status_code == 200, rss.status_code
        items = ElementTree.fromstring(rss.content).iter("item")
        item = next(i for i in items if (i.findtext("link") or "").endswith(pid))
        assert (item.findtext("title") or "").startswith("[Withdrawn] ")
        assert "This paper has been withdrawn." in (item.findtext("description") or "")


def test_a_withdrawn_paper_leaves_trending(site: Settings, engine: Engine, tmp_path: Path) -> None:
    # Trending digests already left withdrawn papers out; the page, its feed and the API too.
    with client(site, engine) as c:
        ids = [p["paper"]["id"] for p in c.get("/api/trending", params={"limit": 100}).json()]
        assert len(ids) > 1
        pid = ids[0]
        _withdraw(engine, site, tmp_path / "v2", pid)
        after = [p["paper"]["id"] for p in c.get("/api/trending", params={"limit": 100}).json()]
        assert pid not in after and after == ids[1:]
        assert f'data-id="{pid}"' not in c.get("/trending").text
        assert f"/papers/{pid}<" not in c.get("/feeds/trending.rss").text
        assert "This paper has been withdrawn." in c.get(f"/papers/{pid}").text  # still readable
