"""Web test support: a small store of real papers (plus one hostile record) and form helpers."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from paperfeed.ingest.jobs import demo_files
from paperfeed.models import Paper, Signals
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import get_papers, upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.tables import papers
from paperfeed.web.app import create_app

DAYS = (date(2026, 6, 24), date(2026, 6, 25), date(2026, 6, 26))
PER_DAY = 8
HOSTILE_ID = "2606.99999"
HOSTILE = Paper(
    id=HOSTILE_ID,
    title="Attention <script>alert('title')</script> Is Not Enough",
    abstract=(
        "We study $x<img src=x onerror=alert('math')>$ and "
        "<img src=x onerror=\"alert('abstract')\"> in \\emph{depth}; 50% & more #tags."
    ),
    authors=("Mallory O'Hara", "Eve <b>Bold</b>"),
    categories=("cs.CR", "cs.LG"),
    version=1,
    code_links=("https://github.com/example/hostile",),
    source="test",
    listing_date=DAYS[1],
    signals=Signals(upvotes=3, github_repo="example/hostile", github_stars=120),
)
_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_settings(settings: Settings, **changes: object) -> Settings:
    """Test settings: fast embedder, small pages, caches that check the store on every request."""
    base = {"embed_model": "static", "search_refresh_seconds": 0.0, "page_size": 5}
    base["page_cache_check_seconds"] = 0.0  # two test clients are two processes sharing a store
    return settings.model_copy(update=base | changes)


def fill_store(engine: Engine, settings: Settings, folder: Path) -> None:
    """The first papers of three real demo listing days, plus the hostile record."""
    folder.mkdir(parents=True, exist_ok=True)
    listings = {p.name[:10]: p for p in demo_files()[0]}
    paths = []
    for day in DAYS:
        with gzip.open(listings[day.isoformat()], "rt") as handle:
            lines = handle.read().splitlines()[:PER_DAY]
        path = folder / f"{day.isoformat()}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    report, failed = ingest_files(engine, settings, "listing", paths)
    assert not failed and report.inserted >= 2 * PER_DAY
    with engine.begin() as conn:
        upsert_papers(conn, [HOSTILE])


def stored(engine: Engine) -> dict[str, Paper]:
    """Every paper in the store."""
    with engine.connect() as conn:
        return get_papers(conn, list(conn.scalars(select(papers.c.id))))


def on_day(engine: Engine, day: date) -> dict[str, Paper]:
    """The stored papers listed on a day."""
    return {k: p for k, p in stored(engine).items() if p.listing_date == day}


@contextmanager
def client(settings: Settings, engine: Engine, https: bool = False) -> Iterator[TestClient]:
    """An in-process client of the app over this store."""
    app = create_app(settings, engine)
    base = "https://testserver" if https else "http://testserver"
    with TestClient(app, base_url=base, raise_server_exceptions=False) as c:
        yield c


def untokened(html: str) -> str:
    """The page without its form tokens' values (masked afresh in every answer): two answers
    of the same page compare equal."""
    return _TOKEN_RE.sub('name="csrf_token" value=""', html)


def csrf_token(c: TestClient, path: str = "/signin") -> str:
    """The CSRF token the site puts in its forms for this client."""
    match = _TOKEN_RE.search(c.get(path).text)
    assert match, f"no form token on {path}"
    return match[1]


def sign_up(c: TestClient, username: str, password: str = "correct horse battery") -> None:
    """Create an account through the form; the client is then signed in."""
    response = c.post(
        "/signup",
        data={"username": username, "password": password, "csrf_token": csrf_token(c, "/signup")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert "pf_session" in c.cookies


def user_id(engine: Engine, name: str) -> int:
    """The id of the account named `name`."""
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == name)).scalar_one())


def sign_in_as(
    c: TestClient, name: str, new: bool = False, password: str = "correct horse battery"
) -> str:
    """Sign `name` in (up, when `new`) as the client's only account; its form token."""
    c.cookies.clear()
    if new:
        sign_up(c, name, password)
    else:
        data = {"username": name, "password": password, "csrf_token": csrf_token(c, "/signin")}
        assert c.post("/signin", data=data, follow_redirects=False).status_code == 303
    return csrf_token(c, "/")


def post_form(c: TestClient, path: str, data: dict[str, str]) -> Any:
    """Post a form with this client's CSRF token, without following redirects."""
    return c.post(path, data=data | {"csrf_token": csrf_token(c, "/")}, follow_redirects=False)


@contextmanager
def importing(
    settings: Settings, stored: list[Paper], username: str
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A site over a store of `stored` papers, and a new reader's bearer token: for imports."""
    from paperfeed.store import open_store

    settings = web_settings(settings)
    engine: Engine = open_store(settings)
    with engine.begin() as conn:
        upsert_papers(conn, stored)
    try:
        with client(settings, engine) as c:
            yield c, bearer(c, username)
    finally:
        engine.dispose()


def import_file(c: TestClient, auth: dict[str, str], name: str, body: str) -> Any:
    """`POST /api/me/library/import` of a file; its report (asserting a 200)."""
    got = c.post("/api/me/library/import", files={"file": (name, body.encode())}, headers=auth)
    assert got.status_code == 200, got.text
    return got.json()


def bearer(c: TestClient, username: str, password: str = "correct horse battery") -> dict[str, str]:
    """Sign a new account up, then log in through the API: its Authorization header."""
    sign_up(c, username, password)
    c.cookies.clear()
    token = c.post("/api/login", json={"username": username, "password": password}).json()
    return {"Authorization": f"Bearer {token['token']}"}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on this engine inside the block, each on one line."""
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
