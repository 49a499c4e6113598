"""Conferences at scale: how many real arXiv papers name a venue, what reading it adds to each
paper's ingest, what migrations 0050 to the newest take to read a whole store, what the conference
pages and keyword searches within the largest conference cost, on the 74,728 real papers of
`arxiv-daily-cs-listings`; then the store's venue queries on the same store grown to `--grow`
papers (copies of its papers under new ids).

    .venv/bin/python bench/venues.py [--grow 1000000] [--repeat 20]

Default settings (SQLite, the page cache as shipped); the store is built in bench/out/venues.
"""

from __future__ import annotations

import argparse
import logging
import platform
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select, text

from paperfeed.pipeline import ingest_files
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import migrate, open_store
from paperfeed.store.accounts import user_by_id, users
from paperfeed.store.db import _MIGRATIONS, shipped_heads
from paperfeed.store.library import save_paper
from paperfeed.store.listings import papers_at_venue, venue_counts, venue_paper_ids
from paperfeed.store.tables import papers
from paperfeed.venues import from_label, from_slug, said_on, stored_venue
from paperfeed.web import views
from paperfeed.web.app import create_app
from paperfeed.web.views.topics import MOST_PAPERS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "arxiv-daily-cs-listings" / "daily"
WORK = REPO / "bench" / "out" / "venues"


def _ms(call: Callable[[], object], repeat: int) -> float:
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took)


