"""The JSON API's schema says what the server holds requests to, on SQLite and PostgreSQL:
patterns and enums of parameters, the feed's window, list limits, every status an operation
answers, JSON errors for API clients, idempotent removals, and arXiv versions from v1."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.digest.subscriber import MAX_INTERESTS
from paperfeed.settings import Settings
from paperfeed.store.accounts import create_user
from paperfeed.store.library import FOLLOW_KINDS, MUTE_KINDS
from paperfeed.util import utcnow
from paperfeed.web.me_api import MAX_WINDOW_DAYS
from tests.web_support import DAYS, client, on_day

PASSWORD = "correct horse battery"


def _bearer(c: TestClient, engine: Engine, username: str = "reader") -> dict[str, str]:
    with engine.begin() as conn:
        create_user(conn, username, PasswordHasher().hash(PASSWORD))
    answer = c.post("/api/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _param(doc: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found = doc["paths"][path][method]["parameters"]
    return next(p for p in found if p["name"] == name)


def _a_paper(engine: Engine) -> str:
    return min(on_day(engine, DAYS[0]))


# name, path, values the schema's pattern takes, values it refuses
SHAPED = [
    ("date", "/api/daily_papers", ["2026-06-25", "2026-02-30"], ["01/07/2026", "", "2026-6-25"]),
    ("week", "/api/daily_papers", ["2026-W26", "2026-W5"], ["2026-W27x", "2026-W60", "٢٠٢٦-W26"]),
    ("month", "/api/daily_papers", ["2026-06"], ["2026-13", "2026-6", "June"]),
    (
        "category",
        "/api/papers/search",
        ["cs.CL", "cs.cl", "hep-th", "", "cs.CL,cs.LG", "cs"],
        ["000", "cs.", "cs.CL;cs.LG", "cs.CL,"],
    ),  # fmt: skip
]


@pytest.mark.parametrize(("name", "path", "matching", "refused"), SHAPED)
def test_period_and_category_parameters_have_the_pattern_the_server_holds_them_to(
    site: Settings, engine: Engine, name: str, path: str, matching: list[str], refused: list[str]
) -> None:
    """A value the documented pattern refuses is a 400 that says what was expected; a value it
    takes is not refused for its shape (a day of no calendar is refused as that)."""
    with client(site, engine) as c:
        schema = _param(c.get("/openapi.json").json(), path, "get", name)["schema"]
        pattern = schema["pattern"]
        for value in matching + refused:
            got = c.get(path, params={name: value, "limit": 5, "q": "model"})
            shaped = re.fullmatch(pattern, value) is not None
            assert shaped == (value in matching), (pattern, value)
            if shaped:
                assert got.status_code == 200 or "calendar" in got.json()["detail"], got.text
            else:
                assert got.status_code == 400, (value, got.text)
                detail = got.json()["detail"]
                assert detail.startswith(f"{name}: give ") and " like " in detail, detail


def test_the_daily_feed_documents_and_holds_its_period_parameters_to_the_same_patterns(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        for name, _path, matching, refused in SHAPED[:3]:
            api = _param(doc, "/api/daily_papers", "get", name)["schema"]["pattern"]
            assert _param(doc, "/feeds/daily.{fmt}", "get", name)["schema"]["pattern"] == api
            assert c.get("/feeds/daily.rss", params={name: matching[0]}).status_code == 200
            got = c.get("/feeds/daily.rss", params={name: refused[0]})
            assert got.status_code == 400 and f"{name}: give " in got.text, got.text


def test_follow_and_mute_kinds_are_enums_in_the_schema(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        auth = _bearer(c, engine)
        for path, kinds, body in (
            ("/api/me/follows", FOLLOW_KINDS, "FollowIn"),
            ("/api/me/mutes", MUTE_KINDS, "MuteIn"),
        ):
            assert _param(doc, path, "delete", "kind")["schema"]["enum"] == list(kinds)
            ref = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
            assert ref["schema"]["$ref"].endswith(f"/{body}")
            assert doc["components"]["schemas"][body]["properties"]["kind"]["enum"] == list(kinds)
            refused = c.post(path, json={"kind": "", "value": "x"}, headers=auth)
            assert refused.status_code == 400 and kinds[0] in refused.json()["detail"]
            value = doc["components"]["schemas"][body]["properties"]["value"]
            assert value["minLength"] == 1
            empty = c.post(path, json={"kind": kinds[0], "value": ""}, headers=auth)
            assert empty.status_code == 422 and "value" in empty.json()["detail"], empty.text


def test_the_feeds_window_limit_is_documented(site: Settings, engine: Engine) -> None:
    """The since..until span the feed refuses past is in its schema, and is the one held to."""
    with client(site, engine) as c:
        feed = c.get("/openapi.json").json()["paths"]["/api/me/feed"]["get"]
        auth = _bearer(c, engine)
        until = DAYS[-1]
        widest = c.get(
            "/api/me/feed",
            params={"since": str(until - timedelta(MAX_WINDOW_DAYS - 1)), "until": str(until)},
            headers=auth,
        )
        wider = c.get(
            "/api/me/feed",
            params={"since": str(until - timedelta(MAX_WINDOW_DAYS)), "until": str(until)},
            headers=auth,
        )
    assert feed["x-max-window-days"] == MAX_WINDOW_DAYS == 366
    assert f"at most {MAX_WINDOW_DAYS} days" in feed["description"]
    since = _param({"paths": {"f": {"get": feed}}}, "f", "get", "since")
    assert f"at most {MAX_WINDOW_DAYS} days" in since["description"]
    assert widest.status_code == 200, widest.text
    assert wider.status_code == 400 and f"at most {MAX_WINDOW_DAYS} days" in wider.text


def test_a_list_of_more_than_ten_seeds_is_refused_as_documented(
    site: Settings, engine: Engine
) -> None:
    """Eleven seeds, even with repeats, are refused with the limit: the schema says maxItems."""
    pid = _a_paper(engine)
    mailbox = site.model_copy(update={"mailbox": True})
    with client(mailbox, engine) as c:
        body = c.get("/openapi.json").json()["paths"]["/api/subscribe"]["post"]["requestBody"]
        seeds = body["content"]["application/json"]["schema"]["properties"]["seeds"]
        ten = [pid] + [f"{pid}v{n}" for n in range(1, MAX_INTERESTS)]
        fine = c.post("/api/subscribe", json={"email": "ten@example.org", "seeds": ten})
        eleven = c.post("/api/subscribe", json={"email": "ann@example.org", "seeds": [*ten, pid]})
    assert seeds["anyOf"][0]["maxItems"] == MAX_INTERESTS == 10
    assert fine.status_code == 202, fine.text
    assert eleven.status_code == 400
    assert eleven.json() == {"detail": "seeds: 10 at most, not 11"}


def test_every_status_an_operation_answers_is_documented(site: Settings, engine: Engine) -> None:
    """Submit's 502 (arXiv unreachable) and 503 are in its responses, as JSON problems; every
    operation documents 4XX and 5XX."""
    offline = site.model_copy(update={"arxiv_api_url": "http://arxiv.invalid/api/query"})
    with client(offline, engine) as c:
        doc = c.get("/openapi.json").json()
        auth = _bearer(c, engine)
        new_id = f"{utcnow():%y%m}.00001"
        failed = c.post("/api/submit", json={"id": new_id}, headers=auth)
        empty = c.post("/api/submit", json={"id": ""}, headers=auth)
    responses = doc["paths"]["/api/submit"]["post"]["responses"]
    assert failed.status_code == 502 and "arXiv" in failed.json()["detail"], failed.text
    for status in ("502", "503"):
        problem = responses[status]["content"]["application/json"]["schema"]
        assert problem == {"$ref": "#/components/schemas/Problem"}
    assert empty.status_code == 422 and "id" in empty.json()["detail"]
    body = doc["components"]["schemas"]["SubmitIn"]["properties"]["id"]
    assert body["minLength"] == 1
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert {"4XX", "5XX"} <= set(operation["responses"]), (method, path)


PAGE_ROUTES = [
    ("GET", "/confirm?token=nope"),
    ("GET", "/preferences?token=nope"),
    ("POST", "/preferences?token=nope"),
    ("GET", "/unsubscribe?token=nope"),
    ("POST", "/unsubscribe?token=nope"),
]


def test_the_subscription_routes_answer_api_clients_in_json(site: Settings, engine: Engine) -> None:
    """A client that asks for JSON, or sends a bearer token, gets `{"detail": ...}` errors from
    the subscription links' routes; a browser still gets the page; the schema says both."""
    with client(site.model_copy(update={"mailbox": True}), engine) as c:
        doc = c.get("/openapi.json").json()
        auth = _bearer(c, engine)
        for method, url in PAGE_ROUTES:
            for headers in ({"Accept": "application/json"}, auth):
                got = c.request(method, url, headers=headers)
                assert got.status_code == 400, (url, got.text)
                assert got.headers["content-type"] == "application/json"
                assert "not valid" in got.json()["detail"]
            page = c.request(method, url, headers={"Accept": "text/html,*/*"})
            assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
            path = url.split("?")[0]
            refused = doc["paths"][path][method.lower()]["responses"]["4XX"]["content"]
            assert set(refused) == {"text/html", "application/json"}
        form = c.post("/subscribe", data={"email": "not an address"}, headers=auth)
        told = c.post("/subscribe", data={"email": "ann@example.org"}, headers=auth)
    assert form.status_code == 400 and "not a valid email" in form.json()["detail"]
    assert told.status_code == 200 and set(told.json()) == {"title", "detail"}, told.text
    ok = doc["paths"]["/subscribe"]["post"]["responses"]["200"]["content"]
    assert set(ok) == {"text/html", "application/json"}
    assert ok["application/json"]["schema"]["required"] == ["title", "detail"]


