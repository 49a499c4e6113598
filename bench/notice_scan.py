"""What each digest run's look for team-list notices to email costs on a big site.

Every digest run (every 60 s by default) lists the team-list notices of the last day not seen
yet (`store.team_notices.fresh_notices`). Builds a store holding --notifications notifications
(--recent of them of the last day, a tenth of all unseen, a third about a team list) for --users
users, then prints the query plan and the median time of the look, without the index of
migration 0046 and with it (PostgreSQL's statistics taken, as autovacuum does; SQLite's
left unmade, as paperfeed never runs ANALYZE: made, SQLite prefers reading the table in id
order to sorting what the index finds).

    python bench/notice_scan.py                        # SQLite
    python bench/notice_scan.py --backends postgres    # a throwaway PostgreSQL cluster
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from migrate import _postgres  # noqa: E402

from paperfeed.settings import Settings  # noqa: E402
from paperfeed.store.accounts import users  # noqa: E402
from paperfeed.store.community import notifications  # noqa: E402
from paperfeed.store.db import connect, migrate  # noqa: E402
from paperfeed.store.library import collections  # noqa: E402
from paperfeed.store.team_notices import fresh_notices  # noqa: E402

INDEX = "ix_notifications_unseen"
NOW = datetime.now(UTC).replace(tzinfo=None)


def build(engine: sa.Engine, args: argparse.Namespace) -> None:
    """Users, one list each, and the notifications (most seen, spread over a year)."""
    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(users.insert(), [_user(i) for i in range(1, args.users + 1)])
        conn.execute(collections.insert(), [_list(i) for i in range(1, args.users + 1)])
        rows = [_notice(rng, i < args.recent, args.users) for i in range(args.notifications)]
        for at in range(0, len(rows), 20_000):
            conn.execute(notifications.insert(), rows[at : at + 20_000])


def _user(i: int) -> dict[str, object]:
    return {"id": i, "username": f"u{i}", "name_key": f"u{i}", "password_hash": "x",
            "is_admin": False, "created_at": NOW}  # fmt: skip


def _list(i: int) -> dict[str, object]:
    return {"id": i, "user_id": i, "name": f"List {i}", "slug": f"list-{i}", "description": "",
            "visibility": "public", "share_key": f"k{i}", "created_at": NOW}  # fmt: skip


def _notice(rng: random.Random, recent: bool, people: int) -> dict[str, object]:
    age = timedelta(hours=rng.uniform(0, 24)) if recent else timedelta(days=rng.uniform(1, 365))
    team = rng.random() < 1 / 3
    owner = rng.randint(1, people)
    return {"user_id": rng.randint(1, people), "kind": "list_added" if team else "reply",
            "created_at": NOW - age, "seen": rng.random() > 0.1,
            "collection_id": owner if team else None, "actor_id": owner if team else None,
            "subject": "", "papers": 1}  # fmt: skip


def measure(engine: sa.Engine, repeat: int) -> tuple[str, float, int]:
    """The query's plan, its median milliseconds and how many notices it found."""
    since = NOW - timedelta(days=1)
    with engine.connect() as conn:
        plan = _plan(conn, since)
        times, found = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            found = len(fresh_notices(conn, since))
            times.append((time.perf_counter() - start) * 1000)
    return plan, statistics.median(times), found


def _plan(conn: sa.Connection, since: datetime) -> str:
    n = notifications.c
    query = (  # fresh_notices' query
        sa.select(n.id, n.kind, users.c.username)
        .select_from(notifications.outerjoin(users, users.c.id == n.actor_id))
        .where(n.collection_id.is_not(None), n.seen.is_(False), n.created_at >= since)
        .order_by(n.id)
    )
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    head = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    lines = [" ".join(str(c) for c in r) for r in conn.execute(sa.text(head + sql))]
    return " | ".join(line.strip() for line in lines)


def run(backend: str, args: argparse.Namespace, work: Path) -> list[tuple[str, ...]]:
    url = _postgres(work) if backend == "postgres" else None
    engine = connect(Settings(data_dir=work / backend, database_url=url))
    migrate(engine)
    build(engine, args)
    out = []
    for label in ("without the index (0045)", "with ix_notifications_unseen (0046)"):
        with engine.begin() as conn:
            if label.startswith("without"):
                conn.execute(sa.text(f"DROP INDEX {INDEX}"))
            else:
                conn.execute(sa.text(f"CREATE INDEX {INDEX} ON notifications (seen, created_at)"))
            if backend == "postgres":  # as autovacuum would; paperfeed never runs SQLite's
                conn.execute(sa.text("ANALYZE"))
        plan, ms, found = measure(engine, args.repeat)
        out.append((backend, label, f"{ms:.1f}", str(found), plan))
    engine.dispose()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--notifications", type=int, default=200_000, help="notifications stored")
    p.add_argument("--recent", type=int, default=2_000, help="of them made in the last day")
    p.add_argument("--users", type=int, default=5_000, help="users (each owns one list)")
    p.add_argument("--repeat", type=int, default=21, help="looks timed (the median shown)")
    p.add_argument("--backends", default="sqlite", help="sqlite,postgres")
    args = p.parse_args()
    print(f"settings: {vars(args)}")
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            rows += run(backend, args, Path(tmp))
    print("| backend | index | median ms | found | plan |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
