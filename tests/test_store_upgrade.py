"""Upgrading a store across several migrations: each is committed on its own, so an upgrade
killed part-way keeps what it finished, and a second process opening the store meanwhile waits
for the first (saying so) instead of applying the same migration again and failing.

Both run real `paperfeed` processes against a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, select, text

from paperfeed.settings import Settings
from paperfeed.store import connect, migrate
from paperfeed.store.db import WAITING
from paperfeed.store.health import migration_heads, store_revisions
from paperfeed.store.library import follows
from paperfeed.store.tables import paper_authors, papers

START = "0026"  # a store as the release before these migrations left it
NOW = datetime(2026, 1, 5, 12, 0)

# Migrates the store the environment names; at migration REV it stops: "kill" kills the process
# (as `kill -9` would), "pause" says so on stdout and waits for a line on stdin.
CHILD = """
import os, signal, sys
from paperfeed.settings import Settings
from paperfeed.store import connect, migrate
rev, how = sys.argv[1], sys.argv[2]
def applied(revision, title, seconds):
    if revision != rev:
        return
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    print("at", revision, flush=True)
    sys.stdin.readline()
migrate(connect(Settings()), applied=applied)
print("done", flush=True)
"""

# What the site and every command do first: open the store.
OPEN = """
from paperfeed.settings import Settings
from paperfeed.store import open_store
open_store(Settings()).dispose()
print("opened")
"""


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env["PAPERFEED_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _child(settings: Settings, rev: str, how: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, rev, how],
        env=_env(settings),
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _store_at_start(settings: Settings) -> Engine:
    """A store at 0026 with work for 0028 (a CJK name written with a space, follows of it both
    ways) and for 0031 (a harvested paper without a listing day)."""
    engine = connect(settings)
    migrate(engine, START)
    paper = {"version": 1, "abstract": "An abstract.", "first_seen": NOW, "withdrawn": False,
             "hidden": False, "featured": False, "changed_at": NOW}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            papers.insert(),
            [
                {**paper, "id": "2401.00001", "title": "A", "title_key": "a", "source": "oai",
                 "published": datetime(2024, 1, 2, 10), "listing_date": None},
                {**paper, "id": "2401.00002", "title": "B", "title_key": "b", "source": "oai",
                 "published": datetime(2024, 1, 2, 10), "listing_date": date(2024, 1, 3)},
            ],
        )  # fmt: skip
        conn.execute(
            paper_authors.insert(),
            [
                {
                    "paper_id": "2401.00001",
                    "position": 0,
                    "name": "山田 太郎",
                    "name_key": "山田 太郎",
                }
            ],
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, name_key, password_hash, is_admin, created_at)"
                " VALUES (1, 'ada', 'ada', 'x', false, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            follows.insert(),
            [
                {"user_id": 1, "kind": "author", "value": v, "label": v, "created_at": NOW}
                for v in ("山田 太郎", "山田太郎")
            ],
        )
    return engine


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines as they come ("" at its end), read by a thread."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_an_upgrade_killed_part_way_keeps_the_migrations_it_finished(
    settings: Settings, tmp_path: Path
) -> None:
    engine = _store_at_start(settings)
    killed = _child(settings, "0029", "kill", tmp_path)
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    # 0027 and 0028 were committed as each ended; 0029 was under way and is not
    assert store_revisions(engine) == {"0028"}
    with engine.connect() as conn:
        assert conn.execute(select(paper_authors.c.name_key)).scalar_one() == "山田太郎"
        assert conn.execute(select(follows.c.value)).scalars().all() == ["山田太郎"]

    migrate(engine)  # the re-run finishes the rest, once
    migrate(engine)
    assert store_revisions(engine) == migration_heads()
    with engine.connect() as conn:
        assert conn.execute(select(follows.c.value)).scalars().all() == ["山田太郎"]
        assert conn.execute(select(paper_authors.c.name_key)).scalars().all() == ["山田太郎"]
        days = {pid: day for pid, day in conn.execute(select(papers.c.id, papers.c.listing_date))}
    assert days["2401.00001"] is not None
    engine.dispose()


def test_a_process_opening_the_store_while_another_upgrades_it_waits_and_says_so(
    settings: Settings, tmp_path: Path
) -> None:
    engine = _store_at_start(settings)
    first = _child(settings, "0027", "pause", tmp_path)
    assert first.stdout is not None and first.stdin is not None
    said = _lines(first.stdout)
    assert said.get(timeout=300) == "at 0027\n"  # the first is applying 0027, in its transaction

    env = {**_env(settings), "PAPERFEED_SQLITE_BUSY_SECONDS": "1"}
    second = subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "migrate"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert second.stderr is not None
    warned = _lines(second.stderr)
    try:
        assert warned.get(timeout=300).strip() == WAITING
    finally:
        first.stdin.write("\n")
        first.stdin.flush()
    assert said.get(timeout=300) == "done\n"
    assert first.wait(timeout=300) == 0
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, list(warned.queue)
    assert warned.get(timeout=300) == ""  # no other complaint, no traceback
    assert "migrated the store from 0026 to" in out
    assert store_revisions(engine) == migration_heads()
    engine.dispose()


def test_an_up_to_date_store_opens_without_waiting_for_the_upgrade_lock(
    settings: Settings, tmp_path: Path
) -> None:
    from paperfeed.store.db import upgrade_lock

    engine = connect(settings)
    migrate(engine)
    with upgrade_lock(engine):  # held by someone else: a store at the head needs no upgrade
        done = subprocess.run(
            [sys.executable, "-c", OPEN],
            env=_env(settings),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,  # it would wait for the lock for ever
        )
    assert done.returncode == 0, done.stderr
    assert WAITING not in done.stderr
    assert done.stdout == "opened\n"
    engine.dispose()


def test_paperfeed_migrate_names_each_migration_it_applies(
    settings: Settings, tmp_path: Path
) -> None:
    _store_at_start(settings).dispose()
    done = subprocess.run(
        [sys.executable, "-m", "paperfeed", "migrate"],
        env=_env(settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    applied = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("applied")]
    assert applied == [f"{n:04d}" for n in range(int(START) + 1, int(max(migration_heads())) + 1)]
    title = "One author for a Chinese or Japanese name written with a space and without one"
    assert f"applied 0028 ({title}) in " in done.stdout
    begun = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("applying")]
    assert begun == applied  # each also as it begins, on stderr
    assert f"applying 0028 ({title}) ...\n" in done.stderr


def test_0030_keeps_the_record_of_the_papers_each_digest_sent(settings: Settings) -> None:
    # On SQLite 0030 rebuilds digest_outbox; dropping the old table deleted, by cascade, every
    # digest_sent_papers row naming one of its messages, so digests could send them again.
    engine = _store_at_start(settings)
    migrate(engine, "0029")
    row = {"now": NOW}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO digest_subscribers (id, email, email_key, status, nonce, frequency,"
                " send_time, timezone, weekday, skip_weekends, max_papers, include_trending,"
                " created_at) VALUES (1, 'a@example.org', 'a@example.org', 'confirmed', 'n',"
                " 'daily', '08:00', 'UTC', 0, false, 10, true, :now)"
            ),
            row,
        )
        conn.execute(
            text(
                "INSERT INTO digest_outbox (id, subscriber_id, kind, period, status, recipient,"
                " message_id, message, attempts, next_attempt_at, created_at) VALUES (1, 1,"
                " 'digest', '2024-01-03', 'sent', 'a@example.org', '<m@x>', 'x', 1, :now, :now)"
            ),
            row,
        )
        conn.execute(
            text(
                "INSERT INTO digest_sent_papers (subscriber_id, paper_id, outbox_id)"
                " VALUES (1, '2401.00002', 1)"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        sent = conn.execute(text("SELECT paper_id, outbox_id FROM digest_sent_papers")).all()
        assert [tuple(r) for r in sent] == [("2401.00002", 1)]
        if engine.dialect.name == "sqlite":  # back on for the site's connections
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with engine.begin() as conn:  # and still enforced: deleting the message forgets its papers
        conn.execute(text("DELETE FROM digest_outbox WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM digest_sent_papers")).scalar() == 0
    engine.dispose()
