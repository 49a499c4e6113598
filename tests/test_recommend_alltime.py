"""For you over the whole store ("all time"): ANN candidates from the search's vector index.

The store holds the three listing days of `tests.web_support` plus one real listing day from
long before them (outside every window); the reader's 👍 papers are old ones.
"""

from __future__ import annotations

import gzip
import json
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, update

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.recommend.model import (
    Recommendation,
    Vocabulary,
    fit_vocabulary,
    load_vocabulary,
    save_vocabulary,
)
from paperfeed.recommend.service import Recommender
from paperfeed.recommend.service import vocabulary as service_vocabulary
from paperfeed.recommend.whole import Reach, candidate_ids, centres
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import get_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.library import add_interest, save_paper, set_rating
from paperfeed.store.listings import latest_day, set_flags
from paperfeed.store.papers import author_key
from paperfeed.store.search_store import delete_other_contracts, latest_change
from paperfeed.store.tables import papers
from tests.fit_support import hold_first_fit
from tests.web_support import DAYS, bearer, client, csrf_token, on_day, stored

OLD_DAY = date(2025, 1, 15)  # more than a month before DAYS: in no window but "all"
OLD_SOURCE = "2026-06-20"  # a bundled listing day that `web_support` does not load


def _add_old_day(engine: Engine, settings: Settings, folder: Path) -> set[str]:
    """Twelve real papers listed on OLD_DAY, embedded; their ids."""
    source = {p.name[:10]: p for p in demo_files()[0]}[OLD_SOURCE]
    with gzip.open(source, "rt") as handle:
        lines = handle.read().splitlines()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{OLD_DAY.isoformat()}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report, failed = ingest_files(engine, settings, "listing", [path])
    assert not failed and report.inserted == 12
    embed_papers(settings, engine)
    return set(on_day(engine, OLD_DAY))


def _reader(engine: Engine, liked: list[str], disliked: list[str] = ()) -> int:  # type: ignore[assignment]
    with engine.begin() as conn:
        user_id = create_user(conn, "ana", "not a real hash").id
        for pid in liked:
            set_rating(conn, user_id, pid, 1)
        for pid in disliked:
            set_rating(conn, user_id, pid, -1)
    return user_id


def _recommender(settings: Settings, engine: Engine) -> tuple[Recommender, SearchService]:
    search = SearchService(settings, engine)
    return Recommender(engine, neighbours=search.neighbours), search


def _all(engine: Engine, rec: Recommender, user_id: int, limit: int = 50) -> list[Recommendation]:
    with engine.connect() as conn:
        found = rec.feed_all(conn, user_id, limit)
    assert found is not None
    return found


def test_all_time_ranks_papers_outside_the_month_for_the_reader(
    site: Settings, engine: Engine, tmp_path: Path
) -> None:
    old = _add_old_day(engine, site, tmp_path / "old")
    liked = sorted(old)[:3]
    ana = _reader(engine, liked)
    rec, search = _recommender(site, engine)
    try:
        feed = _all(engine, rec, ana)
    finally:
        search.close()
    ids = [r.id for r in feed]
    with engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None and newest - timedelta(days=30) > OLD_DAY
    assert set(ids) & (old - set(liked))  # old papers, which no window holds, are ranked
    assert set(ids) & set(on_day(engine, DAYS[1]))  # and recent ones beside them
    assert not set(ids) & set(liked)  # never the reader's own papers
    assert len(ids) == len(set(ids)) and all(r.why for r in feed)
    scores = [r.score for r in feed]
    assert max(scores) > min(scores)  # ranked, not listed
    # The month window of the same reader holds none of the old papers.
    with engine.connect() as conn:
        month = rec.feed(conn, ana, newest - timedelta(days=29), newest, 50)
    assert month and not {r.id for r in month} & old


def test_all_time_honours_mutes_hidden_papers_and_acted_on_papers(
    site: Settings, engine: Engine, tmp_path: Path
) -> None:
    old = _add_old_day(engine, site, tmp_path / "old")
    liked = sorted(old)[:3]
    ana = _reader(engine, liked, disliked=sorted(old)[3:4])
    rec, search = _recommender(site, engine)
    try:
        first = _all(engine, rec, ana)
        top, second = first[0].id, first[1].id
        with engine.begin() as conn:
            save_paper(conn, ana, top)  # acted on: leaves the feed
            author = get_papers(conn, [second])[second].authors[0]
            add_interest(conn, ana, "mute", "author", author_key(author), author)
            hidden = first[2].id
            set_flags(conn, hidden, True, False)  # an admin hides a paper
        after = _all(engine, rec, ana)
    finally:
        search.close()
    ids = {r.id for r in after}
    assert after and top not in ids and second not in ids and hidden not in ids
    assert sorted(old)[3] not in ids  # the 👎 paper is acted on too
    with engine.connect() as conn:
        shown = get_papers(conn, list(ids))
    assert all(author_key(author) not in map(author_key, p.authors) for p in shown.values())


