"""Upgrading a large store across the migrations after 0026: seconds, rows touched, peak RSS.

Builds a store at revision 0026 holding --size papers (real titles, authors and categories of
`arxiv-daily-cs-listings` under fresh ids), then applies each later migration in a fresh process
(`paperfeed.store.db.migrate(engine, rev)`), as `paperfeed migrate` does, one revision at a time.
The real data holds no Chinese or Japanese names, so --cjk of the papers get a synthetic one
(half written with a space, "山田 太郎", half without, "山田太郎") for 0028 to re-key, and
--undated of them are harvested papers without a listing day for 0031 to fill. Users follow and
mute such authors; digest subscribers have sent digests in the outbox (0030 rebuilds it on
SQLite), each with the 4 papers it sent (--outbox: by default a quarter of --size, at most
50,000, so that any store size builds). Rows touched: the rows every INSERT, UPDATE and DELETE
of the migration reported.

    python bench/migrate.py --size 200000                      # SQLite
    python bench/migrate.py --size 200000 --backends postgres  # a throwaway PostgreSQL cluster
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import _CATEGORY, DEFAULT_DATA, fresh_id, load_listings  # noqa: E402

from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store.db import connect, migrate  # noqa: E402
from paperfeed.store.health import migration_heads, store_revisions  # noqa: E402
from paperfeed.store.papers import author_key  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORK = REPO / "bench" / "out" / "migrate"
START = "0026"
SURNAMES = ["山田", "王", "李", "佐藤", "張", "田中", "陳", "高橋"]
GIVEN = ["太郎", "伟", "娜", "花子", "敏", "さくら", "静", "健一"]
CJK_FIRST = {s[0] for s in SURNAMES}
CHUNK = 5000
OUTBOX_CAP = 50_000  # sent digests by default, fewer for a store under 200,000 papers
NOW = datetime(2026, 1, 5, 12, 0, 0)


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _t(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


PAPERS = _t(
    "papers", "id", "version", "title", "title_key", "abstract", "published", "source",
    "first_seen", "listing_date", "withdrawn", "hidden", "featured", "changed_at",
)  # fmt: skip
AUTHORS = _t("paper_authors", "paper_id", "position", "name", "name_key")
CATEGORIES = _t("paper_categories", "paper_id", "category", "position")
USERS = _t("users", "id", "username", "name_key", "password_hash", "is_admin", "created_at")
SUBSCRIBERS = _t(
    "digest_subscribers", "id", "email", "email_key", "status", "nonce", "frequency",
    "send_time", "timezone", "weekday", "skip_weekends", "max_papers", "include_trending",
    "created_at",
)  # fmt: skip
OUTBOX = _t(
    "digest_outbox", "subscriber_id", "kind", "period", "status", "recipient", "message_id",
    "message", "packed", "attempts", "next_attempt_at", "created_at", "sent_at",
)  # fmt: skip

SENT = _t("digest_sent_papers", "subscriber_id", "paper_id", "outbox_id")


def cjk_name(rng: random.Random) -> str:
    """A synthetic Chinese or Japanese name, with a space between its parts half the time."""
    sep = " " if rng.random() < 0.5 else ""
    return f"{rng.choice(SURNAMES)}{sep}{rng.choice(GIVEN)}"


def _old_key(name: str) -> str:
    """An author key as 0026's code wrote it: a CJK name's parts apart ("山田 太郎")."""
    return name if name[0] in CJK_FIRST and " " in name else author_key(name)


def paper_rows(
    args: argparse.Namespace, real: list[tuple[date, dict[str, object]]]
) -> Iterator[tuple[dict[str, object], list[dict[str, object]], list[dict[str, object]]]]:
    """Each synthetic paper: its row, its authors, its categories."""
    rng = random.Random(11)
    for n in range(args.size):
        day, r = real[n % len(real)]
        pid = fresh_id(n)
        published = datetime(day.year, day.month, day.day, 17, 0) - timedelta(days=1)
        undated = rng.random() < args.undated
        names = [str(a) for a in r["authors"]][:20]  # type: ignore[attr-defined]
        if rng.random() < args.cjk or not names:
            names = [cjk_name(rng), *names[:3]]
        title = str(r["title"])
        paper = {
            "id": pid, "version": 1, "title": title, "title_key": title.lower(),
            "abstract": str(r["summary"]), "published": published,
            "source": "oai" if undated else "snapshot", "first_seen": NOW,
            "listing_date": None if undated else day, "withdrawn": False, "hidden": False,
            "featured": False, "changed_at": NOW,
        }  # fmt: skip
        authors = [
            {"paper_id": pid, "position": i, "name": a, "name_key": _old_key(a)}
            for i, a in enumerate(names)
        ]
        listed = [str(c) for c in r["categories"]]  # type: ignore[attr-defined]
        kept = dict.fromkeys(c for c in listed if _CATEGORY.match(c))  # not ACM/MSC classes
        cats = [{"paper_id": pid, "category": c, "position": i} for i, c in enumerate(kept)]
        yield paper, authors, cats


def build(engine: sa.Engine, args: argparse.Namespace) -> None:
    """A store at 0026 with the papers, users, follows, mutes and sent digests."""
    migrate(engine, START)
    real = load_listings(args.data)
    rows = paper_rows(args, real)
    done = 0
    while done < args.size:
        chunk = [next(rows) for _ in range(min(CHUNK, args.size - done))]
        with engine.begin() as conn:
            conn.execute(PAPERS.insert(), [p for p, _, _ in chunk])
            conn.execute(AUTHORS.insert(), [a for _, authors, _ in chunk for a in authors])
            conn.execute(CATEGORIES.insert(), [c for _, _, cats in chunk for c in cats])
        done += len(chunk)
        if done % 50_000 == 0:
            log(f"  {done:,} papers")
    _people(engine, args)


def _people(engine: sa.Engine, args: argparse.Namespace) -> None:
    rng = random.Random(5)
    users = [
        {"id": i, "username": f"u{i}", "name_key": f"u{i}", "password_hash": "x",
         "is_admin": False, "created_at": NOW}
        for i in range(1, args.users + 1)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(USERS.insert(), users)
        for table in ("follows", "mutes"):
            t = _t(table, "user_id", "kind", "value", "label", "created_at")
            picks = [
                {"user_id": u["id"], "kind": "author", "value": _old_key(name), "label": name,
                 "created_at": NOW}
                for u in users
                for name in {cjk_name(rng) for _ in range(4)}
            ]  # fmt: skip
            conn.execute(t.insert(), picks)
    _outbox(engine, args, rng)


def _outbox(engine: sa.Engine, args: argparse.Namespace, rng: random.Random) -> None:
    subscribers = max(1, args.outbox // 50)
    with engine.begin() as conn:
        conn.execute(
            SUBSCRIBERS.insert(),
            [
                {"id": i, "email": f"s{i}@example.org", "email_key": f"s{i}@example.org",
                 "status": "confirmed", "nonce": "n", "frequency": "daily", "send_time": "08:00",
                 "timezone": "UTC", "weekday": 0, "skip_weekends": False, "max_papers": 20,
                 "include_trending": True, "created_at": NOW}
                for i in range(1, subscribers + 1)
            ],
        )  # fmt: skip
    for start in range(0, args.outbox, CHUNK):
        batch = [
            {"subscriber_id": n % subscribers + 1, "kind": "digest", "period": f"p{n}",
             "status": "sent", "recipient": "s@example.org", "message_id": f"<{n}@x>",
             "message": "", "packed": rng.randbytes(2000), "attempts": 1,
             "next_attempt_at": NOW, "created_at": NOW, "sent_at": NOW}
            for n in range(start, min(start + CHUNK, args.outbox))
        ]  # fmt: skip
        sent = [
            {"subscriber_id": n % subscribers + 1, "paper_id": fresh_id(n * 4 + k),
             "outbox_id": n + 1}
            for n in range(start, min(start + CHUNK, args.outbox))
            for k in range(4)
        ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(OUTBOX.insert(), batch)
            conn.execute(SENT.insert(), sent)


def step(to: str) -> None:
    """In this (fresh) process: apply migrations up to `to`, print seconds, rows, peak RSS."""
    engine = connect(Settings())
    touched = [0]

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and "alembic_version" not in statement:
            touched[0] += max(cursor.rowcount, 0)

    with engine.connect():  # the process as it starts: imports, a connection
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    migrate(engine, to)
    seconds = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": touched[0], "rss_mb": rss, "base_mb": base}))


def _later_revisions(engine: sa.Engine) -> list[str]:
    head = max(migration_heads())
    return [f"{n:04d}" for n in range(int(START) + 1, int(head) + 1)]


def run_backend(backend: str, args: argparse.Namespace, work: Path, url: str | None) -> None:
    """Build, then time each migration in its own process; print the table."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env["PAPERFEED_DATA_DIR"] = str(work)
    if url:
        env["PAPERFEED_DATABASE_URL"] = url
    os.environ.update(env)
    engine = connect(Settings())
    began = time.perf_counter()
    build(engine, args)
    log(f"{backend}: built at {store_revisions(engine)} in {time.perf_counter() - began:.0f} s")
    print(f"\n{backend}, {args.size:,} papers\n")
    print("| migration | seconds | rows touched | peak RSS (MB) | RSS at start (MB) |")
    print("|---|---:|---:|---:|---:|")
    total = 0.0
    for rev in _later_revisions(engine):
        command = [sys.executable, __file__, "step", rev]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        m = json.loads(result.stdout.strip().splitlines()[-1])
        total += m["seconds"]
        print(
            f"| {rev} | {m['seconds']:.1f} | {m['rows']:,} | {m['rss_mb']:.0f} "
            f"| {m['base_mb']:.0f} |",
            flush=True,
        )
    print(f"| all | {total:.1f} | | | |")
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM digest_sent_papers")).scalar()
    print(f"\ndigest_sent_papers rows after the upgrade: {kept:,} of {args.outbox * 4:,}")
    engine.dispose()


