"""The digest run's lease between processes in containers: each in its own pid namespace, with
one host name (host networking), so both are pid 1. Real namespaces (`unshare`), real stores."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from paperfeed.digest.schedule import LOCK
from paperfeed.settings import Settings
from paperfeed.store import jobs as jobs_db
from paperfeed.store.digest_tables import locks
from paperfeed.util import utcnow

# Holds the lease as a run does, until its stdin closes or it is killed.
HOLDER = """
import os, socket, sys
from paperfeed.digest.schedule import run_lease
from paperfeed.settings import Settings
from paperfeed.store import open_store
settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, _env_file=None)
with run_lease(open_store(settings)) as lease:
    print(socket.gethostname(), os.getpid(), "held" if lease else "busy", flush=True)
    sys.stdin.readline()
"""
# One digest run, as a node's scheduler starts it.
CONTENDER = """
import os, socket, sys
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store import open_store
settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, _env_file=None)
report = run_due(open_store(settings), settings, make_mailer(settings))
print(socket.gethostname(), os.getpid(), "busy" if report.busy else "ran", flush=True)
"""


def _container() -> list[str]:
    """A command prefix that runs a program as pid 1 of a new pid namespace (as a container
    does), keeping the host name; the test is skipped where the kernel allows none."""
    unshare = shutil.which("unshare")
    prefix = [unshare or "unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"]
    if unshare is None or subprocess.run([*prefix, "true"], capture_output=True).returncode:
        pytest.skip("no unprivileged pid namespaces here (unshare)")
    return prefix


def _start(prefix: list[str], script: str, settings: Settings) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", script, str(settings.data_dir), settings.database_url or ""]
    return subprocess.Popen(
        [*prefix, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: kill -9 reaches the namespace's pid 1
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")},
    )


def _contend(prefix: list[str], settings: Settings) -> list[str]:
    proc = _start(prefix, CONTENDER, settings)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out.split()


def _hold(prefix: list[str], settings: Settings) -> tuple[subprocess.Popen[str], list[str]]:
    proc = _start(prefix, HOLDER, settings)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()


def _kill(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _until_released(engine: Engine) -> None:
    """PostgreSQL ends a killed client's session (and its locks) on its own, soon after."""
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while jobs_db.lock_taken(conn, LOCK):
            assert time.monotonic() < deadline, "the server kept the killed holder's lock"
            time.sleep(0.05)
            conn.rollback()


def test_two_containers_of_one_host_name_both_pid_1_never_share_the_run(
    settings: Settings, engine: Engine
) -> None:
    prefix = _container()
    holder, said = _hold(prefix, settings)
    try:
        host, pid, state = said
        assert state == "held" and pid == "1"
        # Same host name, same pid, a live holder: the other node waits.
        assert _contend(prefix, settings) == [host, "1", "busy"]
        assert _contend(prefix, settings)[2] == "busy"
    finally:
        _kill(holder)
    if engine.dialect.name == "postgresql":
        # The advisory lock went with the killed process's session: the next run goes ahead.
        _until_released(engine)
        assert _contend(prefix, settings) == [host, "1", "ran"]
        return
    # SQLite: nothing tells a process in another namespace that the holder died; its lease
    # holds until it expires (10 minutes without renewal), then the next run takes it.
    assert _contend(prefix, settings)[2] == "busy"
    with engine.begin() as conn:
        past = utcnow() - timedelta(seconds=1)
        conn.execute(update(locks).where(locks.c.name == LOCK).values(expires_at=past))
    assert _contend(prefix, settings)[2] == "ran"


def test_a_killed_holder_in_the_same_namespace_frees_the_run_at_once(
    settings: Settings, engine: Engine
) -> None:
    holder, said = _hold([], settings)
    try:
        assert said[2] == "held"
        assert _contend([], settings)[2] == "busy"
    finally:
        _kill(holder)
    if engine.dialect.name == "postgresql":
        _until_released(engine)
    assert _contend([], settings)[2] == "ran"  # SQLite: its pid is gone, which we can see


def test_a_holder_is_named_with_its_process_space() -> None:
    place, pid = jobs_db.node_name().split(":")
    assert pid == str(os.getpid()) and place.partition("/")[2] == jobs_db.process_space()
    assert not jobs_db.holder_is_dead(f"{place}:{os.getpid()}:x")
    assert not jobs_db.holder_is_dead(f"{place.partition('/')[0]}/00000000:999999999:x")
