"""`paperfeed enrich`: GitHub facts and stars over time, Hub artifacts, failures, rate limits."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import Engine, select

from paperfeed.ingest.enrich import enrich
from paperfeed.settings import Settings
from paperfeed.store.enrichment import repo_stars, repos
from paperfeed.util import utcnow
from tests.replay import Reply, Request, fixture_bytes, replay
from tests.web_support import HOSTILE_ID, client

REPO = fixture_bytes("github", "repo.json")
HUB = {k: fixture_bytes("hub", f"{k}s.json") for k in ("model", "dataset", "space")}


def _github(etag: str = '"v1"', reset: str = "1893456000"):  # type: ignore[no-untyped-def]
    def handle(req: Request) -> Reply:
        headers = {"x-ratelimit-remaining": "59", "x-ratelimit-reset": reset, "ETag": etag}
        if req.path != "/repos/example/hostile":
            return Reply(b'{"message": "Not Found"}', 404, headers, "application/json")
        if req.headers.get("if-none-match") == etag:
            return Reply(b"", 304, headers, "application/json")
        return Reply(REPO, 200, headers, "application/json")

    return handle


def _hub(req: Request) -> Reply:
    kind = req.path.rsplit("/", 1)[1].removesuffix("s")
    if req.params.get("filter") == f"arxiv:{HOSTILE_ID}" and kind in HUB:
        return Reply(HUB[kind], 200, {}, "application/json")
    return Reply(b"[]", 200, {}, "application/json")


def _settings(site: Settings, github: str, hub: str, **more: object) -> Settings:
    return site.model_copy(update={"github_api_url": github, "hub_api_url": hub, **more})


def _stars(engine: Engine) -> list[tuple[object, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(repo_stars.c.day, repo_stars.c.stars).order_by(repo_stars.c.day))
        return [(d, int(s)) for d, s in rows]


def test_enrich_stores_facts_stars_and_artifacts(site: Settings, engine: Engine) -> None:
    with replay(_github()) as gh, replay(_hub) as hub:
        settings = _settings(site, gh.url, hub.url, github_token=SecretStr("t0ken"))
        report = enrich(engine, settings, days=30)
        assert report.updated == 1 and report.missing >= 0 and not report.errors
        assert report.artifacts == 3
        asked = [r for r in gh.requests if r.path == "/repos/example/hostile"]
        assert asked[0].headers["authorization"] == "Bearer t0ken"
        # A second run asks conditionally and GitHub answers 304: facts kept, no new fetch.
        again = enrich(engine, settings, days=30)
        assert again.not_modified == 1 and again.updated == 0
        assert asked[-1].headers.get("if-none-match") is None
        second = [r for r in gh.requests if r.path == "/repos/example/hostile"][-1]
        assert second.headers["if-none-match"] == '"v1"'
    today = utcnow().date()
    assert _stars(engine) == [(today, 100)]
    with engine.connect() as conn:
        row = conn.execute(select(repos).where(repos.c.full_name == "example/hostile")).one()
    assert (row.stars, row.forks, row.language, row.license) == (100, 12, "Python", "MIT")

    with client(site, engine) as c:
        paper = c.get(f"/api/papers/{HOSTILE_ID}").json()
        assert paper["githubStars"] == 100 and paper["githubRepo"] == "example/hostile"
        assert (paper["numModels"], paper["numDatasets"], paper["numSpaces"]) == (2, 1, 0)
        page = c.get(f"/papers/{HOSTILE_ID}").text
        assert "★ 100" in page and "12 forks" in page and "example/hostile-base" in page
        assert "https://huggingface.co/datasets/example/hostile-bench" in page
        day = c.get(f"/papers/date/{paper['listingDate']}").text
        assert "2 models" in day and "1 dataset" in day


def test_trending_by_stars_ranks_by_stars_gained(site: Settings, engine: Engine) -> None:
    today = utcnow().date()
    with engine.begin() as conn:
        conn.execute(
            repo_stars.insert().values(
                full_name="example/hostile", day=today - timedelta(days=3), stars=60
            )
        )
    with client(site, engine) as c:
        assert "No star counts yet" in c.get("/trending/stars").text
    with replay(_github()) as gh, replay(_hub) as hub:
        enrich(engine, _settings(site, gh.url, hub.url), days=30)
    with client(site, engine) as c:
        page = c.get("/trending/stars").text
        assert f'data-id="{HOSTILE_ID}"' in page and "Trending by GitHub stars" in page
        assert "/trending/stars" in c.get("/trending").text


def test_failures_keep_what_was_stored(site: Settings, engine: Engine) -> None:
    with replay(_github()) as gh, replay(_hub) as hub:
        enrich(engine, _settings(site, gh.url, hub.url), days=30)

    def broken(req: Request) -> Reply:
        return Reply(b"<html>oops</html>", 502, {}, "text/html")

    with replay(broken) as gh, replay(broken) as hub:
        report = enrich(engine, _settings(site, gh.url, hub.url), days=30)
    assert any("github example/hostile" in e and "502" in e for e in report.errors)
    assert any(e.startswith("hub ") for e in report.errors)
    with engine.connect() as conn:
        row = conn.execute(select(repos).where(repos.c.full_name == "example/hostile")).one()
    assert row.stars == 100 and row.status == "error"
    with client(site, engine) as c:
        paper = c.get(f"/api/papers/{HOSTILE_ID}").json()
        assert paper["numModels"] == 2  # the Hub's failure removed nothing


def test_rate_limit_stops_github_and_says_when(site: Settings, engine: Engine) -> None:
    def limited(req: Request) -> Reply:
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1893456000"}
        body = json.dumps({"message": "API rate limit exceeded"}).encode()
        return Reply(body, 403, headers, "application/json")

    with replay(limited) as gh, replay(_hub) as hub:
        report = enrich(engine, _settings(site, gh.url, hub.url), days=30)
    assert report.rate_limited_until is not None and report.rate_limited_until.startswith("2030")
    assert len(gh.requests) == 1  # stopped asking at once
    assert report.updated == 0 and _stars(engine) == []


def test_enrich_cli_reports(site: Settings, engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from paperfeed.cli import app

    with replay(_github()) as gh, replay(_hub) as hub:
        env = {
            "PAPERFEED_DATA_DIR": str(site.data_dir),
            "PAPERFEED_GITHUB_API_URL": gh.url,
            "PAPERFEED_HUB_API_URL": hub.url,
        }
        if site.database_url:
            env["PAPERFEED_DATABASE_URL"] = site.database_url
        result = CliRunner().invoke(app, ["enrich", "--days", "30", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["updated"] == 1 and report["artifacts"] == 3
