"""GitHub repository facts over time and Hugging Face Hub artifacts citing a paper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    update,
)

from paperfeed.store.accounts import bump_revision
from paperfeed.store.community import paper_links
from paperfeed.store.sql import in_list
from paperfeed.store.tables import code_links, metadata, signals
from paperfeed.util import utcnow

repos = Table(
    "repos",
    metadata,
    Column("full_name", String(200), primary_key=True),  # owner/name, lower case
    Column("display_name", String(200), nullable=False),
    Column("stars", Integer),
    Column("forks", Integer),
    Column("language", String(80)),
    Column("license", String(80)),
    Column("pushed_at", DateTime),
    Column("etag", String(200)),
    Column("status", String(16), nullable=False),  # ok | missing | error | new
    Column("error", Text),
    Column("fetched_at", DateTime),
)

repo_stars = Table(
    "repo_stars",
    metadata,
    Column("full_name", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("stars", Integer, nullable=False),
)

hub_artifacts = Table(
    "hub_artifacts",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("kind", String(8), primary_key=True),  # model | dataset | space
    Column("hub_id", String(200), primary_key=True),
    Column("likes", Integer),
    Column("downloads", Integer),
    Column("fetched_at", DateTime, nullable=False),
    Index("ix_hub_artifacts_paper_id", "paper_id"),
)

HUB_KINDS = ("model", "dataset", "space")


@dataclass(frozen=True)
class RepoFacts:
    """What GitHub says about one repository."""

    full_name: str
    stars: int | None
    forks: int | None
    language: str | None
    license: str | None
    pushed_at: datetime | None


@dataclass(frozen=True)
class Enrichment:
    """A paper's repository facts and Hub artifact counts, as cards show them."""

    repo: RepoFacts | None
    models: int = 0
    datasets: int = 0
    spaces: int = 0
    code: tuple[str, ...] = ()  # code links its claimed authors or an admin added


def repo_key(owner_name: str) -> str:
    """The key of a repository: owner/name in lower case."""
    return owner_name.strip("/").lower()


def paper_repos(conn: Connection, limit: int | None = None) -> dict[str, str]:
    """Every GitHub repository the store links to a paper: key -> owner/name as written."""
    found: dict[str, str] = {}
    for _pid, url in _all_code_urls(conn):
        name = github_name(url)
        if name:
            found.setdefault(repo_key(name), name)
    for (repo,) in conn.execute(
        select(signals.c.github_repo).where(signals.c.github_repo.isnot(None))
    ):
        name = github_name(str(repo))
        if name:
            found.setdefault(repo_key(name), name)
    keys = sorted(found)[:limit] if limit else sorted(found)
    return {k: found[k] for k in keys}


