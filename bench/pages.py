"""Every page a reader reaches, at full demo scale, served with default settings and 2 workers.

The store is `bench/scale_web.py`'s (the 74,728 real papers of `arxiv-daily-cs-listings`, ingested
by the product, with vectors under the default MiniLM contract; run `bench/scale.py vectors --size
74728` first, see scale_web's docstring), plus a heavy reader: 2,000 saved papers in 20
collections (one public), 500 ratings, 30 follows, 20 mutes, an admin; 300 accounts; a paper with
1,500 comments (the heavy reader is notified of 200 of them) and upvotes from every account.

Each page is asked on one keep-alive connection: --warm times first (caches, models), then
--times more, timed; the table shows the median and the slowest, the status and size. With
--queries the same pages are also asked once more in-process (`create_app` with the same
settings) and the SQL statements of that warm request counted: a count that grows with the rows
shown is a query per row.

    python bench/pages.py --work bench/out/scale [--queries] [--record "note"]
    python bench/pages.py --database-url postgresql://... --only "paper page" ...   # PostgreSQL
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402
import scale_web  # noqa: E402
import search as sb  # noqa: E402

from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store import accounts, community, get_paper, library, open_store  # noqa: E402
from paperfeed.store.tables import papers  # noqa: E402

HEAVY = "heavy"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def populate(engine: Engine, seed: int = 5) -> dict[str, str]:
    """The heavy reader, 300 accounts and a long discussion, once; returns the names pages need."""
    with engine.begin() as conn:
        found = accounts.find_user(conn, HEAVY)
        if found is None:
            _fill(conn, random.Random(seed))
            found = accounts.find_user(conn, HEAVY)
        assert found is not None
        user = found[0]
        token = secrets.token_urlsafe(24)
        accounts.create_session(conn, user.id, token, 30)
        public = [c for c in library.user_collections(conn, user.id) if c.visibility == "public"]
        feed = library.new_feed_token(conn, user.id)
        most = select(community.comments.c.paper_id).group_by(community.comments.c.paper_id)
        discussed = conn.scalar(most.order_by(func.count().desc()).limit(1))
        days = sorted({str(d) for d in conn.scalars(select(papers.c.listing_date).distinct()) if d})
    return {
        "token": token, "feed": feed, "share": public[0].share_key, "paper": str(discussed),
        "collection": str(public[0].id), "day": days[-1], "user": HEAVY,
    }  # fmt: skip


def _fill(conn: Connection, rng: random.Random) -> None:
    ids = list(conn.scalars(select(papers.c.id).order_by(papers.c.id)))
    heavy = accounts.create_user(conn, HEAVY, "x")
    accounts.set_admin(conn, HEAVY, True)
    others = [accounts.create_user(conn, f"reader{n:03d}", "x") for n in range(299)]
    saved = rng.sample(ids, 2000)
    library.save_papers(conn, heavy.id, saved)
    for n in range(20):
        visibility = "public" if n == 0 else "private"
        coll = library.ensure_collection(conn, heavy.id, f"Topic {n}", visibility=visibility)
        library.add_many_to_collection(conn, coll.id, saved[n * 100 : (n + 1) * 100])
    for i, pid in enumerate(rng.sample(ids, 500)):
        library.set_rating(conn, heavy.id, pid, -1 if i % 5 == 0 else 1)
    authors = [a for pid in rng.sample(ids, 40) for a in _authors(conn, pid)[:1]]
    cats = [
        "cs.LG",
        "cs.CV",
        "cs.CL",
        "cs.AI",
        "cs.RO",
        "cs.CR",
        "cs.IR",
        "cs.SE",
        "cs.DB",
        "cs.HC",
    ]
    words = ["diffusion", "graph neural", "retrieval", "reinforcement", "federated", "quantum",
             "robot grasping", "speech", "compiler", "privacy"]  # fmt: skip
    for kind, values in (("author", authors[:10]), ("category", cats), ("search", words)):
        for v in values:
            library.add_interest(conn, heavy.id, "follow", kind, v, v)
    mutes = [("keyword", w) for w in ("survey", "benchmark", "llm", "agent", "medical", "3d")]
    mutes += [("author", a) for a in authors[10:18]] + [("category", c) for c in
              ("math.OC", "eess.SP", "q-bio.NC", "physics.optics", "cs.GT", "cs.MA")]  # fmt: skip
    for kind, v in mutes:
        library.add_interest(conn, heavy.id, "mute", kind, v, v)
    discussed = ids[len(ids) // 2]
    everyone = [heavy, *others]
    top: list[int] = []
    for n in range(1500):
        parent = rng.choice(top) if top and n % 3 else None
        who = everyone[n % len(everyone)]
        cid = community.add_comment(conn, discussed, who.id, f"Comment {n}: *why* {n}?", parent)
        if parent is None:
            top.append(cid)
        if n % 7 == 0 and who.id != heavy.id:
            community.notify(conn, [heavy.id], cid, "reply")
    for u in everyone:
        for pid in rng.sample(ids[-3000:], 5) + [discussed]:
            accounts.set_vote(conn, u.id, pid, True)


def _authors(conn: Connection, paper_id: str) -> list[str]:
    paper = get_paper(conn, paper_id)
    return list(paper.authors) if paper else []


def pages(n: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(name, path, signed in) of every page a reader reaches."""
    day, week = n["day"], datetime.fromisoformat(n["day"]).strftime("%G-W%V")
    pid, share, coll = n["paper"], n["share"], n["collection"]
    anon = [
        ("home (anonymous)", "/", False), ("daily", "/daily", False),
        ("day", f"/papers/date/{day}", False), ("week", f"/papers/week/{week}", False),
        ("month", f"/papers/month/{day[:7]}", False), ("trending", "/trending", False),
        ("paper page (1,500 comments)", f"/papers/{pid}", False),
        ("similar (API)", f"/api/papers/{pid}/similar", False),
        ("search keyword", "/search?q=graph+neural+network&mode=keyword", False),
        ("search semantic", "/search?q=robots+that+learn+to+grasp&mode=semantic", False),
        ("search hybrid", "/search?q=diffusion+models+for+video&mode=hybrid", False),
        ("public collection", f"/c/{share}", False), ("collections", "/collections", False),
        ("profile", f"/users/{n['user']}", False), ("discussions", "/discussions", False),
        ("author page", "/authors/yann-lecun", False), ("category", "/categories/cs.LG", False),
        ("feed daily (Atom)", "/feeds/daily.atom", False),
        ("feed trending (RSS)", "/feeds/trending.rss", False),
        ("feed comments", f"/feeds/papers/{pid}/comments.atom", False),
        ("feed collection", f"/c/{share}/feed.atom", False),
        ("feed For you", f"/feeds/for-you/{n['feed']}.atom", False),
        ("API daily", "/api/daily_papers?limit=50", False),
        ("API trending", "/api/trending?limit=50", False),
        ("API paper", f"/api/papers/{pid}", False),
        ("API comments", f"/api/papers/{pid}/comments", False),
        ("API search", "/api/papers/search?q=transformer&limit=20", False),
        ("BibTeX of a paper", f"/papers/{pid}/bibtex", False),
    ]  # fmt: skip
    signed = [
        ("home (For you)", "/", True), ("For you", "/for-you", True),
        ("For you learned", "/for-you/learned", True),
        ("paper page, signed in", f"/papers/{pid}", True),
        ("day, signed in (mutes)", f"/papers/date/{day}", True),
        ("library", "/library", True), ("library page 5", "/library?page=5", True),
        ("a collection", f"/library?collection={coll}", True),
        ("notifications", "/notifications", True), ("account", "/account", True),
        ("settings profile", "/settings/profile", True),
        ("admin", "/admin", True), ("admin community", "/admin/community", True),
        ("API me library", "/api/me/library?limit=100", True),
        ("API me collections", "/api/me/collections", True),
        ("API me ratings", "/api/me/ratings", True), ("API me follows", "/api/me/follows", True),
        ("API me mutes", "/api/me/mutes", True), ("API me feed", "/api/me/feed", True),
        ("export BibTeX", "/library/export.bib", True), ("export RIS", "/library/export.ris", True),
    ]  # fmt: skip
    return anon + signed