def test_every_removal_of_yours_is_idempotent_and_documented(
    site: Settings, engine: Engine
) -> None:
    """Every /api/me DELETE answers 200 with `removed`: true the first time, false when there
    was nothing to remove; a 404 only for a paper id that names no paper."""
    pid = _a_paper(engine)
    with client(site, engine) as c:
        doc = c.get("/openapi.json").json()
        auth = _bearer(c, engine)
        c.put(f"/api/me/ratings/{pid}", json={"rating": 1}, headers=auth)
        c.post("/api/me/library", json={"paper_id": pid}, headers=auth)
        c.post("/api/me/follows", json={"kind": "category", "value": "cs.CL"}, headers=auth)
        c.post("/api/me/mutes", json={"kind": "keyword", "value": "diffusion"}, headers=auth)
        removals = [
            f"/api/me/ratings/{pid}",
            f"/api/me/library/{pid}",
            "/api/me/follows?kind=category&value=cs.CL",
            "/api/me/mutes?kind=keyword&value=diffusion",
        ]
        answers = [[c.delete(url, headers=auth) for _ in range(2)] for url in removals]
        unknown = [
            c.delete(f"/api/me/{what}/2401.99999", headers=auth) for what in ("ratings", "library")
        ]
    for first, again in answers:
        assert (first.status_code, again.status_code) == (200, 200), (first.text, again.text)
        assert first.json()["removed"] is True and again.json()["removed"] is False
        assert {k: v for k, v in first.json().items() if k != "removed"} == {
            k: v for k, v in again.json().items() if k != "removed"
        }
    assert all(u.status_code == 404 and "2401.99999" in u.json()["detail"] for u in unknown)
    deletes = [
        (path, item["delete"])
        for path, item in doc["paths"].items()
        if path.startswith("/api/me/") and "delete" in item
    ]
    assert len(deletes) >= 4
    for path, operation in deletes:
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        shape = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        assert "removed" in shape["required"], path
        assert "Idempotent" in operation["description"], path


