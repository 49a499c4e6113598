"""Enrichment: GitHub repository facts (stars over time) and Hugging Face Hub artifacts per paper.

GitHub is asked with conditional requests (ETag / If-None-Match, which GitHub does not count
against the rate limit when unchanged) and its rate-limit headers are honoured: when the budget
is spent the run stops asking and says when it resets. A failure of either API leaves what was
stored untouched and is reported. A renamed repository answers 301 with its new address, which is
followed (httpx drops the token should a redirect leave GitHub's origin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import Engine, select

from paperfeed.ingest.http import USER_AGENT
from paperfeed.settings import Settings
from paperfeed.store.enrichment import (
    HUB_KINDS,
    RepoFacts,
    mark_repo,
    paper_repos,
    repo_etag,
    save_artifacts,
    save_repo,
    touch_repo,
)
from paperfeed.store.listings import latest_day
from paperfeed.store.tables import papers
from paperfeed.util import tls_context, utcnow

HUB_PATHS = {"model": "/api/models", "dataset": "/api/datasets", "space": "/api/spaces"}
MAX_INT = 2**31 - 1
NO_LICENCE_FOUND = "NOASSERTION"  # GitHub's spdx_id when it cannot identify the licence file


class RateLimited(Exception):
    """GitHub's rate limit is spent until `reset`."""

    def __init__(self, reset: datetime | None) -> None:
        super().__init__("GitHub rate limit reached")
        self.reset = reset


@dataclass
class EnrichReport:
    """What an enrichment run did."""

    repos: int = 0
    updated: int = 0
    not_modified: int = 0
    missing: int = 0
    papers: int = 0
    artifacts: int = 0
    errors: list[str] = field(default_factory=list)
    rate_limited_until: str | None = None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and 0 <= value <= MAX_INT else None


def _text(value: object, limit: int = 80) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            .astimezone(UTC)
            .replace(tzinfo=None)
        )
    except ValueError:
        return None


def repo_facts(data: dict[str, object], fallback: str) -> RepoFacts:
    """The facts paperfeed keeps from a GitHub `GET /repos/{owner}/{repo}` answer."""
    licence = data.get("license")
    spdx = licence.get("spdx_id") if isinstance(licence, dict) else None
    if spdx == NO_LICENCE_FOUND:
        spdx = None
    return RepoFacts(
        full_name=_text(data.get("full_name"), 200) or fallback,
        stars=_int(data.get("stargazers_count")),
        forks=_int(data.get("forks_count")),
        language=_text(data.get("language")),
        license=_text(spdx),
        pushed_at=_when(data.get("pushed_at")),
    )


def _reset(response: httpx.Response) -> datetime | None:
    value = response.headers.get("x-ratelimit-reset", "")
    return datetime.fromtimestamp(int(value), UTC) if value.isdigit() else None