def _downgrade(engine: object, to: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:  # type: ignore[attr-defined]
        config.attributes["connection"] = conn
        command.downgrade(config, to)


def _grow(engine: object, most: int) -> int:
    """Copies of the store's papers under new ids (their venue and day with them) up to `most`."""
    columns = [c.name for c in papers.columns]
    names = ", ".join(columns)
    copied = ", ".join("id || '-' || :k" if c == "id" else c for c in columns)
    with engine.begin() as conn:  # type: ignore[attr-defined]
        base = conn.scalar(select(func.count()).select_from(papers))
        k = 1
        while base * (k + 1) <= most:
            sql = (
                f"INSERT INTO papers ({names}) SELECT {copied} FROM papers WHERE id NOT LIKE '%-%'"
            )
            conn.execute(text(sql), {"k": str(k)})
            k += 1
        return int(conn.scalar(select(func.count()).select_from(papers)))


def _at(conn: Connection, label: str, order: str) -> object:
    return papers_at_venue(conn, label, order, 0, 30)


def _foryou(
    settings: Settings,
    engine: Engine,
    label: str,
    liked_at: str,
    saved: int,
    repeat: int,
    profile: bool = False,
) -> None:
    """`label`'s page ranked for a reader who saved `saved` papers of `liked_at` (another
    conference), through the page: the first view (the model trained, the papers ranked) and
    again (kept)."""
    static = settings.model_copy(update={"embed_model": "static"})
    start = time.perf_counter()
    embedded = embed_papers(static, engine)
    print(f"\nembedded {embedded:,} papers (static model) in {time.perf_counter() - start:.0f} s")
    with engine.connect() as conn:
        liked = papers_at_venue(conn, liked_at, "votes", 0, saved).ids
    slug = label.lower().replace(" ", "-")
    with TestClient(create_app(static), raise_server_exceptions=False) as c:
        logging.getLogger("paperfeed.access").setLevel(logging.WARNING)
        start = time.perf_counter()  # as `paperfeed serve` warms each worker before visitors
        c.app.state.site.warm_search()  # type: ignore[attr-defined]
        c.app.state.recommender.warm_vocabulary()  # type: ignore[attr-defined]
        warmed = time.perf_counter() - start
        print(f"warmed (search indexes, For you's keyword features): {warmed:.0f} s")
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/signup").text)
        assert token is not None
        form = {"username": "planner", "password": "a long bench password", "csrf_token": token[1]}
        assert c.post("/signup", data=form, follow_redirects=False).status_code == 303
        with engine.begin() as conn:
            user = conn.scalar(select(users.c.id).where(users.c.username == "planner"))
            for pid in liked:
                save_paper(conn, int(user or 0), pid)
        path = f"/venues/{slug}?sort=foryou"
        print(
            f"| {label} for a reader with {len(liked)} saved ({liked_at}) | first ms | again ms |"
        )
        print("|---|---|---|")
        for page in (1, 2):
            at = path + (f"&page={page}" if page > 1 else "")
            start = time.perf_counter()
            got = c.get(at)
            first = (time.perf_counter() - start) * 1000
            assert got.status_code == 200 and "Ranked for you by your" in got.text, got.text[:300]
            again = _ms(lambda at=at: c.get(at), repeat)  # type: ignore[misc]
            print(f"| page {page} | {first:.0f} | {again:.1f} |")
        plain = f"/venues/{slug}"
        newest = _ms(lambda: c.get(plain), repeat)
        print(f"| the same conference newest first, signed in | – | {newest:.1f} |")
        if profile:
            _parts(c, engine, label, int(user or 0), repeat)


def _parts(c: TestClient, engine: Engine, label: str, user: int, repeat: int) -> None:
    """Where a kept ranked page's time goes: the conference's ids, the kept ranking, the
    cards; the rest is the page (the reader's lookups, rendering)."""
    recommender = c.app.state.recommender  # type: ignore[attr-defined]
    venue = from_label(label)
    with engine.connect() as conn:
        reader = user_by_id(conn, user)

        def ids() -> list[str]:
            return papers_at_venue(conn, label, "votes", 0, MOST_PAPERS).ids

        held = ids()

        def ranking() -> list[str]:
            return [r.id for r in recommender.feed_among(conn, user, held, False, 30)]

        shown = ranking()[:30]
        rows = [
            ("the conference's ids, most upvoted first", ids),
            ("the ranking, kept (`feed_among`)", ranking),
            ("the page's cards (`by_venue`)",
             lambda: views.by_venue(conn, venue, "newest", 1, 30, reader, None, shown)),
        ]  # fmt: skip
        print("| part of a kept ranked page | median ms |\n|---|---|")
        for name, call in rows:
            print(f"| {name} | {_ms(call, repeat):.1f} |")


# Distinct queries, so that no answer comes from the API's cache.
_QUERIES = (
    "diffusion", "transformer", "graph neural network", "segmentation", "reinforcement learning",
    "video generation", "point cloud", "language model", "adversarial", "retrieval",
    "depth estimation", "few-shot", "contrastive", "benchmark", "uncertainty", "pruning",
    "3D reconstruction", "optical flow", "knowledge distillation", "tracking",
)  # fmt: skip


def _searches(c: TestClient, slug: str, repeat: int) -> None:
    """Keyword searches through the API, each query once (uncached), within the largest
    conference and over every paper: the median and slowest of the queries; then the search
    service alone (no cards, no cache), each query `repeat` times, and the conference's scope."""
    print(f"\n| keyword search, {len(_QUERIES)} distinct queries | median ms | max ms |")
    print("|---|---|---|")
    for scope, extra in (("API, every paper", ""), (f"API, within {slug}", f"&venue={slug}")):
        took = []
        for q in _QUERIES:
            start = time.perf_counter()
            got = c.get(f"/api/papers/search?q={q}&mode=keyword{extra}")
            took.append((time.perf_counter() - start) * 1000)
            assert got.status_code == 200, got.text[:200]
        print(f"| {scope} | {statistics.median(took):.1f} | {max(took):.1f} |")
    site = c.app.state.site  # type: ignore[attr-defined]
    service, venue = site.search(), from_slug(slug)
    assert venue is not None
    with site.engine.connect() as conn:
        among = venue_paper_ids(conn, venue.label)
    for name, scoped in (("every paper", None), (f"within {slug}", among)):
        took = [
            _ms(lambda q=q, s=scoped: service.search(q, "keyword", 20, among=s), repeat)  # type: ignore[misc]
            for q in _QUERIES
        ]
        middle, most = statistics.median(took), max(took)
        print(f"| `SearchService.search`, {name} | {middle:.1f} | {most:.1f} |")

    def scope() -> frozenset[str]:
        with site.engine.connect() as conn:
            return venue_paper_ids(conn, venue.label)

    print(f"| the scope: {len(among):,} ids from the store | {_ms(scope, repeat):.1f} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grow", type=int, default=1_000_000, help="papers for the query rows")
    parser.add_argument("--repeat", type=int, default=20, help="timings per row (median)")
    parser.add_argument(
        "--foryou",
        type=int,
        default=0,
        help="also time the largest conference ranked for a reader with this many saved papers "
        "(embeds every paper with the static model first: not the default model)",
    )
    parser.add_argument("--profile", action="store_true", help="profile a kept ranked page")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    settings = Settings(data_dir=WORK, _env_file=None)  # type: ignore[call-arg]
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()},")
    print(f"# default settings (SQLite), median of {args.repeat}")
    engine = open_store(settings)
    files = sorted(DEFAULT_DATA.glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no daily listings in {DEFAULT_DATA}: see ../shared/data")
    start = time.perf_counter()
    report, failed = ingest_files(engine, settings, "listing", files)
    ingest_s = time.perf_counter() - start
    if failed:
        raise SystemExit("; ".join(failed))
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(papers)) or 0
        said = conn.execute(
            select(
                *(papers.c[n] for n in ("comments", "journal_ref", "published", "updated")),
                papers.c.listing_date,
            )
        ).all()
        counts = venue_counts(conn)
    start = time.process_time()
    for comment, ref, published, updated, listed in said:  # as the store reads it
        stored_venue(ref, comment, said_on(published, updated, listed))
    parse_us = (time.process_time() - start) * 1e6 / len(said)
    named = sum(counts.values())
    print(f"\npapers {total:,} (ingested in {ingest_s:.1f} s, {total / ingest_s:,.0f}/s)")
    print(f"naming a venue: {named:,} ({named / total:.1%}), {len(counts)} venues and tracks")
    print(f"reading a paper's venue: {parse_us:.1f} µs CPU a paper")
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:12]
    print("largest: " + ", ".join(f"{label} {n:,}" for label, n in top))

    _downgrade(engine, "0049")
    start = time.perf_counter()
    migrate(engine)
    took = time.perf_counter() - start
    head = max(shipped_heads())
    again = int(head) - 50
    print(
        f"migrations 0050 to {head} (read, read {again} times again) over {total:,} papers: "
        f"{took:.1f} s"
    )

    biggest = top[0][0].lower().replace(" ", "-")
    service = SearchService(settings, engine)
    start = time.perf_counter()
    service.refresh()  # the keyword index, as `paperfeed index` or a running site has it
    service.close()
    print(f"keyword index built: {time.perf_counter() - start:.1f} s")
    print(f"\n| page ({total:,} papers) | first ms | again ms | bytes (uncompressed) |")
    print("|---|---|---|---|")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        logging.getLogger("paperfeed.access").setLevel(logging.WARNING)  # no line per request
        for path in ("/venues", f"/venues/{biggest}", f"/venues/{biggest}?sort=votes",
                     f"/venues/{biggest}?page=20", "/api/venues", f"/api/venues/{biggest}",
                     f"/feeds/venue/{biggest}.atom"):  # fmt: skip
            start = time.perf_counter()
            got = c.get(path)
            first = (time.perf_counter() - start) * 1000
            assert got.status_code == 200, (path, got.status_code, got.text[:200])
            again = _ms(lambda path=path: c.get(path), args.repeat)  # type: ignore[misc]
            print(f"| {path} | {first:.1f} | {again:.1f} | {len(got.content):,} |")
        _searches(c, biggest, args.repeat)

    if args.foryou:
        _foryou(settings, engine, top[0][0], top[1][0], args.foryou, args.repeat, args.profile)
    grown = _grow(engine, args.grow)
    label = top[0][0]
    print(f"\n| store query ({grown:,} papers) | median ms |\n|---|---|")
    with engine.connect() as conn:
        rows = [
            ("venue_counts (the conferences page)", lambda: venue_counts(conn)),
            (f"papers_at_venue {label}, newest, page 1", lambda: _at(conn, label, "newest")),
            (f"papers_at_venue {label}, votes, page 1", lambda: _at(conn, label, "votes")),
            (f"venue_paper_ids {label} (a search's scope)", lambda: venue_paper_ids(conn, label)),
        ]  # fmt: skip
        for name, call in rows:
            print(f"| {name} | {_ms(call, args.repeat):.1f} |")
    print(
        f"\nstore on disk: {(WORK / 'paperfeed.db').stat().st_size / 1e9:.2f} GB", file=sys.stderr
    )


if __name__ == "__main__":
    main()