def test_arxiv_versions_start_at_v1() -> None:
    assert parse_arxiv_id("2401.00001v1") == ("2401.00001", 1)
    assert parse_arxiv_id("https://arxiv.org/abs/hep-th/9901001v2") == ("hep-th/9901001", 2)
    for text in ("2401.00001v0", "arxiv.org/abs/2401.00001v00", "hep-th/9901001v0"):
        with pytest.raises(BadArxivId, match="start at v1"):
            parse_arxiv_id(text)


def test_the_api_refuses_version_0_wherever_an_id_comes_in(site: Settings, engine: Engine) -> None:
    pid = _a_paper(engine)
    mailbox = site.model_copy(update={"mailbox": True})
    with client(mailbox, engine) as c:
        auth = _bearer(c, engine)
        assert c.get(f"/api/papers/{pid}v1").status_code == 200
        zero = f"{pid}v0"
        refused = [
            c.get(f"/api/papers/{zero}"),
            c.get(f"/api/papers/{zero}/similar"),
            c.post(f"/api/papers/{zero}/upvote", headers=auth),
            c.put(f"/api/me/ratings/{zero}", json={"rating": 1}, headers=auth),
            c.post("/api/me/library", json={"paper_id": zero}, headers=auth),
            c.post(
                "/api/me/library/bulk", json={"paper_ids": [zero], "action": "read"}, headers=auth
            ),
            c.post("/api/subscribe", json={"email": "zero@example.org", "seeds": [zero]}),
        ]
        submitted = c.post("/api/submit", json={"id": zero}, headers=auth)
        saved = c.get("/api/me/library", headers=auth).json()
        ratings = c.get("/api/me/ratings", headers=auth).json()
    for got in refused:
        assert 400 <= got.status_code < 500, (got.request.url, got.text)
        assert zero in got.json()["detail"], got.text
    assert submitted.status_code == 400 and "arXiv id" in submitted.json()["detail"]
    assert saved == [] and ratings == []
