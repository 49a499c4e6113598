"""Issue 9, the web server's hardening: inputs, limits, credentials and overload."""

from __future__ import annotations

import json
import logging
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.secret import InsecureSettings
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store.accounts import set_admin
from paperfeed.web import community, csrf
from paperfeed.web.app import create_app
from paperfeed.web.limits import allow_body
from tests.digest_support import Sink, copy_newest_papers
from tests.replay import Reply, Request, replay
from tests.web_support import (
    HOSTILE,
    bearer,
    client,
    csrf_token,
    fill_store,
    post_form,
    sign_up,
    stored,
    web_settings,
)


def test_csrf_token_goes_only_into_form_fields(site: Settings, engine: Engine) -> None:
    lure = f"see https://github.com/attacker/__pf_csrf_token__ and /x/{csrf.PLACEHOLDER}"
    planted = replace(
        HOSTILE,
        comments=lure,
        code_links=(f"https://github.com/attacker/{csrf.PLACEHOLDER}",),
    )
    with engine.begin() as conn:
        upsert_papers(conn, [planted])
    with client(site, engine) as c:
        token = csrf_token(c, "/")
        for _ in range(2):  # rendered, then from the page cache
            page = c.get(f"/papers/{HOSTILE.id}").text
            fields = re.findall(r'name="csrf_token" value="([^"]+)"', page)
            # masked afresh per answer (BREACH), the same token underneath
            assert fields and {csrf.unmask(f) for f in fields} == {csrf.unmask(token)}
            assert page.count(fields[0]) == len(fields)


BAD_DATES = ("0001-01-01", "9999-12-31", "0065-04-10")


@pytest.mark.parametrize("day", BAD_DATES)
def test_search_dates_far_outside_the_indexes_are_no_crash(
    site: Settings, engine: Engine, day: str
) -> None:
    with client(site, engine) as c:
        for path in ("/search", "/api/papers/search"):
            for field in ("since", "until"):
                response = c.get(path, params={"q": "learning", field: day})
                assert response.status_code == 200, (path, field, response.text)
        # "since the year 1" keeps everything, "until the year 65" keeps nothing
        everything = c.get("/api/papers/search", params={"q": "learning", "mode": "keyword"})
        since = c.get(
            "/api/papers/search", params={"q": "learning", "mode": "keyword", "since": "0001-01-01"}
        )
        until = c.get(
            "/api/papers/search", params={"q": "learning", "mode": "keyword", "until": "0065-04-10"}
        )
    assert everything.json() and since.json() == everything.json() and until.json() == []


@pytest.mark.parametrize(
    "path",
    ["/papers/week/9999-W52", "/api/daily_papers?week=9999-W52", "/feeds/daily.rss?week=9999-W52"],
)
def test_weeks_past_the_calendar_are_a_400(site: Settings, engine: Engine, path: str) -> None:
    with client(site, engine) as c:
        response = c.get(path)
    assert response.status_code == 400 and "outside" in response.text


def test_parallel_upvotes_by_one_user_are_idempotent(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        sign_up(c, "eager")
        login = c.post(
            "/api/login", json={"username": "eager", "password": "correct horse battery"}
        )
        auth = {"authorization": f"Bearer {login.json()['token']}"}

        def vote(_: int) -> tuple[int, int]:
            response = c.post(f"/api/papers/{HOSTILE.id}/upvote", headers=auth)
            return response.status_code, response.json().get("upvotes", -1)

        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(vote, range(30)))
    assert {code for code, _ in answers} == {200}
    assert {count for _, count in answers} == {HOSTILE.signals.upvotes + 1}  # type: ignore[union-attr]


@pytest.fixture
def subscribing(
    sqlite_settings: Settings, sink: Sink, demo_settings: Settings
) -> Iterator[TestClient]:
    s = sqlite_settings.model_copy(update={"smtp_port": sink.port, "base_url": "http://testserver"})
    eng = open_store(s)
    copy_newest_papers(demo_settings, eng, 1)
    with TestClient(create_app(s, eng), raise_server_exceptions=False) as c:
        yield c
    eng.dispose()


