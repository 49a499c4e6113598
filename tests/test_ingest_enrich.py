"""`paperfeed enrich`: GitHub facts and stars over time, Hub artifacts, failures, rate limits.

GitHub answers are replayed from real recordings (tests/fixtures/github/README.md says where each
comes from); the Hub listings are constructed (tests/fixtures/hub/README.md).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import Engine, select

from paperfeed.ingest.enrich import enrich, repo_facts
from paperfeed.models import Signals
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.enrichment import artifacts, repo_stars, repos
from paperfeed.util import utcnow
from tests.replay import Reply, Request, fixture_bytes, http_reply, pygithub_exchanges, replay
from tests.web_support import HOSTILE, HOSTILE_ID, client

GITHUB = ("github", "pygithub")
REPO = pygithub_exchanges(*GITHUB, "Repository.setUp.txt")[0]  # PyGithub/PyGithub, 2025
FORK = pygithub_exchanges(*GITHUB, "ConditionalRequestUpdate.setUp.txt")[0]  # akfish/PyGithub
SAME = pygithub_exchanges(*GITHUB, "ConditionalRequestUpdate.testDidNotUpdate.txt")[0]  # its 304
MISSING = pygithub_exchanges(*GITHUB, "Exceptions.testUnknownObject.txt")[1]  # 404
LIMITED = http_reply("github", "gitmoot", "rate-limit-403.http")  # 403, core limit spent
HUB = {k: fixture_bytes("hub", f"{k}s.json") for k in ("model", "dataset", "space")}
REPO_PAPER, FORK_PAPER, GONE_PAPER, MOVED_PAPER = (
    "2606.90001",
    "2606.90002",
    "2606.90003",
    "2606.90004",
)
# PyGithub's id on GitHub, in both recordings: the fork's "parent" (jacquev6/PyGithub, 2013) and
# PyGithub/PyGithub (2025) are one repository, renamed.
PYGITHUB_ID = 3544490


def _github(req: Request) -> Reply:
    """GitHub as recorded: each recorded request gets its answer, any other repository a 404."""
    if req.path == "/repos/jacquev6/PyGithub":
        return _moved(req, PYGITHUB_ID)
    if req.path == f"/repositories/{PYGITHUB_ID}":
        return REPO.reply  # GitHub answers the same repository under its id
    for recorded in (SAME, REPO, FORK):
        etag = recorded.asked.get("If-None-Match")
        if req.path == recorded.path and etag in (None, req.headers.get("if-none-match")):
            return recorded.reply
    return MISSING.reply


def _moved(req: Request, repo_id: int) -> Reply:
    """Constructed: GitHub's documented answer for a renamed repository (no recording found)."""
    url = f"http://{req.headers['host']}/repositories/{repo_id}"
    body = {
        "message": "Moved Permanently",
        "url": url,
        "documentation_url": "https://docs.github.com/rest",
    }
    return Reply(json.dumps(body).encode(), 301, {"Location": url}, "application/json")


def _hub(req: Request) -> Reply:
    kind = req.path.rsplit("/", 1)[1].removesuffix("s")
    if req.params.get("filter") == f"arxiv:{HOSTILE_ID}" and kind in HUB:
        return Reply(HUB[kind], 200, {}, "application/json")
    return Reply(b"[]", 200, {}, "application/json")


def _settings(site: Settings, github: str, hub: str, **more: object) -> Settings:
    return site.model_copy(update={"github_api_url": github, "hub_api_url": hub, **more})


def _cite(engine: Engine, paper_id: str, repo: str) -> None:
    """Store a paper (a copy of the hostile one) whose only code link is the GitHub repo."""
    paper = replace(HOSTILE, id=paper_id, code_links=(f"https://github.com/{repo}",))
    with engine.begin() as conn:
        upsert_papers(conn, [replace(paper, signals=Signals())])


def _stars(engine: Engine, key: str) -> list[tuple[object, int]]:
    query = select(repo_stars.c.day, repo_stars.c.stars).where(repo_stars.c.full_name == key)
    with engine.connect() as conn:
        return [(d, int(s)) for d, s in conn.execute(query.order_by(repo_stars.c.day))]


def _repo(engine: Engine, key: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(repos).where(repos.c.full_name == key)).one()