def main() -> None:
    """Parse the arguments and run each backend."""
    if len(sys.argv) == 3 and sys.argv[1] == "step":
        step(sys.argv[2])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=200_000, help="papers in the store")
    p.add_argument("--cjk", type=float, default=0.05, help="share with a CJK author")
    p.add_argument("--undated", type=float, default=0.05, help="share without a listing day")
    p.add_argument("--users", type=int, default=2000, help="users, each following 4 authors")
    p.add_argument(
        "--outbox",
        type=int,
        default=None,
        help="sent digests in the outbox, 4 sent papers each (default: a quarter of --size, "
        f"at most {OUTBOX_CAP:,}; no more than that, as each names 4 papers of the store)",
    )
    p.add_argument("--backends", default="sqlite", help="sqlite,postgres")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = p.parse_args()
    outbox = _outbox_setting(p, args)
    print(
        f"settings: size {args.size:,}, cjk {args.cjk}, undated {args.undated}, "
        f"users {args.users:,}, outbox {outbox}, backends {args.backends}"
    )
    for backend in args.backends.split(","):
        work = args.work / backend
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        url = _postgres(work) if backend == "postgres" else None
        try:
            run_backend(backend, args, work, url)
        finally:
            for cluster in _CLUSTERS:
                cluster.stop()
            _CLUSTERS.clear()


def _outbox_setting(p: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """Set --outbox to its default for this --size (the default of 50,000 needed 200,000
    papers: a smaller store failed on a foreign key); its printed setting."""
    if args.outbox is None:
        args.outbox = min(OUTBOX_CAP, args.size // 4)
        return f"{args.outbox:,} (default: a quarter of the papers, at most {OUTBOX_CAP:,})"
    if args.outbox > args.size // 4:
        p.error(f"--outbox {args.outbox:,} names {args.outbox * 4:,} sent papers: --size too small")
    return f"{args.outbox:,}"


def _postgres(work: Path) -> str:
    sys.path.insert(0, str(REPO))  # the tests' throwaway-cluster helper
    from ingest import create_pg_database

    from tests.pgcluster import start_cluster

    cluster = start_cluster()
    _CLUSTERS.append(cluster)  # stopped when the run ends
    return create_pg_database(cluster.url(), "bench_migrate")


_CLUSTERS: list[Any] = []

if __name__ == "__main__":
    main()