def test_malformed_subscriptions_are_a_400(subscribing: TestClient, sink: Sink) -> None:
    c = subscribing
    assert c.post("/subscribe", data={"email": "a@example.org", "weekday": "²"}).status_code == 400
    assert (
        c.post("/api/subscribe", json={"email": "a@example.org", "weekday": "²"}).status_code == 400
    )
    json_type = {"content-type": "application/json"}
    surrogate = rb'{"email": "b@example.org", "keywords": ["\ud800"]}'
    assert c.post("/api/subscribe", content=surrogate, headers=json_type).status_code == 400
    nested = b'{"email": "c@example.org", "keywords": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert c.post("/api/subscribe", content=nested, headers=json_type).status_code == 400
    assert c.post("/api/subscribe", json={"email": "d@example.org"}).status_code == 202
    confirm = re.search(r"\S+/confirm\?token=\S+", _last_body(sink, "d@example.org"))
    assert confirm
    page = c.post(urlsplit(confirm[0]).path + "?" + urlsplit(confirm[0]).query)  # its button
    manage = re.search(r'href="[^"]*(/preferences\?token=[^"]+)"', page.text.replace("&amp;", "&"))
    assert manage, page.text
    saved = c.post(manage[1], data={"weekday": "²"})
    assert saved.status_code == 400 and "weekday" in saved.text


def _last_body(sink: Sink, address: str) -> str:
    message = sink.to(address)[-1]
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_overload_answers_503_never_500_and_recovers(settings: Settings, tmp_path: Path) -> None:
    tiny = web_settings(
        settings,
        web_threads=2,
        web_queue=2,
        web_queue_timeout=0.5,
        db_pool_size=1,
        db_pool_timeout=0.5,
        page_cache_entries=0,  # a cold cache: every request reads the store
    )
    eng = open_store(tiny)
    fill_store(eng, tiny, tmp_path / "listings")
    paths = ["/api/trending?limit=50", "/api/daily_papers?limit=50", "/feeds/daily.atom", "/"]
    paths += [f"/papers/{HOSTILE.id}/bibtex", "/trending", "/about"]
    with client(tiny, eng) as c:
        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(lambda i: c.get(paths[i % len(paths)]), range(120)))
        codes = {r.status_code for r in answers}
        assert codes <= {200, 503}, codes
        assert all(r.headers["retry-after"] for r in answers if r.status_code == 503)
        assert c.get("/api/trending?limit=5").status_code == 200
    eng.dispose()


def test_an_exhausted_pool_is_a_quick_503(settings: Settings, tmp_path: Path) -> None:
    tiny = web_settings(settings, db_pool_size=1, db_pool_timeout=0.2, page_cache_entries=0)
    eng = open_store(tiny)
    fill_store(eng, tiny, tmp_path / "listings")
    with client(tiny, eng) as c:
        held = [eng.connect() for _ in range(1 + 4)]  # the pool and its overflow
        try:
            for path in ("/api/trending", "/feeds/trending.rss", "/trending"):
                response = c.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["retry-after"]
        finally:
            for conn in held:
                conn.close()
        assert c.get("/api/trending").status_code == 200
    eng.dispose()


def test_oversized_bodies_are_refused_before_reading(sqlite_settings: Settings) -> None:
    app = create_app(web_settings(sqlite_settings, max_body_bytes=1000))
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"1073741824")]
    scope = {"type": "http", "method": "POST", "path": "/api/login", "headers": headers}
    scope |= {"query_string": b"", "scheme": "http", "server": ("testserver", 80), "app": app}
    scope |= {"client": ("127.0.0.1", 1234), "root_path": "", "http_version": "1.1"}
    # In a thread of its own: a browser test earlier in the run may own this thread's loop.
    runner = threading.Thread(target=anyio.run, args=(app, scope, receive, send))
    runner.start()
    runner.join(60)
    assert sent[0]["status"] == 413