def test_enrich_stores_recorded_facts_stars_and_artifacts(site: Settings, engine: Engine) -> None:
    _cite(engine, REPO_PAPER, "PyGithub/PyGithub")
    with replay(_github) as gh, replay(_hub) as hub:
        settings = _settings(site, gh.url, hub.url, github_token=SecretStr("t0ken"))
        report = enrich(engine, settings, days=30)
    assert report.updated == 1 and report.artifacts == 3 and not report.errors
    assert report.missing >= 1  # example/hostile: GitHub's recorded 404
    asked = [r for r in gh.requests if r.path == "/repos/PyGithub/PyGithub"]
    assert asked[0].headers["authorization"] == "Bearer t0ken"
    assert asked[0].headers.get("if-none-match") is None
    assert _stars(engine, "pygithub/pygithub") == [(utcnow().date(), 7122)]
    row = _repo(engine, "pygithub/pygithub")
    assert (row.display_name, row.stars, row.forks) == ("PyGithub/PyGithub", 7122, 1793)
    assert (row.language, row.license) == ("Python", "LGPL-3.0")
    assert row.pushed_at == datetime(2024, 12, 19, 12, 1, 11)
    assert row.etag == 'W/"37ea58577585c38f93634ef43114c657de2581286eb6976ec18c274de296eff0"'
    assert _repo(engine, "example/hostile").status == "missing"

    with client(site, engine) as c:
        paper = c.get(f"/api/papers/{REPO_PAPER}").json()
        assert paper["githubStars"] == 7122 and paper["githubRepo"] == "PyGithub/PyGithub"
        page = c.get(f"/papers/{REPO_PAPER}").text
        assert "★ 7,122" in page and "1,793 forks" in page and "LGPL-3.0" in page
        hostile = c.get(f"/api/papers/{HOSTILE_ID}").json()
        assert (hostile["numModels"], hostile["numDatasets"], hostile["numSpaces"]) == (2, 1, 0)
        page = c.get(f"/papers/{HOSTILE_ID}").text
        assert "example/hostile-base" in page
        assert "https://huggingface.co/datasets/example/hostile-bench" in page
        day = c.get(f"/papers/date/{hostile['listingDate']}").text
        assert "2 models" in day and "1 dataset" in day


def test_second_run_asks_conditionally_and_gets_the_recorded_304(
    site: Settings, engine: Engine
) -> None:
    _cite(engine, FORK_PAPER, "akfish/PyGithub")
    with replay(_github) as gh:
        settings = _settings(site, gh.url, "")
        first = enrich(engine, settings, days=30)
        second = enrich(engine, settings, days=30)
    asked = [r.headers.get("if-none-match") for r in gh.requests if r.path == FORK.path]
    assert asked == [None, '"8600bedcb7fed1d8065e1693e05529ce"']
    assert first.updated == 1 and second.not_modified == 1 and second.updated == 0
    row = _repo(engine, "akfish/pygithub")
    # GitHub's 2013 answer (media type github.beta) has no stargazers_count: no star count.
    assert (row.status, row.stars, row.forks, row.language) == ("ok", None, 0, "Python")
    assert row.etag == '"8600bedcb7fed1d8065e1693e05529ce"'
    assert _stars(engine, "akfish/pygithub") == []


def test_recorded_404_marks_the_repository_missing(site: Settings, engine: Engine) -> None:
    _cite(engine, GONE_PAPER, "jacquev6/Xxx")
    with replay(_github) as gh:
        report = enrich(engine, _settings(site, gh.url, ""), days=30)
    assert "/repos/jacquev6/Xxx" in [r.path for r in gh.requests]
    assert report.missing >= 2 and report.updated == 0 and not report.errors
    row = _repo(engine, "jacquev6/xxx")
    assert (row.status, row.stars, row.display_name) == ("missing", None, "jacquev6/Xxx")


def test_renamed_repository_is_followed_to_its_new_name(site: Settings, engine: Engine) -> None:
    """A paper links jacquev6/PyGithub, which GitHub renamed: its 301 is followed, not an error."""
    _cite(engine, MOVED_PAPER, "jacquev6/PyGithub")
    with replay(_github) as gh:
        report = enrich(engine, _settings(site, gh.url, ""), days=30)
    assert not report.errors and report.updated == 1
    assert f"/repositories/{PYGITHUB_ID}" in [r.path for r in gh.requests]
    row = _repo(engine, "jacquev6/pygithub")
    assert (row.status, row.display_name, row.stars) == ("ok", "PyGithub/PyGithub", 7122)
    with client(site, engine) as c:
        assert c.get(f"/api/papers/{MOVED_PAPER}").json()["githubRepo"] == "PyGithub/PyGithub"


