"""The JSON API under /api, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.web import community
from paperfeed.web.views import MAX_PAGE
from tests.replay import arxiv_api_handler, replay
from tests.web_support import (
    DAYS,
    HOSTILE,
    HOSTILE_ID,
    bearer,
    client,
    csrf_token,
    on_day,
    sign_up,
    stored,
)

PASSWORD = "correct horse battery"


def _bearer(c: TestClient, username: str) -> dict[str, str]:
    return bearer(c, username, PASSWORD)


def test_daily_papers_has_hugging_faces_shape(site: Settings, engine: Engine) -> None:
    day = DAYS[1]
    expected = on_day(engine, day)
    with client(site, engine) as c:
        items = c.get(f"/api/daily_papers?date={day.isoformat()}&limit=100").json()
    assert {i["paper"]["id"] for i in items} == set(expected)
    for item in items:
        paper, source = item["paper"], expected[item["paper"]["id"]]
        assert paper["title"] == item["title"] == source.title
        assert paper["summary"] == source.abstract
        assert paper["authors"] == [{"name": a} for a in source.authors]
        assert isinstance(paper["upvotes"], int) and isinstance(item["numComments"], int)
        assert item["publishedAt"].startswith(day.isoformat())
        assert {"submittedBy", "thumbnail"} <= set(item)
    hostile = next(i for i in items if i["paper"]["id"] == HOSTILE_ID)
    assert hostile["paper"]["upvotes"] == HOSTILE.signals.upvotes  # type: ignore[union-attr]
    assert hostile["paper"]["githubStars"] == HOSTILE.signals.github_stars  # type: ignore[union-attr]


def test_daily_papers_pages_and_periods(site: Settings, engine: Engine) -> None:
    every = {pid for day in DAYS for pid in on_day(engine, day)}
    with client(site, engine) as c:
        newest = c.get("/api/daily_papers?limit=100").json()
        assert {i["paper"]["id"] for i in newest} == set(on_day(engine, max(DAYS)))
        pages = [c.get(f"/api/daily_papers?week=2026-W26&p={p}&limit=4").json() for p in range(8)]
        month = c.get("/api/daily_papers?month=2026-06&limit=100").json()
    seen = [i["paper"]["id"] for page in pages for i in page]
    assert len(seen) == len(set(seen)) and set(seen) == every
    assert all(len(page) <= 4 for page in pages) and pages[-1] == []
    assert {i["paper"]["id"] for i in month} == every


BAD_REQUESTS = [
    ("/api/daily_papers?date=2026-02-30", "no date of the calendar"),
    ("/api/daily_papers?date=01/07/2026", "2026-07-01"),
    ("/api/daily_papers?date=2026-06-25&week=2026-W26", "only one"),
    ("/api/daily_papers?limit=1000", "limit"),
    ("/api/daily_papers?limit=0", "limit"),
    (f"/api/daily_papers?p={MAX_PAGE}", "p"),
    ("/api/daily_papers?p=-1", "p"),
    ("/api/papers/search", "q"),
    ("/api/papers/search?q=x&mode=magic", "mode"),
    ("/api/papers/search?q=x&sort=random", "sort"),
    ("/api/trending?limit=x", "limit"),
]


def test_bad_requests_get_json_errors(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        for path, words in BAD_REQUESTS:
            response = c.get(path)
            assert 400 <= response.status_code < 500, path
            assert words in response.json()["detail"], path


def test_one_paper(site: Settings, engine: Engine) -> None:
    paper = next(iter(on_day(engine, DAYS[0]).values()))
    with client(site, engine) as c:
        data = c.get(f"/api/papers/{paper.id}").json()
        versioned = c.get(f"/api/papers/{paper.id}v3").json()
        missing = c.get("/api/papers/9999.99999")
        garbage = c.get("/api/papers/<script>")
    assert data == {k: v for k, v in versioned.items() if k != "askedVersion"}
    assert data["id"] == paper.id and data["title"] == paper.title
    assert data["categories"] == list(paper.categories)
    assert data["arxivUrl"] == f"https://arxiv.org/abs/{paper.id}"
    assert missing.status_code == 404 and "9999.99999" in missing.json()["detail"]
    assert garbage.status_code == 404


def test_search_and_similar(site: Settings, engine: Engine) -> None:
    papers = stored(engine)
    target = next(p for p in papers.values() if p.id != HOSTILE_ID)
    with client(site, engine) as c:
        keyword = c.get("/api/papers/search", params={"q": target.title, "mode": "keyword"})
        fallback = c.get("/api/papers/search", params={"q": target.title, "mode": "semantic"})
        assert keyword.json()[0]["paper"]["id"] == target.id
        assert "<mark>" in keyword.json()[0]["highlight"]
        assert keyword.headers["x-search-mode"] == "keyword"
        assert fallback.headers["x-search-mode"] == "keyword"
        assert "x-search-fallback" in fallback.headers
        embed_papers(site, engine)
        hybrid = c.get("/api/papers/search", params={"q": target.title})
        assert hybrid.headers["x-search-mode"] == "hybrid"
        assert target.id in [i["paper"]["id"] for i in hybrid.json()]
        similar = c.get(f"/api/papers/{target.id}/similar?limit=3").json()
        assert 0 < len(similar) <= 3
        assert target.id not in {i["paper"]["id"] for i in similar}
        assert c.get("/api/papers/9999.99999/similar").status_code == 404


def test_trending_is_ordered_by_score(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        items = c.get("/api/trending?limit=100").json()
    scores = [i["trendingScore"] for i in items]
    assert scores == sorted(scores, reverse=True) and len(scores) == len(stored(engine))
    by_id = {i["paper"]["id"]: i["trendingScore"] for i in items}
    same_day = [pid for pid in on_day(engine, HOSTILE.listing_date) if pid != HOSTILE_ID]  # type: ignore[arg-type]
    assert all(by_id[HOSTILE_ID] > by_id[pid] for pid in same_day)  # votes, stars and code


def test_upvote_through_the_api(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        headers = _bearer(c, "ivan")
        base = c.get(f"/api/papers/{HOSTILE_ID}").json()["upvotes"]
        up = c.post(f"/api/papers/{HOSTILE_ID}/upvote", headers=headers).json()
        again = c.post(f"/api/papers/{HOSTILE_ID}/upvote", headers=headers).json()
        assert up == again == {"id": HOSTILE_ID, "upvotes": base + 1, "upvoted": True}
        down = c.delete(f"/api/papers/{HOSTILE_ID}/upvote", headers=headers).json()
        assert down == {"id": HOSTILE_ID, "upvotes": base, "upvoted": False}
        assert c.post(f"/api/papers/{HOSTILE_ID}/upvote").status_code == 401
        assert c.post("/api/papers/9999.99999/upvote", headers=headers).status_code == 404


def test_cookie_sessions_need_the_csrf_header_for_api_writes(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        sign_up(c, "judy")
        path = f"/api/papers/{HOSTILE_ID}/upvote"
        assert c.post(path).status_code == 403
        ok = c.post(path, headers={"X-CSRF-Token": csrf_token(c, "/")})
        assert ok.status_code == 200 and ok.json()["upvoted"] is True


def test_login_errors(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "kim", PASSWORD)
        wrong = c.post("/api/login", json={"username": "kim", "password": "nope"})
        malformed = c.post(
            "/api/login", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        missing = c.post("/api/login", json={"username": "kim"})
    assert wrong.status_code == 401 and "wrong" in wrong.json()["detail"]
    assert malformed.status_code == 422 and "JSON" in malformed.json()["detail"]
    assert missing.status_code == 422 and "password" in missing.json()["detail"]


def test_login_says_how_long_its_token_lasts(site: Settings, engine: Engine) -> None:
    """A script could not plan a new login: the answer named no end and no idle limit."""
    with client(site, engine) as c:
        sign_up(c, "lena", PASSWORD)
        before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        got = c.post("/api/login", json={"username": "lena", "password": PASSWORD}).json()
    ends = datetime.strptime(got["expires_at"], "%Y-%m-%dT%H:%M:%S.000Z")
    assert ends - before >= timedelta(days=site.session_days) - timedelta(seconds=1)
    assert ends - before <= timedelta(days=site.session_days, minutes=1)
    assert got["idle_seconds"] == site.session_idle_hours * 3600
    with client(site.model_copy(update={"session_idle_hours": 0}), engine) as c:
        assert (
            c.post("/api/login", json={"username": "lena", "password": PASSWORD}).json()[
                "idle_seconds"
            ]
            is None
        )


def test_submit_through_the_api(
    site: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2017, 8, 1, 12))  # days after v1
    with replay(arxiv_api_handler) as server:
        fetching = site.model_copy(update={"arxiv_api_url": server.url})
        with client(fetching, engine) as c:
            headers = _bearer(c, "liam")
            done = c.post("/api/submit", json={"id": "arXiv:1707.08567"}, headers=headers)
            assert done.status_code == 201
            item = done.json()
            assert item["paper"]["id"] == "1707.08567"
            assert item["submittedBy"]["name"] == "liam"
            arxiv_day = "2017-07-27"  # its v1: a submission never moves it to another day
            assert item["publishedAt"].startswith(arxiv_day)
            listed = c.get(f"/api/daily_papers?date={arxiv_day}").json()
            assert [i["paper"]["id"] for i in listed] == ["1707.08567"]
            trending = [i["paper"]["id"] for i in c.get("/api/trending?limit=100").json()]
            assert "1707.08567" not in trending  # old next to the store's week: not new
            assert set(trending) == set(stored(engine)) - {"1707.08567"}
            again = c.post("/api/submit", json={"paper_id": "1707.08567"}, headers=headers)
            assert again.status_code == 409 and "already submitted" in again.json()["detail"]
            bad = c.post(
                "/api/submit",
                content=b"[1,",
                headers=headers | {"Content-Type": "application/json"},
            )
            assert bad.status_code == 422
            assert c.post("/api/submit", json={"id": "1707.08567"}).status_code == 401


def test_logout_revokes_the_token(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        headers = _bearer(c, "mia")
        assert c.post("/api/logout", headers=headers).json() == {"ok": True}
        assert c.post(f"/api/papers/{HOSTILE_ID}/upvote", headers=headers).status_code == 401


def test_refused_values_are_explained_in_words(site: Settings, engine: Engine) -> None:
    pid = sorted(stored(engine))[0]
    with client(site, engine) as c:
        mode = c.get("/search?q=x&mode=foo")
        assert mode.status_code == 400
        assert "mode: use one of hybrid, keyword, semantic, not &#39;foo&#39;" in mode.text
        sign_up(c, "worded")
        number = c.get("/for-you?collection=abc")
        assert (
            number.status_code == 400
            and "collection: give a number, not &#39;abc&#39;" in number.text
        )
        headers = _bearer(c, "worded2")
        empty = c.put(f"/api/me/ratings/{pid}", headers=headers)
        assert empty.status_code == 422
        assert empty.json()["detail"].startswith("send a JSON body"), empty.text


def test_a_search_the_page_would_call_empty_or_impossible_is_a_400_that_says_why(
    site: Settings, engine: Engine
) -> None:
    """The API answered 20 arbitrary papers for "*" and 200 [] for an unknown category or a
    reversed date range, where the page says what is wrong."""
    with client(site, engine) as c:
        for q in ("*", "-", '"'):
            answer = c.get("/api/papers/search", params={"q": q})
            assert answer.status_code == 400 and "no words to search for" in answer.json()["detail"]
        odd = c.get("/api/papers/search", params={"q": "mamba", "category": "xx.YY"})
        assert odd.status_code == 400 and "xx.YY" in odd.json()["detail"]
        swapped = {"q": "mamba", "since": "2026-07-01", "until": "2026-06-01"}
        backwards = c.get("/api/papers/search", params=swapped)
        assert backwards.status_code == 400 and "Swap the dates" in backwards.json()["detail"]
        assert c.get("/api/papers/search", params={"q": "C++"}).status_code == 200
        assert (
            c.get("/api/papers/search", params={"q": "mamba", "category": "cs.cl"}).status_code
            == 200
        )


def test_a_401_says_how_to_sign_in_and_challenges_for_a_bearer_token(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        none = c.get("/api/me/library")
        assert (
            none.status_code == 401
            and none.headers["www-authenticate"] == 'Bearer realm="paperfeed"'
        )
        assert "POST /api/login" in none.json()["detail"]
        bad = c.get("/api/me/library", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
        assert "not valid" in bad.json()["detail"]


def test_a_database_that_cannot_be_reached_is_told_apart_from_a_busy_one() -> None:
    """PostgreSQL stopped under a running site: readers were told the server was busy."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from paperfeed.store.health import unreachable

    closed = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(OperationalError) as down:
        closed.connect()
    assert unreachable(down.value)
    locked = create_engine("sqlite://")
    with locked.connect() as conn, pytest.raises(OperationalError) as busy:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert not unreachable(busy.value)  # a wrong statement is not an outage