def fetch_repo(
    client: httpx.Client, base: str, name: str, etag: str | None
) -> tuple[str, RepoFacts | None, str | None]:
    """Ask GitHub about one repository: state ("ok", "same" or "missing"), facts, ETag."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if etag:
        headers["If-None-Match"] = etag
    response = client.get(f"{base}/repos/{name}", headers=headers)
    remaining = response.headers.get("x-ratelimit-remaining")
    if response.status_code in (403, 429) and (
        remaining == "0" or "retry-after" in response.headers
    ):
        raise RateLimited(_reset(response))
    if response.status_code == 304:
        return "same", None, etag
    if response.status_code in (404, 451):
        return "missing", None, None
    if response.status_code != 200:
        raise httpx.HTTPStatusError(
            f"GitHub answered HTTP {response.status_code} for {name}",
            request=response.request,
            response=response,
        )
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"GitHub's answer for {name} is not an object")
    if remaining == "0":  # this answer was the last one the budget allows
        facts = repo_facts(data, name)
        raise _LastOne(facts, response.headers.get("etag"), _reset(response))
    return "ok", repo_facts(data, name), response.headers.get("etag")


class _LastOne(RateLimited):
    def __init__(self, facts: RepoFacts, etag: str | None, reset: datetime | None) -> None:
        super().__init__(reset)
        self.facts, self.etag = facts, etag


HUB_PAGE = 100  # items per Hub listing page (the Hub's own maximum for listings is larger)
HUB_MAX_PAGES = 20  # a paper cited by more than 2,000 artifacts shows the first 2,000


def fetch_artifacts(
    client: httpx.Client, base: str, arxiv_id: str, kind: str
) -> list[tuple[str, int | None, int | None]]:
    """Hub models, datasets or Spaces whose card cites the paper (`filter=arxiv:ID`).

    The Hub pages its listings with a `Link: <...>; rel="next"` header (a cursor); every page is
    followed, up to HUB_MAX_PAGES.
    """
    url: str | None = f"{base}{HUB_PATHS[kind]}"
    params: dict[str, str | int] | None = {"filter": f"arxiv:{arxiv_id}", "limit": HUB_PAGE}
    found: list[tuple[str, int | None, int | None]] = []
    seen: set[str] = set()
    for _ in range(HUB_MAX_PAGES):
        if url is None:
            break
        response = client.get(url, params=params)
        if response.status_code != 200:
            raise httpx.HTTPStatusError(
                f"the Hub answered HTTP {response.status_code} for {kind}s citing {arxiv_id}",
                request=response.request,
                response=response,
            )
        data = response.json()
        if not isinstance(data, list):
            raise ValueError(f"the Hub's answer for {arxiv_id} is not a list")
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                hub_id = item["id"][:200]
                if hub_id not in seen:
                    seen.add(hub_id)
                    found.append((hub_id, _int(item.get("likes")), _int(item.get("downloads"))))
        url, params = _next_page(response, base), None
    return found


def _next_page(response: httpx.Response, base: str) -> str | None:
    """The next page's address from the Link header, only on the Hub's own host."""
    nxt = response.links.get("next", {}).get("url")
    if not nxt:
        return None
    target = httpx.URL(nxt)
    if target.is_relative_url:
        target = response.request.url.join(target)
    return str(target) if target.host == httpx.URL(base).host else None


def _client(settings: Settings, token: str | None = None, follow: bool = False) -> httpx.Client:
    headers = {"User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    timeout = httpx.Timeout(min(settings.http_timeout, 30.0), connect=5.0)
    return httpx.Client(
        timeout=timeout,
        headers=headers,
        follow_redirects=follow,
        max_redirects=3,
        verify=tls_context(),
    )


def enrich_repos(
    engine: Engine, settings: Settings, report: EnrichReport, limit: int | None
) -> None:
    """Refresh every linked GitHub repository's facts and today's star count."""
    token = settings.github_token.get_secret_value() if settings.github_token else None
    base = settings.github_api_url.rstrip("/")
    today = utcnow().date()
    with engine.connect() as conn:
        names = paper_repos(conn, limit)
    with _client(settings, token, follow=True) as client:
        for key, name in names.items():
            report.repos += 1
            if not _one_repo(engine, client, base, key, name, today, report):
                break


def _one_repo(
    engine: Engine,
    client: httpx.Client,
    base: str,
    key: str,
    name: str,
    today: date,
    report: EnrichReport,
) -> bool:
    with engine.connect() as conn:
        etag = repo_etag(conn, key)
    try:
        state, facts, new_etag = fetch_repo(client, base, name, etag)
    except _LastOne as last:
        with engine.begin() as conn:
            save_repo(conn, key, last.facts, last.etag, today)
        report.updated += 1
        report.rate_limited_until = last.reset.isoformat() if last.reset else "later"
        return False
    except RateLimited as limited:
        report.rate_limited_until = limited.reset.isoformat() if limited.reset else "later"
        return False
    except (httpx.HTTPError, ValueError) as exc:
        report.errors.append(f"github {name}: {exc}")
        if isinstance(exc, httpx.TransportError):
            return False  # GitHub is unreachable: stop asking, keep what is stored
        with engine.begin() as conn:
            mark_repo(conn, key, name, "error", str(exc)[:500])
        return True
    with engine.begin() as conn:
        if state == "ok" and facts is not None:
            save_repo(conn, key, facts, new_etag, today)
            report.updated += 1
        elif state == "same":
            touch_repo(conn, key, today)
            report.not_modified += 1
        else:
            mark_repo(conn, key, name, "missing", "GitHub has no such repository")
            report.missing += 1
    return True


def recent_papers(engine: Engine, days: int, limit: int | None) -> list[str]:
    """arXiv papers listed in the newest `days` days of the store."""
    with engine.connect() as conn:
        newest = latest_day(conn)
        if newest is None:
            return []
        query = select(papers.c.id).where(
            papers.c.listing_date > newest - timedelta(days=days), ~papers.c.id.startswith("local:")
        )
        ids = sorted(conn.scalars(query.order_by(papers.c.id)))
    return ids[:limit] if limit else ids


def enrich_hub(
    engine: Engine, settings: Settings, report: EnrichReport, days: int, limit: int | None
) -> None:
    """Record the Hub models, datasets and Spaces that cite each recent paper."""
    base = settings.hub_api_url.rstrip("/")
    with _client(settings) as client:
        for pid in recent_papers(engine, days, limit):
            report.papers += 1
            try:
                found = {kind: fetch_artifacts(client, base, pid, kind) for kind in HUB_KINDS}
            except (httpx.HTTPError, ValueError) as exc:
                report.errors.append(f"hub {pid}: {exc}")
                if isinstance(exc, httpx.TransportError):
                    return  # the Hub is unreachable: stop asking, keep what is stored
                continue
            with engine.begin() as conn:
                for kind, items in found.items():
                    save_artifacts(conn, pid, kind, items)
                    report.artifacts += len(items)


def enrich(
    engine: Engine, settings: Settings, days: int = 7, limit: int | None = None
) -> EnrichReport:
    """Refresh GitHub facts of linked repositories and Hub artifacts of recent papers."""
    report = EnrichReport()
    if settings.github_api_url:  # an empty address turns a part off
        enrich_repos(engine, settings, report, limit)
    if settings.hub_api_url:
        enrich_hub(engine, settings, report, days, limit)
    return report