def test_without_a_vector_index_all_time_is_not_ranked(
    site: Settings, engine: Engine, tmp_path: Path
) -> None:
    old = _add_old_day(engine, site, tmp_path / "old")
    ana = _reader(engine, sorted(old)[:2])
    with engine.connect() as conn:
        assert Recommender(engine).feed_all(conn, ana, 10) is None  # no index handed in
    with engine.begin() as conn:
        delete_other_contracts(conn, "no-such-contract")  # no stored vectors at all
    rec, search = _recommender(site, engine)
    try:
        with engine.connect() as conn:
            assert rec.feed_all(conn, ana, 10) is None
    finally:
        search.close()


def test_centres_group_positives_and_candidates_interleave_queries() -> None:
    rng = np.random.default_rng(1)
    axes = np.eye(4, dtype=np.float32)
    points = np.vstack([axes[i] + 0.05 * rng.standard_normal((10, 4)) for i in range(3)])
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    found = centres(points.astype(np.float32), np.ones(30, np.float32), 3)
    assert found.shape == (3, 4)
    assert sorted(int(np.argmax(c)) for c in found) == [0, 1, 2]  # one centre per interest
    assert centres(points[:2].astype(np.float32), np.ones(2, np.float32), 8).shape == (2, 4)
    lists = [["a", "b", "c"], ["d", "a", "e"]]
    assert candidate_ids(lists, frozenset({"d"}), 4) == ["a", "b", "c", "e"]
    assert Reach().candidates >= Reach().groups


# --- the web: page, API and private feed ---------------------------------------------------


def test_all_time_on_the_page_the_api_and_the_private_feed(
    site: Settings, engine: Engine, tmp_path: Path
) -> None:
    old = _add_old_day(engine, site, tmp_path / "old")
    liked = sorted(old)[:3]
    with client(site, engine) as c:
        auth = bearer(c, "reader")
        assert c.get("/api/me/feed?window=all", headers=auth).status_code == 409  # nothing liked
        for pid in liked:
            c.put(f"/api/me/ratings/{pid}", json={"rating": 1}, headers=auth)
        items = c.get("/api/me/feed?window=all&limit=100", headers=auth).json()
        ids = {i["paper"]["id"] for i in items}
        assert ids & (old - set(liked)) and not ids & set(liked)
        assert all(i["why"] for i in items)
        for window in ("all", "week"):
            both = c.get(f"/api/me/feed?window={window}&since={DAYS[0]}", headers=auth)
            assert both.status_code == 400 and "since" in both.json()["detail"]
        assert c.get("/api/me/feed?window=year", headers=auth).status_code == 422
        top = [
            i["paper"]["id"] for i in c.get("/api/me/feed?window=all&limit=5", headers=auth).json()
        ]

        _sign_in(c)
        page = c.get("/for-you?window=all").text
        assert 'aria-current="page">All time' in page
        assert "Papers of every day stored</p>" in page  # it read "Papers every paper stored"
        assert top and all(f'data-id="{pid}"' in page for pid in top)  # the same ranking
        feed_page = c.post("/for-you/feed-url", data={"csrf_token": csrf_token(c, "/for-you")}).text
        token = feed_page.split("/feeds/for-you/")[1].split(".atom")[0]
        atom = c.get(f"/feeds/for-you/{token}.atom?window=all").text
        week = c.get(f"/feeds/for-you/{token}.atom").text
        assert c.get(f"/feeds/for-you/{token}.atom?window=year").status_code == 400
    assert any(pid in atom for pid in old - set(liked))
    assert not any(pid in week for pid in old)