def test_unidentified_licence_is_not_shown_as_noassertion() -> None:
    data = json.loads(REPO.reply.body)
    # What GitHub answers for a licence file it cannot identify (constructed from its docs).
    data["license"] = {"key": "other", "name": "Other", "spdx_id": "NOASSERTION", "url": None}
    assert repo_facts(data, "PyGithub/PyGithub").license is None
    assert repo_facts(json.loads(REPO.reply.body), "PyGithub/PyGithub").license == "LGPL-3.0"


def test_trending_by_stars_ranks_by_stars_gained(site: Settings, engine: Engine) -> None:
    _cite(engine, REPO_PAPER, "PyGithub/PyGithub")
    earlier = utcnow().date() - timedelta(days=3)
    with engine.begin() as conn:
        conn.execute(
            repo_stars.insert().values(full_name="pygithub/pygithub", day=earlier, stars=7000)
        )
    with client(site, engine) as c:
        assert "No star counts yet" in c.get("/trending/stars").text
    with replay(_github) as gh, replay(_hub) as hub:
        enrich(engine, _settings(site, gh.url, hub.url), days=30)
    with client(site, engine) as c:
        page = c.get("/trending/stars").text
        assert f'data-id="{REPO_PAPER}"' in page and "Trending by GitHub stars" in page
        assert "/trending/stars" in c.get("/trending").text


def test_failures_keep_what_was_stored(site: Settings, engine: Engine) -> None:
    _cite(engine, REPO_PAPER, "PyGithub/PyGithub")
    with replay(_github) as gh, replay(_hub) as hub:
        enrich(engine, _settings(site, gh.url, hub.url), days=30)

    def broken(req: Request) -> Reply:  # constructed: a proxy's error page
        return Reply(b"<html>oops</html>", 502, {}, "text/html")

    with replay(broken) as gh, replay(broken) as hub:
        report = enrich(engine, _settings(site, gh.url, hub.url), days=30)
    assert any("github PyGithub/PyGithub" in e and "502" in e for e in report.errors)
    assert any(e.startswith("hub ") for e in report.errors)
    row = _repo(engine, "pygithub/pygithub")
    assert row.stars == 7122 and row.status == "error"
    with client(site, engine) as c:
        paper = c.get(f"/api/papers/{HOSTILE_ID}").json()
        assert paper["numModels"] == 2  # the Hub's failure removed nothing


def test_recorded_rate_limit_stops_github_and_says_when(site: Settings, engine: Engine) -> None:
    _cite(engine, REPO_PAPER, "PyGithub/PyGithub")
    with replay(lambda req: LIMITED) as gh, replay(_hub) as hub:
        report = enrich(engine, _settings(site, gh.url, hub.url), days=30)
    # X-Ratelimit-Reset: 1788799425, as GitHub sent it
    assert report.rate_limited_until == "2026-09-07T16:43:45+00:00"
    assert len(gh.requests) == 1  # stopped asking at once
    assert report.updated == 0 and _stars(engine, "pygithub/pygithub") == []


def test_enrich_cli_reports(site: Settings, engine: Engine) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    _cite(engine, REPO_PAPER, "PyGithub/PyGithub")
    with replay(_github) as gh, replay(_hub) as hub:
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


def test_hub_listing_pages_are_followed(site: Settings, engine: Engine) -> None:
    """A listing longer than one page arrives in pages linked by `Link: rel="next"` (a cursor)."""
    models = [{"id": f"org/model-{i}", "likes": i, "downloads": 10 * i} for i in range(5)]

    def paged(req: Request) -> Reply:
        if not req.path.endswith("/models") or req.params.get("filter") != f"arxiv:{HOSTILE_ID}":
            return Reply(b"[]", 200, {}, "application/json")
        start = int(req.params.get("cursor", "0"))
        page = models[start : start + 2]
        headers = {}
        if start + 2 < len(models):
            nxt = f"{server.url}/api/models?filter=arxiv:{HOSTILE_ID}&cursor={start + 2}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        return Reply(json.dumps(page).encode(), 200, headers, "application/json")

    _cite(engine, HOSTILE_ID, "PyGithub/PyGithub")
    with replay(paged) as server:
        report = enrich(engine, _settings(site, "", server.url), days=30)
    assert not report.errors, report.errors
    with engine.connect() as conn:
        stored = artifacts(conn, HOSTILE_ID)
    assert sorted(stored["model"]) == [m["id"] for m in models]
    ours = [r for r in server.requests if r.params.get("filter") == f"arxiv:{HOSTILE_ID}"]
    assert [r.params.get("cursor") for r in ours if r.path.endswith("/models")] == [None, "2", "4"]