def test_oversized_json_forms_and_uploads_get_413(sqlite_settings: Settings) -> None:
    s = web_settings(sqlite_settings, max_body_bytes=10_000)
    big = "x" * 20_000

    def chunked(data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    with client(s, open_store(s)) as c:
        token = csrf_token(c, "/signin")
        form = {"username": "u", "password": big, "csrf_token": token}
        json_type = {"content-type": "application/json"}
        answers = [
            c.post("/api/login", json={"username": "u", "password": big}),
            c.post("/signin", data=form),
            c.post("/signin", data={"csrf_token": token}, files={"f": ("a.txt", big.encode())}),
            c.post("/api/subscribe", content=chunked(big.encode()), headers=json_type),
            c.post(
                "/subscribe",
                content=chunked(big.encode()),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
        ]
        assert [a.status_code for a in answers] == [413] * len(answers), [a.text for a in answers]
        assert "larger than 10,000 bytes" in answers[0].text
        # A browser's form gets a page that says so, not JSON (found importing a 20 MB file).
        page = c.post("/signin", data=form, headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Too large</h1>" in page.text and "Nothing was changed" in page.text
        api = c.post("/api/login", json={"u": big}, headers={"Accept": "text/html"})
        assert api.json()["detail"] == "the request body is larger than 10,000 bytes"
        small = c.post("/api/login", json={"username": "u", "password": "wrong password"})
        assert small.status_code == 401


def _login(c: TestClient, user: str, password: str, forwarded: str | None = None) -> int:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    body = {"username": user, "password": password}
    return int(c.post("/api/login", json=body, headers=headers).status_code)


def test_sign_in_limits_count_failures_per_account_not_successes(
    sqlite_settings: Settings,
) -> None:
    s = web_settings(
        sqlite_settings, auth_rate_limit=3, auth_account_rate_limit=5, auth_address_rate_limit=50
    )
    with client(s, open_store(s)) as c:
        sign_up(c, "carol", "carol's long passphrase")
        # right passwords never use up the limit
        assert [_login(c, "carol", "carol's long passphrase") for _ in range(6)] == [200] * 6
        # a neighbour behind the same address guessing at another account is stopped...
        assert [_login(c, "mallory", "guess number") for _ in range(4)] == [401] * 3 + [429]
        # ...without locking carol out
        assert _login(c, "carol", "carol's long passphrase") == 200
        # three failures at carol from this address block this address for carol
        assert [_login(c, "carol", "wrong guess") for _ in range(4)] == [401] * 3 + [429]


def test_forwarded_for_is_believed_only_from_trusted_proxies(sqlite_settings: Settings) -> None:
    limits = {"auth_rate_limit": 3, "auth_account_rate_limit": 5}
    untrusted = web_settings(sqlite_settings, **limits)
    with client(untrusted, open_store(untrusted)) as c:
        codes = [_login(c, "dave", "guess", f"203.0.113.{i}") for i in range(5)]
    assert codes == [401] * 3 + [429] * 2  # forged headers change nothing
    trusted = web_settings(sqlite_settings, trusted_proxies="testclient", **limits)
    with client(trusted, open_store(trusted)) as c:
        codes = [_login(c, "erin", "guess", f"203.0.113.{i}") for i in range(7)]
        assert codes == [401] * 5 + [429] * 2  # many addresses, one account: per-account limit
        assert _login(c, "frank", "guess", "198.51.100.1") == 401  # other accounts unaffected


@pytest.mark.parametrize(
    "password",
    ["        ", "  short  ", "password1", "12345678", "  Qwerty123  ", "wendy-the-user"],
)
def test_weak_passwords_are_refused(sqlite_settings: Settings, password: str) -> None:
    s = web_settings(sqlite_settings)
    with client(s, open_store(s)) as c:
        form = {"username": "wendy-the-user", "password": password}
        response = c.post("/signup", data=form | {"csrf_token": csrf_token(c, "/signup")})
    assert response.status_code == 400 and "password" in response.text


@pytest.mark.parametrize("key", ["a", "k" * 40, "abcdefghijklmnopqrstuvwxyzABCDEF", "0123" * 8])
def test_weak_secret_keys_are_refused_outside_dev_mode(sqlite_settings: Settings, key: str) -> None:
    weak = sqlite_settings.model_copy(update={"dev_mode": False, "secret_key": key})
    with pytest.raises(InsecureSettings, match="too weak"):
        create_app(weak)
    assert create_app(weak.model_copy(update={"dev_mode": True})).state.site.secret == key.encode()
    strong = weak.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
    assert create_app(strong).state.site.secret


def test_hsts_only_when_the_site_is_https(sqlite_settings: Settings) -> None:
    plain = web_settings(sqlite_settings)
    with client(plain, open_store(plain)) as c:
        assert "strict-transport-security" not in c.get("/about").headers
    secure = web_settings(sqlite_settings, base_url="https://papers.example.org")
    with client(secure, open_store(secure), https=True) as c:
        for path in ("/about", "/about", "/api/trending", "/docs"):  # rendered and cached
            assert c.get(path).headers["strict-transport-security"].startswith("max-age=")


def test_store_files_are_private(sqlite_settings: Settings) -> None:
    app = create_app(sqlite_settings)  # the dev secret is written before the store opens
    engine = app.state.site.engine
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    data = sqlite_settings.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("paperfeed.db")]
    assert {p.name for p in files} >= {"paperfeed.db", "paperfeed.db-wal"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
    engine.dispose()


@pytest.mark.parametrize("style", ["plain", "json", "off"])
def test_access_log_has_one_line_per_request(
    sqlite_settings: Settings, style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = web_settings(sqlite_settings, access_log=style)
    # The lines as the logger hands them out (whatever the tests before left of its settings).
    logger, lines = logging.getLogger("paperfeed.access"), []
    kept = logging.Handler(logging.INFO)
    kept.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(kept)
    monkeypatch.setattr(logger, "level", logging.INFO)
    with client(s, open_store(s)) as c:
        c.get("/about")
        c.get("/nowhere")
        c.get("/preferences?token=secret-link-token&x=1")
        # A path that would forge a second line (and colour a terminal), and secret paths.
        c.get("/papers/x%0A127.0.0.1%20%22GET%20/admin%22%20200%201%201.0ms%0A%1B%5B31mRED")
        c.get("/feeds/for-you/private-feed-token.atom")
        c.get("/c/shared-collection-key/feed.bib")
    logger.removeHandler(kept)
    if style == "off":
        assert lines == []
        return
    assert len(lines) == 6 and not any("secret-link-token" in line for line in lines)
    assert "/preferences?token=[redacted]&x=1" in lines[2]
    assert not any("\n" in line or "\x1b" in line for line in lines)
    assert "/papers/x\\x0a127.0.0.1 \\x22GET /admin\\x22 200 1 1.0ms\\x0a\\x1b[31mRED" in (
        json.loads(lines[3])["path"] if style == "json" else lines[3]
    )
    assert "/feeds/for-you/[redacted].atom" in lines[4] and "private-feed-token" not in lines[4]
    assert "/c/[redacted]/feed.bib" in lines[5] and "shared-collection-key" not in lines[5]
    if style == "json":
        entries = [json.loads(line) for line in lines]
        assert [(e["path"], e["status"]) for e in entries[:2]] == [
            ("/about", 200),
            ("/nowhere", 404),
        ]
        assert entries[0]["method"] == "GET" and entries[0]["bytes"] > 0
    else:
        assert '"GET /about" 200' in lines[0] and '"GET /nowhere" 404' in lines[1]


def _slow_503(_req: Request) -> Reply:
    time.sleep(2.0)
    return Reply(b"busy", 503)


def test_submit_gives_up_on_a_hanging_arxiv_within_its_deadline(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))  # a new paper
    with replay(_slow_503) as server:
        s = web_settings(
            sqlite_settings,
            arxiv_api_url=server.url,
            http_retries=5,
            submit_fetch_seconds=1.0,
        )
        with client(s, open_store(s)) as c:
            sign_up(c, "gina")
            response = post_form(c, "/submit", {"paper": "1605.08386"})
    assert response.status_code == 502 and "be reached from this server" in response.text
    assert len(server.requests) == 1  # not five retries of a minute each


def test_submit_fails_fast_when_arxiv_does_not_resolve(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))  # a new paper
    s = web_settings(
        sqlite_settings, arxiv_api_url="http://arxiv-api.invalid/api/query", http_retries=5
    )
    with client(s, open_store(s)) as c:
        sign_up(c, "hugo")
        response = post_form(c, "/submit", {"paper": "1605.08386"})
    assert response.status_code == 502 and "be reached from this server" in response.text


def test_submissions_fetching_at_once_are_limited(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(community, "utcnow", lambda: datetime(2016, 6, 2, 9))  # a new paper
    s = web_settings(sqlite_settings, submit_concurrent_fetches=1)
    with client(s, open_store(s)) as c:
        sign_up(c, "ivy")
        slots = c.app.state.site.fetch_slots  # type: ignore[attr-defined]
        assert slots.acquire(blocking=False)  # another submission is fetching
        try:
            busy = post_form(c, "/submit", {"paper": "1605.08386"})
            login = {"username": "ivy", "password": "correct horse battery"}
            auth = {"authorization": "Bearer " + c.post("/api/login", json=login).json()["token"]}
            api = c.post("/api/submit", json={"id": "1605.08386"}, headers=auth)
        finally:
            slots.release()
    assert busy.status_code == 503 and busy.headers["retry-after"]
    assert api.status_code == 503 and "being fetched" in api.json()["detail"]


def test_a_route_may_allow_larger_bodies(sqlite_settings: Settings) -> None:
    s = web_settings(sqlite_settings, max_body_bytes=1000)
    app = create_app(s)
    allow_body(app, "/api/login", 50_000)
    body = {"username": "u", "password": "p" * 900 + "x" * 100}
    with TestClient(app) as c:
        assert c.post("/api/login", json=body).status_code == 401  # read, and refused as wrong
        assert c.post("/api/submit", json={"id": "x" * 2000}).status_code == 413


BIG = "99999999999999999999999"  # past a 64-bit INTEGER: the store cannot even be asked


def test_ids_past_the_stores_integers_are_a_4xx(site: Settings, engine: Engine) -> None:
    pid = next(iter(stored(engine)))
    with client(site, engine) as c, client(site, engine) as api:
        sign_up(c, "bigids")
        with engine.begin() as conn:
            set_admin(conn, "bigids", True)
        auth = bearer(api, "bigapi")
        gets = [f"/library?collection={BIG}", f"/library?into={BIG}"]
        gets += [f"/library/export.{fmt}?collection={BIG}" for fmt in ("bib", "ris", "json")]
        for path in gets:
            assert c.get(path).status_code == 400, path
        forms = {
            f"/collections/{BIG}/edit": {"name": "x"},
            f"/collections/{BIG}/delete": {},
            f"/collections/{BIG}/new-link": {},
            f"/collections/{BIG}/remove": {"paper_id": pid},
            f"/comments/{BIG}/edit": {"body": "x"},
            f"/comments/{BIG}/delete": {},
            f"/papers/{pid}/comments": {"body": "hello there", "parent": BIG},
            f"/admin/outbox/{BIG}/retry": {},
            "/library/bulk": {"action": "take_out", "paper_id": pid, "from_collection": BIG},
        }
        for path, data in forms.items():
            assert 400 <= post_form(c, path, data).status_code < 500, path
        for path in (f"/api/me/library?collection={BIG}", f"/api/me/feed?collection={BIG}"):
            got = api.get(path, headers=auth)
            assert got.status_code in (400, 422) and "collection" in got.text, path
        body = {"paper_ids": [pid], "action": "move", "collection": "x", "from_collection": BIG}
        bulk = api.post("/api/me/library/bulk", json=json.loads(json.dumps(body)), headers=auth)
        assert bulk.status_code in (400, 422) and "from_collection" in bulk.text


def test_a_feed_window_outside_the_calendar_is_a_400(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "farback")
        for query in (
            "until=0001-01-01",
            "until=0001-01-03&limit=1",
            "since=9999-12-31",
            "until=0",
        ):
            got = c.get(f"/api/me/feed?{query}", headers=auth)
            assert got.status_code == 400 and "is outside" in got.json()["detail"], query


def test_an_import_nested_too_deep_is_refused_with_a_reason(site: Settings, engine: Engine) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with client(site, engine) as c:
        auth = bearer(c, "nester")
        files = {"file": ("deep.json", deep, "application/json")}
        got = c.post("/api/me/library/import", files=files, headers=auth)
        assert got.status_code == 400 and "nests too deeply" in got.json()["detail"]


def test_a_wrong_method_is_told_every_method_the_address_answers(
    site: Settings, engine: Engine
) -> None:
    with client(site, engine) as c:
        for method, path, allowed in (
            ("OPTIONS", "/api/me/follows", "DELETE, GET, HEAD, POST"),
            ("PATCH", "/api/me/ratings/2401.00001", "DELETE, PUT"),
            ("PUT", "/about", "GET, HEAD"),
        ):
            got = c.request(method, path)
            assert got.status_code == 405 and got.headers["allow"] == allowed, path
        assert c.options("/api/me/library").json()["detail"].endswith("use GET, HEAD, POST.")
        # A GET of an upvote's address was read as a paper id: "not an arXiv id" (404).
        got = c.get(f"/api/papers/{HOSTILE.id}/upvote")
        assert got.status_code == 405 and got.headers["allow"] == "DELETE, POST", got.text
        assert got.json()["detail"] == "GET is not allowed here; use DELETE, POST."
        got = c.patch(f"/api/papers/{HOSTILE.id}/upvote")  # not GET, which it does not take
        assert got.status_code == 405 and got.headers["allow"] == "DELETE, POST", got.text


def test_bad_bodies_and_long_ids_get_short_clear_answers(site: Settings, engine: Engine) -> None:
    with client(site, engine) as c:
        auth = bearer(c, "terse")
        broken = c.put(
            "/api/me/ratings/2606.99999",
            content=b"{rating: 1",
            headers=auth | {"content-type": "application/json"},
        )
        assert broken.status_code == 422
        assert broken.json()["detail"].startswith("the body is not valid JSON (")
        long_id = "x" * 5000
        missing = c.get(f"/api/papers/{long_id}")
        assert missing.status_code == 404 and len(missing.json()["detail"]) < 200


def test_a_full_server_still_answers_its_health_checks_and_the_api_in_json() -> None:
    """Past the queue, /healthz waited (and got 503) with the pages, so a load balancer took a
    busy server for a dead one; the API's 503 was plain text, unlike its other errors."""
    from paperfeed.web.limits import ConcurrencyLimit

    held, release = anyio.Event(), anyio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] == "/slow":
            held.set()
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = ConcurrencyLimit(app, slots=1, queue=0, wait=0.1)

    async def ask(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        await limited({"type": "http", "path": path, "method": "GET"}, receive, send)
        return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]

    async def main() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ask, "/slow")
            await held.wait()  # the one slot is taken
            answers = [await ask(p) for p in ("/api/papers/search", "/daily", "/healthz")]
            answers += [await ask("/readyz"), await ask("/metrics")]
            release.set()
        return answers

    with ThreadPoolExecutor(1) as own_loop:  # pytest's thread may hold an event loop already
        api, page, healthz, readyz, metrics = own_loop.submit(anyio.run, main).result()
    assert api[0] == page[0] == 503 and api[1][b"retry-after"] and page[1][b"retry-after"]
    assert api[1][b"content-type"] == b"application/json"
    assert json.loads(api[2])["detail"].startswith("The server is busy")
    assert page[1][b"content-type"].startswith(b"text/plain")
    assert healthz[0] == readyz[0] == metrics[0] == 200


def test_a_trailing_slash_leads_to_the_page_without_trusting_the_host_header(
    site: Settings, engine: Engine
) -> None:
    """`/daily/` led to `http://<whatever Host said>/daily`; `/api/me/library/` answered 405."""
    with client(site, engine) as c:
        auth = bearer(c, "slasher")
        daily = c.get("/daily/?page=2", headers={"Host": "evil.example"}, follow_redirects=False)
        sneaky = c.get("http://testserver//evil.example/", follow_redirects=False)
        listed = c.get("/api/me/library/", headers=auth)
        saved = c.post("/api/me/library/", json={"paper_id": HOSTILE.id}, headers=auth)
        home = c.get("/", follow_redirects=False)
    assert daily.status_code == 307 and daily.headers["location"] == "/daily?page=2"
    assert sneaky.status_code == 307 and sneaky.headers["location"] == "/evil.example"
    assert listed.status_code == 200 and listed.json() == []
    assert saved.status_code in (200, 201), saved.text  # the method kept on the way
    assert home.status_code == 200


def test_a_bad_bearer_token_is_refused_where_a_token_is_optional(
    site: Settings, engine: Engine
) -> None:
    """A revoked or mistyped token on a public API call was taken for no token: the answer
    came back without the reader's mutes, and nothing said why."""
    with client(site, engine) as c:
        good = bearer(c, "tokened")
        bad = {"Authorization": "Bearer not-a-token"}
        answers = [
            c.get(path, headers=bad)
            for path in ("/api/daily_papers", "/api/trending", "/api/papers/search?q=graph")
        ]
        fine = c.get("/api/daily_papers", headers=good)
        anonymous = c.get("/api/daily_papers")
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert "not valid" in answer.json()["detail"]
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
    assert fine.status_code == anonymous.status_code == 200