def time_pages(
    port: int, plan: Sequence[tuple[str, str, bool]], token: str, warm: int, times: int
) -> list[dict[str, object]]:
    """Each page on its own keep-alive connection: warm-ups, then timed requests."""
    rows = []
    for name, path, signed in plan:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Cookie": f"pf_session={token}"} if signed else {}
        took, status, size = [], 0, 0
        for i in range(warm + times):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if i >= warm:
                took.append(1000 * (time.perf_counter() - start))
            status, size = resp.status, len(body)
            if status != 200:  # a page not served is no figure (a redirect to sign in, a 404)
                raise SystemExit(f"{name}: {path} answered {status}")
        conn.close()
        rows.append({"page": name, "path": path, "status": status, "kb": size / 1024,
                     "p50": statistics.median(took), "max": max(took)})  # fmt: skip
        scale.log(f"{name}: {rows[-1]['p50']:.1f} ms, status {status}")
    return rows


def count_queries(
    settings: Settings, plan: Sequence[tuple[str, str, bool]], token: str
) -> dict[str, int]:
    """SQL statements of a warm in-process request to each page."""
    from fastapi.testclient import TestClient

    from paperfeed.web.app import create_app

    counts, statements = {}, [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    with TestClient(create_app(settings)) as client:
        for name, path, signed in plan:
            cookies = {"pf_session": token} if signed else {}
            client.cookies.clear()
            client.cookies.update(cookies)
            client.get(path)
            statements[0] = 0
            event.listen(Engine, "before_cursor_execute", count)
            try:
                client.get(path)
            finally:
                event.remove(Engine, "before_cursor_execute", count)
            counts[name] = statements[0]
    return counts


@contextmanager
def served(settings: Settings, workers: int) -> Iterator[int]:
    """`paperfeed serve` with default settings (but the data folder and database)."""
    if settings.database_url:  # scale_web's server is given the data folder alone
        os.environ["PAPERFEED_DATABASE_URL"] = settings.database_url
    with scale_web.serve(settings, workers) as (port, _proc):
        yield port


def table(rows: list[dict[str, object]], counts: dict[str, int]) -> str:
    """The results as a Markdown table."""
    out = ["| page | status | KB | p50 ms | max ms | SQL statements |", "|---|---|---|---|---|---|"]
    for r in rows:
        q = counts.get(str(r["page"]), "")
        out.append(f"| {r['page']} | {r['status']} | {r['kb']:.0f} | {r['p50']:.1f} | "
                   f"{r['max']:.1f} | {q} |")  # fmt: skip
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare (once), serve, time every page, print and optionally record."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=sb.DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=scale.DEFAULT_WORK)
    p.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--warm", type=int, default=3)
    p.add_argument("--times", type=int, default=7)
    p.add_argument("--only", nargs="*", default=None, help="page names")
    p.add_argument("--queries", action="store_true", help="also count SQL statements per page")
    p.add_argument("--record", default=None, help="append a dated section with this title")
    args = p.parse_args(argv)
    if args.database_url is None:
        scale_web.main(["--prepare-only", "--work", str(args.work), "--data-dir",
                        str(args.data_dir)])  # fmt: skip
    settings = Settings(
        data_dir=args.work / ("web" if args.database_url is None else "web-pg"),
        database_url=args.database_url,
        _env_file=None,
    )
    engine = open_store(settings)
    names = populate(engine)
    engine.dispose()
    if args.database_url is not None:  # (`paperfeed migrate-store --to URL` of the SQLite store)
        _prepare_indexes(settings)
    plan = [x for x in pages(names) if not args.only or x[0] in args.only]
    load = scale.loadavg()
    with served(settings, args.workers) as port:
        rows = time_pages(port, plan, names["token"], args.warm, args.times)
    counts = count_queries(settings, plan, names["token"]) if args.queries else {}
    db = "PostgreSQL" if args.database_url else "SQLite"
    head = (f"Settings: defaults (embed_model={settings.embed_model}, vector_index="
            f"{settings.vector_index}), {db}, `serve --workers {args.workers}`; "
            f"{args.warm} warm-up + {args.times} timed requests per page, one keep-alive "
            f"connection; load 1-min before {load}, after {scale.loadavg()}.")  # fmt: skip
    print(head)
    print(table(rows, counts))
    if args.record:
        machine = f"{platform.machine()}, {platform.python_version()}, {_cpus()}"
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        section = f"\n## {args.record} ({when})\n\nMachine: {machine}. {head}\n\n"
        with RESULTS.open("a") as f:
            f.write(section + table(rows, counts) + "\n")
    return 0


def _prepare_indexes(settings: Settings) -> None:
    """This store's search indexes and For you's keyword features, as a running site has them."""
    from paperfeed.search import SearchService

    service = SearchService(settings, open_store(settings))
    service.refresh()
    service.close()
    scale_web.keep_vocabulary(settings)


def _cpus() -> str:
    return f"{os.cpu_count()} CPUs"


if __name__ == "__main__":
    sys.exit(main())
