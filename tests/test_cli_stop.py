"""A long command stopped by SIGTERM (systemd, `docker stop`) or Ctrl-C ends at once with one
line saying what is kept and to run it again; the rerun resumes. Real processes, real stores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from paperfeed.cli_support import Stopped, progress_lines
from paperfeed.ingest.jobs import demo_files
from paperfeed.settings import Settings
from paperfeed.store.search_store import paper_vectors
from paperfeed.store.tables import checkpoints, papers
from paperfeed.util import stop_now
from tests.test_ingest_kill import _count, _make_snapshot


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PAPERFEED_DATA_DIR=str(settings.data_dir), **extra)
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _term_when(proc: subprocess.Popen[str], ready) -> str:  # type: ignore[no-untyped-def]
    """SIGTERM the process once `ready()` holds; its stderr, after it ended."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.02)
    assert proc.poll() is None, "it ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    # A hang guard, not a timing: a write waiting on SQLite's lock (its busy timeout is 60 s)
    # takes the signal only once that wait ends.
    _, stderr = proc.communicate(timeout=180)
    return stderr


def test_sigterm_mid_import_says_so_and_the_rerun_resumes(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "snapshot.json"
    total = _make_snapshot(path)
    env = _env(settings, PAPERFEED_BATCH_SIZE="250", PAPERFEED_BULK_INGEST_BYTES=str(10**12))
    cmd = [sys.executable, "-m", "paperfeed", "ingest", "snapshot", str(path), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr = _term_when(
        proc, lambda: _count(engine, checkpoints) and _count(engine, papers) >= 1000
    )
    assert proc.returncode == 143, stderr
    assert "ingest: stopped (SIGTERM); what it finished is kept" in stderr
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    done = _count(engine, papers)
    assert 0 < done < total and _count(engine, checkpoints) == 1

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    report = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert report["read"] < total and report["skipped"] == 0  # resumed, not restarted
    assert _count(engine, papers) == total and _count(engine, checkpoints) == 0


def test_sigterm_mid_embed_keeps_the_vectors_made_and_the_rerun_makes_the_rest(
    settings: Settings, engine: Engine
) -> None:
    env = _env(settings, PAPERFEED_EMBED_MODEL="minilm")
    listing = sorted(demo_files()[0])[-1]
    subprocess.run(
        [sys.executable, "-m", "paperfeed", "ingest", "listing", str(listing)],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    total = _count(engine, papers)
    cmd = [sys.executable, "-m", "paperfeed", "embed"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr = _term_when(proc, lambda: _count(engine, paper_vectors) > 0)
    assert proc.returncode == 143, stderr
    assert "embed: stopped (SIGTERM); what it finished is kept" in stderr
    assert "Traceback" not in stderr
    kept = _count(engine, paper_vectors)
    assert 0 < kept < total

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert f"embedded {total - kept:,} papers" in rerun.stdout
    assert _count(engine, paper_vectors) == total


def test_progress_lines_for_a_log_come_at_most_once_per_interval() -> None:
    now = [0.0]
    said: list[str] = []
    report = progress_lines("embed", "papers", every=30, clock=lambda: now[0], say=said.append)
    for second, done in ((10, 256), (31, 512), (40, 768), (62, 1024)):
        now[0] = second
        report(done, 4096)
    assert said == ["embed: 512 of 4,096 papers (12 %)", "embed: 1,024 of 4,096 papers (25 %)"]
    records = progress_lines(
        "ingest listing", "records", every=30, clock=lambda: now[0], say=said.append
    )
    now[0] = 100
    records(120_000, None)
    assert said[-1] == "ingest listing: 120,000 records"


def test_a_stop_during_the_pools_liveness_check_waits_for_its_end(
    settings: Settings, engine: Engine
) -> None:
    """CI once saw `paperfeed embed` on PostgreSQL end with "the store cannot be used: can't
    change 'autocommit' now: connection in transaction status ACTIVE" (exit 1) instead of its
    stop line: SIGTERM landed in SQLAlchemy's check that a pooled connection is alive (run on
    every checkout), cut its statement, and the check's clean-up failed. The check now runs
    whole and the stop is raised as it ends. Here the check is made slow (it sleeps, then
    sends a notification that only a finished statement sends), and the stop is sent once the
    server shows its statement running."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the liveness check (pre-ping) is PostgreSQL's")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # a pooled connection, checked at the next checkout
    dsn = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    listener = psycopg.connect(dsn, autocommit=True)
    listener.execute("LISTEN pinged")
    dialect = engine.dialect
    dialect._dialect_specific_select_one = (  # type: ignore[attr-defined]
        "SELECT pg_notify('pinged', 'whole') FROM pg_sleep(2)"
    )
    before = signal.signal(signal.SIGALRM, lambda _s, _f: stop_now(Stopped()))
    sender = threading.Thread(target=_signal_when_running, args=(dsn, "pg_notify('pinged'"))
    sender.start()
    try:
        with pytest.raises(Stopped), engine.connect():
            pass
    finally:
        sender.join()
        signal.signal(signal.SIGALRM, before)
        dialect._dialect_specific_select_one = "SELECT 1"  # type: ignore[attr-defined]
    heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    listener.close()
    assert heard == ["whole"]  # the check's statement ran to its end, not cancelled midway
    with engine.connect() as conn:  # and the pool goes on
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def _signal_when_running(dsn: str, statement: str) -> None:
    """SIGALRM this process once the server runs a statement holding `statement`."""
    running = (
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND pid <> pg_backend_pid() AND strpos(query, %s) > 0"
    )
    with psycopg.connect(dsn, autocommit=True) as watcher:
        deadline = time.monotonic() + 60  # a hang guard, not a timing
        while time.monotonic() < deadline:
            row = watcher.execute(running, (statement,)).fetchone()
            if row and row[0]:
                os.kill(os.getpid(), signal.SIGALRM)
                return
            time.sleep(0.01)
