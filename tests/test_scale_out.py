"""Two `paperfeed serve` processes on one PostgreSQL database behave as one site.

A paper submitted through one node is found by search on the other within the refresh
interval, each scheduled job runs once (not once per node), and sign-ins and votes made on one
node hold on the other.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from paperfeed.pipeline import current_slot
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store
from tests.digest_support import free_port
from tests.replay import Reply, Request, arxiv_api_handler, fixture_bytes, replay

pytestmark = [pytest.mark.slow]
RAW_PAGE = fixture_bytes("oai", "arXivRaw-mikesaelim", "ListRecordsResponse.xml")
LAST_PAGE = fixture_bytes("oai", "arXiv-hepcrawl", "arxiv-physics-hep-th.xml")
HF = fixture_bytes("hf", "daily_papers.2024-10-25.first4.json")
TOKEN = "726959|1001"
PIPELINE = ("harvest", "hf-daily", "enrich", "embed", "zotero")


def sources(req: Request) -> Reply:
    if req.path.startswith("/api/daily_papers"):
        return Reply(HF, 200, {}, "application/json")
    if req.path.startswith("/api/query"):
        return arxiv_api_handler(req)
    return Reply(LAST_PAGE if req.params.get("resumptionToken") == TOKEN else RAW_PAGE)


def node_env(pg_url: str, data: Path, upstream: str, start: datetime) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    settings = {
        "DATA_DIR": str(data),
        "DATABASE_URL": pg_url,
        "SECRET_KEY": "s" * 8 + "0123456789abcdefghijklmnopqrstuvwxyz",
        "EMBED_MODEL": "static",
        "SEARCH_REFRESH_SECONDS": "1",
        "PAGE_CACHE_CHECK_SECONDS": "0",
        "REQUEST_DELAY": "0",
        "HTTP_RETRIES": "0",
        "HARVEST_SETS": "cs",
        "OAI_BASE_URL": upstream + "/oai",
        "HF_DAILY_URL": upstream + "/api/daily_papers",
        "ARXIV_API_URL": upstream + "/api/query",
        "PIPELINE_TIME": start.strftime("%H:%M"),
        "PIPELINE_TIMEZONE": "UTC",
        "PIPELINE_DAYS": "mon,tue,wed,thu,fri,sat,sun",
        "JOBS_TICK_SECONDS": "0.5",
        "ACCESS_LOG": "off",
        "SUBMIT_WINDOW_DAYS": "100000",  # the recorded arXiv answers are of 2016 papers
        "GITHUB_API_URL": "",  # enrich stays off: no network here
        "HUB_API_URL": "",
    }
    src = str(Path(__file__).parent.parent / "src")
    return keep | {f"PAPERFEED_{k}": v for k, v in settings.items()} | {"PYTHONPATH": src}


@contextmanager
def serving(env: dict[str, str]) -> Iterator[httpx.Client]:
    port = free_port()
    cmd = [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--no-digests"]
    log = Path(env["PAPERFEED_DATA_DIR"]).with_suffix(".log")
    # A file, not a pipe nobody reads: a full pipe would stall the node once it logs enough.
    proc = subprocess.Popen(cmd, env=env, stderr=log.open("wb"))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            until(lambda: _up(http, proc), "the node did not come up")
            yield http
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _up(http: httpx.Client, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "the node exited (its log is beside its data directory)"
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def until(check: Callable[[], Any], message: str, seconds: float = 180) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(message)


def sign_up(http: httpx.Client, name: str, password: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/signup").text)
    assert token
    form = {"username": name, "password": password, "csrf_token": token[1]}
    assert http.post("/signup", data=form).status_code == 303


def found_by(http: httpx.Client, query: str, paper_id: str) -> bool:
    answer = http.get("/api/papers/search", params={"q": query, "mode": "keyword"})
    assert answer.status_code == 200, answer.text
    return any(hit["paper"]["id"] == paper_id for hit in answer.json())


def test_two_nodes_on_one_postgresql_act_as_one_site(pg_url: str, tmp_path: Path) -> None:
    setup = Settings(data_dir=tmp_path / "setup", database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    open_store(setup).dispose()
    start = datetime.now(UTC) - timedelta(minutes=2)
    with replay(sources) as upstream, ExitStack() as nodes:
        env = [node_env(pg_url, tmp_path / f"node{i}", upstream.url, start) for i in (1, 2)]
        one, two = (nodes.enter_context(serving(e)) for e in env)

        # Sessions and votes: sign up on one node, use the sign-in and vote on the other.
        sign_up(one, "ada", "a long password")
        two.cookies.update(one.cookies)
        assert "ada" in two.get("/").text
        token = two.post("/api/login", json={"username": "ada", "password": "a long password"})
        bearer = {"Authorization": f"Bearer {token.json()['token']}"}

        # A paper submitted through one node is searchable on the other.
        made = one.post("/api/submit", json={"id": "1605.08386"}, headers=bearer)
        assert made.status_code == 201, made.text
        title = made.json()["title"]
        until(lambda: found_by(two, title, "1605.08386"), "node two never found the paper")
        voted = two.post("/api/papers/1605.08386/upvote", headers=bearer)
        assert voted.json()["upvoted"] is True
        assert one.get("/api/papers/1605.08386").json()["upvotes"] == 1

        # The day's jobs ran once between the two nodes.
        schedule = Settings(  # type: ignore[call-arg]
            database_url=pg_url,
            pipeline_time=start.strftime("%H:%M"),
            pipeline_timezone="UTC",
            pipeline_days="mon,tue,wed,thu,fri,sat,sun",
            _env_file=None,
        )
        engine = create_engine(schedule.sqlalchemy_url)
        slot = current_slot(schedule, datetime.now(UTC))[0]

        def pipeline_done() -> list[db.JobRun]:
            with engine.connect() as conn:
                runs = [r for r in db.recent_runs(conn, 100) if r.slot == slot]
            done = {r.job for r in runs if r.status == "ok"}
            return runs if done >= set(PIPELINE) else []

        until(pipeline_done, "the day's pipeline did not finish")
        time.sleep(3)  # several more ticks on both nodes: nothing may run again
        runs = pipeline_done()
        engine.dispose()
    assert sorted(r.job for r in runs) == sorted(PIPELINE)
    assert all(r.status == "ok" for r in runs)
    oai = [r for r in upstream.requests if r.path == "/oai"]
    assert len([r for r in oai if "resumptionToken" not in r.params]) == 1  # harvested once