def github_name(text: str) -> str | None:
    """owner/name from a GitHub URL or an owner/name string; None for anything else."""
    text = text.strip()
    for prefix in ("https://github.com/", "http://github.com/", "https://www.github.com/"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        if "://" in text:
            return None
    parts = [p for p in text.split("/") if p][:2]
    if len(parts) != 2:
        return None
    owner, name = parts[0], parts[1].removesuffix(".git")
    ok = all(ch.isalnum() or ch in "-_." for ch in owner + name)
    return f"{owner}/{name}" if ok and owner and name else None


def repo_etag(conn: Connection, key: str) -> str | None:
    """The ETag of the last stored answer for a repository."""
    row = conn.execute(select(repos.c.etag).where(repos.c.full_name == key)).first()
    return str(row.etag) if row and row.etag else None


def save_repo(conn: Connection, key: str, facts: RepoFacts, etag: str | None, day: date) -> None:
    """Store a repository's facts and today's star count."""
    values = {
        "display_name": facts.full_name,
        "stars": facts.stars,
        "forks": facts.forks,
        "language": facts.language,
        "license": facts.license,
        "pushed_at": facts.pushed_at,
        "etag": etag,
        "status": "ok",
        "error": None,
        "fetched_at": utcnow(),
    }
    _upsert_repo(conn, key, values)
    if facts.stars is not None:
        conn.execute(
            delete(repo_stars).where(repo_stars.c.full_name == key, repo_stars.c.day == day)
        )
        conn.execute(repo_stars.insert().values(full_name=key, day=day, stars=facts.stars))
    bump_revision(conn)


def touch_repo(conn: Connection, key: str, day: date) -> None:
    """Record that GitHub said "not modified": the stored facts hold today too."""
    row = conn.execute(select(repos.c.stars).where(repos.c.full_name == key)).first()
    conn.execute(update(repos).where(repos.c.full_name == key).values(fetched_at=utcnow()))
    if row is not None and row.stars is not None:
        conn.execute(
            delete(repo_stars).where(repo_stars.c.full_name == key, repo_stars.c.day == day)
        )
        conn.execute(repo_stars.insert().values(full_name=key, day=day, stars=row.stars))


def mark_repo(conn: Connection, key: str, name: str, status: str, error: str) -> None:
    """Record a repository GitHub does not have (or an error), keeping any facts stored."""
    was = conn.execute(select(repos.c.status).where(repos.c.full_name == key)).first()
    if was is None:
        _upsert_repo(conn, key, {"display_name": name, "status": status, "error": error})
    else:
        query = update(repos).where(repos.c.full_name == key)
        conn.execute(query.values(status=status, error=error, fetched_at=utcnow()))
        if was.status == "ok" and status != "ok":  # cards showed its facts until now
            bump_revision(conn)


def _upsert_repo(conn: Connection, key: str, values: Mapping[str, object]) -> None:
    exists = conn.execute(select(repos.c.full_name).where(repos.c.full_name == key)).first()
    if exists is None:
        conn.execute(repos.insert().values(full_name=key, **values))
    else:
        conn.execute(update(repos).where(repos.c.full_name == key).values(**values))


def save_artifacts(
    conn: Connection, paper_id: str, kind: str, items: Sequence[tuple[str, int | None, int | None]]
) -> None:
    """Replace the Hub artifacts of one kind citing a paper: (hub id, likes, downloads)."""
    key = (hub_artifacts.c.paper_id == paper_id) & (hub_artifacts.c.kind == kind)
    conn.execute(delete(hub_artifacts).where(key))
    now = utcnow()
    for hub_id, likes, downloads in items:
        conn.execute(
            hub_artifacts.insert().values(
                paper_id=paper_id,
                kind=kind,
                hub_id=hub_id,
                likes=likes,
                downloads=downloads,
                fetched_at=now,
            )
        )
    bump_revision(conn)


def artifacts(conn: Connection, paper_id: str) -> dict[str, list[str]]:
    """Hub ids citing a paper, by kind."""
    query = select(hub_artifacts.c.kind, hub_artifacts.c.hub_id).where(
        hub_artifacts.c.paper_id == paper_id
    )
    found: dict[str, list[str]] = {k: [] for k in HUB_KINDS}
    for kind, hub_id in conn.execute(query.order_by(hub_artifacts.c.hub_id)):
        found.setdefault(str(kind), []).append(str(hub_id))
    return found


def _facts(row: object) -> RepoFacts:
    r = row._mapping  # type: ignore[attr-defined]
    return RepoFacts(
        r["display_name"], r["stars"], r["forks"], r["language"], r["license"], r["pushed_at"]
    )


# Built once per dialect: these run for every page of cards that is not in the card cache.
@cache
def _known_repos(dialect: str) -> Select[Any]:
    return select(repos).where(in_list(repos.c.full_name, dialect, "names"), repos.c.status == "ok")


@cache
def _artifact_counts(dialect: str) -> Select[Any]:
    return (
        select(hub_artifacts.c.paper_id, hub_artifacts.c.kind, func.count())
        .where(in_list(hub_artifacts.c.paper_id, dialect))
        .group_by(hub_artifacts.c.paper_id, hub_artifacts.c.kind)
    )


def enrichment_for(
    conn: Connection, paper_ids: Sequence[str], links: dict[str, list[str]]
) -> dict[str, Enrichment]:
    """Repository facts (first linked repo GitHub knows) and artifact counts per paper."""
    if not paper_ids:
        return {}
    added, hub_added = _community_links(conn, paper_ids)
    keys = {pid: [repo_key(n) for n in names] for pid, names in links.items()}
    for pid, urls in added.items():  # added by the paper's authors (or admins): theirs first
        keys[pid] = [repo_key(n) for n in map(github_name, urls) if n] + keys.get(pid, [])
    wanted = sorted({k for ks in keys.values() for k in ks})
    facts = {}
    if wanted:
        rows = conn.execute(_known_repos(conn.dialect.name), {"names": wanted})
        facts = {r.full_name: _facts(r) for r in rows}
    counts: dict[str, dict[str, int]] = {}
    statement = _artifact_counts(conn.dialect.name)
    for pid, kind, n in conn.execute(statement, {"ids": list(paper_ids)}):
        counts.setdefault(pid, {})[kind] = int(n)
    for pid, kind, n in _new_hub_links(conn, hub_added):  # added links the Hub did not list
        held = counts.setdefault(pid, {})
        held[kind] = held.get(kind, 0) + n
    found = {}
    for pid in paper_ids:
        repo = next((facts[k] for k in keys.get(pid, []) if k in facts), None)
        c = counts.get(pid, {})
        code = tuple(added.get(pid, ()))
        if repo or c or code:
            models, datasets, spaces = c.get("model", 0), c.get("dataset", 0), c.get("space", 0)
            found[pid] = Enrichment(repo, models, datasets, spaces, code)
    return found


# What a model, dataset or demo link people added counts as, beside the Hub's own counts.
_ADDED_HUB_KINDS = {"model": "model", "dataset": "dataset", "demo": "space"}
_HUB_PATH = {"model": "", "dataset": "datasets/", "space": "spaces/"}
HubLinks = dict[str, list[tuple[str, str]]]  # paper id -> [(hub kind, url)]


def _community_links(
    conn: Connection, paper_ids: Sequence[str]
) -> tuple[dict[str, list[str]], HubLinks]:
    """The code links, and the model, dataset and demo links, that people added to these
    papers (claimed authors, admins), oldest first."""
    query = (
        select(paper_links.c.paper_id, paper_links.c.kind, paper_links.c.url)
        .where(
            paper_links.c.kind.in_(["code", *_ADDED_HUB_KINDS]),
            in_list(paper_links.c.paper_id, conn.dialect.name, values=list(paper_ids)),
        )
        .order_by(paper_links.c.id)
    )
    code: dict[str, list[str]] = {}
    hub: HubLinks = {}
    for pid, kind, url in conn.execute(query):
        if kind == "code":
            if url not in code.setdefault(str(pid), []):
                code[str(pid)].append(str(url))
        elif (_ADDED_HUB_KINDS[kind], url) not in hub.get(pid, []):
            hub.setdefault(str(pid), []).append((_ADDED_HUB_KINDS[kind], str(url)))
    return code, hub


def _new_hub_links(conn: Connection, added: HubLinks) -> list[tuple[str, str, int]]:
    """(paper, kind, n): the added links of each kind that are not a Hub artifact already
    counted for the paper (a Hugging Face address of one is the same artifact)."""
    if not added:
        return []
    query = select(hub_artifacts.c.paper_id, hub_artifacts.c.kind, hub_artifacts.c.hub_id)
    listed = {
        (str(p), str(k), f"https://huggingface.co/{_HUB_PATH.get(str(k), '')}{h}".lower())
        for p, k, h in conn.execute(query.where(hub_artifacts.c.paper_id.in_(sorted(added))))
    }
    counts: dict[tuple[str, str], int] = {}
    for pid, links in added.items():
        for kind, url in links:
            address = url.rstrip("/").lower().replace("http://", "https://", 1)
            if (pid, kind, address.replace("://www.", "://", 1)) not in listed:
                counts[pid, kind] = counts.get((pid, kind), 0) + 1
    return [(pid, kind, n) for (pid, kind), n in counts.items()]


def source_code_links(
    conn: Connection, paper_ids: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The papers' code links from their sources (in order) and their GitHub repository
    signal, in two queries for any number of papers (what a card reads from its `Paper`)."""
    if not paper_ids:
        return {}, {}
    dialect, ids = conn.dialect.name, list(paper_ids)
    query = select(code_links.c.paper_id, code_links.c.url).where(
        in_list(code_links.c.paper_id, dialect, values=ids)
    )
    links: dict[str, list[str]] = {}
    for pid, url in conn.execute(query.order_by(code_links.c.paper_id, code_links.c.position)):
        links.setdefault(str(pid), []).append(str(url))
    repo = select(signals.c.paper_id, signals.c.github_repo).where(
        in_list(signals.c.paper_id, dialect, values=ids), signals.c.github_repo.isnot(None)
    )
    return links, {str(pid): str(name) for pid, name in conn.execute(repo)}


def _all_code_urls(conn: Connection) -> list[tuple[str, str]]:
    """(paper id, url) of every code link, the sources' and those people added."""
    added = select(paper_links.c.paper_id, paper_links.c.url).where(paper_links.c.kind == "code")
    rows = conn.execute(select(code_links.c.paper_id, code_links.c.url)).all()
    return [(str(p), str(u)) for p, u in [*rows, *conn.execute(added).all()]]


def stars_gained(conn: Connection, today: date, days: int = 7) -> dict[str, int]:
    """Stars each repository gained over the last `days` (repos counted on two days or more)."""
    query = select(repo_stars.c.full_name, repo_stars.c.day, repo_stars.c.stars).where(
        repo_stars.c.day >= today - timedelta(days=days), repo_stars.c.day <= today
    )
    first: dict[str, tuple[date, int]] = {}
    last: dict[str, tuple[date, int]] = {}
    for name, day, stars in conn.execute(query):
        if name not in first or day < first[name][0]:
            first[name] = (day, stars)
        if name not in last or day > last[name][0]:
            last[name] = (day, stars)
    return {n: last[n][1] - first[n][1] for n in last if last[n][0] > first[n][0]}


def papers_with_repos(conn: Connection, keys: set[str]) -> list[tuple[str, str]]:
    """(paper id, repo key) for papers whose code links or GitHub signal name one of the repos."""
    if not keys:
        return []
    found = []
    for pid, url in _all_code_urls(conn):
        name = github_name(url)
        if name and repo_key(name) in keys:
            found.append((pid, repo_key(name)))
    query = select(signals.c.paper_id, signals.c.github_repo).where(
        signals.c.github_repo.isnot(None)
    )
    for pid, repo in conn.execute(query):
        name = github_name(str(repo))
        if name and repo_key(name) in keys:
            found.append((str(pid), repo_key(name)))
    return found