def test_all_time_without_an_index_shows_the_month_and_says_why(
    site: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        delete_other_contracts(conn, "no-such-contract")
    liked = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        auth = bearer(c, "reader")
        for pid in liked:
            c.put(f"/api/me/ratings/{pid}", json={"rating": 1}, headers=auth)
        api = c.get("/api/me/feed?window=all", headers=auth)
        _sign_in(c)
        page = c.get("/for-you?window=all")
    assert api.status_code == 409 and "vector index" in api.json()["detail"]
    assert page.status_code == 200 and "Showing this month instead" in page.text
    shown = [pid for pid in stored(engine) if f'data-id="{pid}"' in page.text]
    assert shown and not set(shown) & set(liked)  # the month's ranking, not an empty page


def _sign_in(c: TestClient) -> None:
    response = c.post(
        "/signin",
        data={
            "username": "reader",
            "password": "correct horse battery",
            "csrf_token": csrf_token(c, "/signin"),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_a_later_day_of_changes_refits_the_keyword_features_off_the_request_path(
    site: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _add_old_day(engine, site, tmp_path / "old")
    ana = _reader(engine, sorted(old)[:3])
    rec, search = _recommender(site, engine)
    try:
        rec.warm_vocabulary()  # as `serve` does at start
        with engine.connect() as conn:
            first_change = latest_change(conn)
        assert isinstance(first_change, datetime)
        assert rec.vocabulary_day() == first_change.date()
        before = [r.id for r in _all(engine, rec, ana)]

        later = first_change + timedelta(days=1)
        with engine.begin() as conn:  # a paper changed on a later day
            changed = update(papers).where(papers.c.id == sorted(old)[5])
            conn.execute(changed.values(changed_at=later))
        release, fitting = threading.Event(), threading.Event()
        fit = rec._fit_vocabulary

        def slow_fit(conn: Connection, day: object) -> Vocabulary:
            fitting.set()
            assert release.wait(60)
            return fit(conn, day)

        monkeypatch.setattr(rec, "_fit_vocabulary", slow_fit)
        during = [r.id for r in _all(engine, rec, ana)]  # answered while the refit waits
        assert fitting.wait(60) and rec.vocabulary_day() == first_change.date()
        assert during == before  # the same features as before the change
        release.set()
        assert rec.refit_thread is not None
        rec.refit_thread.join(60)
        assert rec.vocabulary_day() == later.date()
        after = _all(engine, rec, ana)
        assert after and not {r.id for r in after} & set(sorted(old)[:3])
    finally:
        search.close()


def test_keyword_features_fitted_once_are_read_back_by_the_next_process(
    site: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's first all-time request (or its warm-up) reads the features another worker or
    an earlier run fitted for the same day, instead of fitting them again."""
    old = _add_old_day(engine, site, tmp_path / "old")
    ana = _reader(engine, sorted(old)[:3])
    kept = tmp_path / "vocabulary"
    first, search = _recommender(site, engine)
    try:
        first.vocabulary_dir = kept
        first.warm_vocabulary()
        [saved] = kept.glob("vocabulary-*.json.gz")
        assert str(first.vocabulary_day()) in saved.name
        expected = [r.id for r in _all(engine, first, ana)]
        assert expected

        second = Recommender(engine, neighbours=first.neighbours, vocabulary_dir=kept)

        def no_fit(texts: object) -> Vocabulary:
            raise AssertionError("fitted again")

        monkeypatch.setattr(service_vocabulary, "fit_vocabulary", no_fit)
        second.warm_vocabulary()
        assert second.vocabulary_day() == first.vocabulary_day()
        assert [r.id for r in _all(engine, second, ana)] == expected

        saved.write_bytes(b"not gzip")  # damaged: fitted again and rewritten, never an error
        monkeypatch.undo()
        third = Recommender(engine, neighbours=first.neighbours, vocabulary_dir=kept)
        third.warm_vocabulary()
        assert [r.id for r in _all(engine, third, ana)] == expected
        assert load_vocabulary(saved) is not None
    finally:
        search.close()


def test_a_kept_vocabulary_transforms_exactly_as_the_fitted_one(tmp_path: Path) -> None:
    topics = ["graph message passing", "diffusion image guidance", "policy reward robot"]
    topics += ["language tokens decoding", "protein folding structure"]
    texts = [f"{topic} {w} {v}" for topic in topics for w in WORDS for v in WORDS[:3]]
    fitted = fit_vocabulary(texts)
    path = tmp_path / "v.json.gz"
    save_vocabulary(fitted, path)
    back = load_vocabulary(path)
    assert back is not None and list(back.terms) == list(fitted.terms)
    probe = ["message passing for protein structure", "guidance of diffusion for alpha images"]
    a, b = fitted.vectorizer.transform(probe), back.vectorizer.transform(probe)
    assert a.nnz > 4 and a.dtype == b.dtype and (a != b).nnz == 0
    data = json.loads(gzip.decompress(path.read_bytes()))
    path.write_bytes(gzip.compress(json.dumps(data | {"sklearn": "0.0"}).encode()))
    assert load_vocabulary(path) is None  # another scikit-learn: fitted again
    path.write_bytes(gzip.compress(json.dumps(data | {"format": 2}).encode()))
    assert load_vocabulary(path) is None  # fitted before the comment line counted: again
    assert load_vocabulary(tmp_path / "missing.json.gz") is None


WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]


def test_an_all_time_view_during_a_large_stores_first_fit_is_ranked_without_waiting(
    site: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's start fits the store's features (a minute at 1 M papers); an All-time view
    meanwhile is ranked in features fitted on its candidates, and in the store's afterwards."""
    old = _add_old_day(engine, site, tmp_path / "old")
    ana = _reader(engine, sorted(old)[:3])
    held = hold_first_fit(monkeypatch)
    rec, search = _recommender(site, engine)
    try:
        warm = threading.Thread(target=rec.warm_vocabulary)
        warm.start()
        assert held.entered.wait(30)
        during = _all(engine, rec, ana)  # the fit is still held
        held.release.set()
        warm.join(60)
        assert not held.waited and during
        assert rec.refit_thread is not None
        rec.refit_thread.join(60)
        assert rec.vocabulary_day() is not None
        ranked_in: list[object] = []
        original = service_vocabulary.space_in

        def spy(docs: object, vectors: object, vocabulary: Vocabulary) -> object:
            ranked_in.append(vocabulary)
            return original(docs, vectors, vocabulary)  # type: ignore[arg-type]

        monkeypatch.setattr(service_vocabulary, "space_in", spy)
        after = _all(engine, rec, ana)  # not the feed cached during the fit
        store = rec._vocabulary_now
        assert store is not None and ranked_in == [store[1]] and after
    finally:
        search.close()
