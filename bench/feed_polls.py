"""What a feed reader polling every 15 minutes costs the server, feed by feed (in-process).

The store holds the newest --days listing days of `arxiv-daily-cs-listings` (real papers),
ingested once into `bench/out/feed_polls` with the production ingest code and embedded with the
fast static model; one signed-in reader (3 👍 of the newest day) has a private For you feed URL.
Each feed is asked through the real app (`create_app`, an in-process client, no network):

  first    the first poll after the data changed (the answer is built)
  200      a reader without the feed: the whole body again
  304      a reader that has it (If-None-Match: its ETag), as a polling reader asks

A reader polling every 15 minutes makes 96 requests a day per feed; almost all are 304s.

    .venv/bin/python bench/feed_polls.py
    .venv/bin/python bench/feed_polls.py --days 40 --repeat 50
"""

from __future__ import annotations

import argparse
import platform
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from paperfeed.pipeline import ingest_files
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.listings import latest_day
from paperfeed.store.tables import papers
from paperfeed.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "arxiv-daily-cs-listings" / "daily"
WORK = REPO / "bench" / "out" / "feed_polls"
PASSWORD = "correct horse battery staple"


def _store(settings: Settings, days: int) -> None:
    """The newest `days` listing days, ingested and embedded once."""
    engine = open_store(settings)
    with engine.connect() as conn:
        filled = conn.scalar(select(papers.c.id).limit(1)) is not None
    if not filled:
        files = sorted(DEFAULT_DATA.glob("*.jsonl.gz"))[-days:]
        report, failed = ingest_files(engine, settings, "listing", files)
        if failed:
            raise SystemExit("; ".join(failed))
        print(f"ingested {report.inserted:,} papers", file=sys.stderr)
        embed_papers(settings, engine)
    engine.dispose()


def _token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found, path
    return found[1]


def _private_feed(c: TestClient, settings: Settings) -> str:
    """A new reader's For you feed path (3 👍 of the newest day)."""
    name = f"poller-{secrets.token_hex(4)}"  # a new reader each run: a new feed URL shown once
    form = {"username": name, "password": PASSWORD, "csrf_token": _token(c, "/signup")}
    assert c.post("/signup", data=form).status_code < 400
    engine = open_store(settings)
    with engine.connect() as conn:
        newest = latest_day(conn)
        ids = list(conn.scalars(select(papers.c.id).where(papers.c.listing_date == newest)))[:3]
    engine.dispose()
    for pid in ids:
        c.post(f"/papers/{pid}/rate", data={"rating": "1", "csrf_token": _token(c, "/")})
    c.post("/for-you/feed-url", data={"csrf_token": _token(c, "/for-you/feed-url")})
    shown = c.get("/for-you/feed-url").text
    url = re.search(r'value="([^"]+)" aria-label="Private feed URL"', shown)
    assert url, "no private feed URL shown"
    c.cookies.clear()
    return "/feeds/for-you/" + url[1].split("/feeds/for-you/")[1]


def _ms(call: Callable[[], object], repeat: int) -> float:
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=20, help="newest listing days stored")
    parser.add_argument("--repeat", type=int, default=30, help="polls timed per feed and kind")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=WORK, embed_model="static", _env_file=None)  # type: ignore[call-arg]
    _store(settings, args.days)
    print(f"# {args.days} listing days, static embedder, repeat {args.repeat}, median ms;")
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        feeds = [
            "/feeds/daily.atom",
            "/feeds/daily.rss?category=cs.CL",
            "/feeds/daily.atom?latest=week",
            "/feeds/trending.atom",
            "/feeds/category/cs.LG.atom",
            "/feeds/search.atom?q=diffusion&mode=keyword",
            _private_feed(c, settings),
        ]
        c.get("/api/papers/search?q=warm&mode=keyword")  # the indexes load before any timing
        print("| feed | items | bytes | first ms | 200 ms | 304 ms |")
        print("|---|---|---|---|---|---|")
        for path in feeds:
            first = time.perf_counter()
            got = c.get(path)
            first_ms = (time.perf_counter() - first) * 1000
            assert got.status_code == 200, (path, got.status_code, got.text[:200])
            tag = {"If-None-Match": got.headers["etag"]}
            full = _ms(partial(c.get, path), args.repeat)
            held = _ms(partial(c.get, path, headers=tag), args.repeat)
            assert c.get(path, headers=tag).status_code == 304
            items = got.text.count("<entry>") + got.text.count("<item>")
            shown = re.sub(r"/for-you/[^.]+", "/for-you/TOKEN", path)
            sizes = f"{items} | {len(got.content):,}"
            print(f"| {shown} | {sizes} | {first_ms:.1f} | {full:.1f} | {held:.1f} |")


if __name__ == "__main__":
    main()
