"""SIGHUP to `paperfeed serve` (what `systemctl reload` sends): with several workers they are
restarted one at a time while the site goes on answering; a single process says it has nothing
to reload and goes on serving (it used to end without a word)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paperfeed.settings import Settings
from tests.digest_support import free_port
from tests.workers_support import children, server_pid, serving

pytestmark = [pytest.mark.slow]


def _health(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


def _until(check: Callable[[], bool], message: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def test_sighup_restarts_the_workers_one_by_one_without_dropping_requests(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    with serving(sqlite_settings, tmp_path) as (a, _b):
        port, supervisor = a.conn.port, server_pid(a.conn)
        before = {p for p in children(supervisor) if _is_worker(p)}
        assert len(before) == 2
        os.kill(supervisor, signal.SIGHUP)
        answers: list[int] = []

        def replaced() -> bool:
            answers.append(_health(port))
            now = {p for p in children(supervisor) if _is_worker(p)}
            return len(now) == 2 and not now & before

        _until(replaced, "the workers were not restarted")
        assert set(answers) == {200}, answers


def _is_worker(pid: int) -> bool:
    try:
        return "multiprocessing-fork" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def test_sighup_to_a_single_process_is_said_and_serving_goes_on(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")} | {
        "PAPERFEED_DATA_DIR": str(sqlite_settings.data_dir),
        "PAPERFEED_SECRET_KEY": "k" * 40,
        "PAPERFEED_EMBED_MODEL": "static",
        "PYTHONPATH": str(Path(__file__).parent.parent / "src"),
    }
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--no-jobs"]
    with log.open("wb") as out:
        proc = subprocess.Popen([*cmd, "--no-digests"], env=env, stderr=out)
    try:
        _until(lambda: _up(port, proc), "serve did not come up")
        proc.send_signal(signal.SIGHUP)
        _until(lambda: "SIGHUP" in log.read_text() or proc.poll() is not None, "no word")
        assert proc.poll() is None, log.read_text()[-2000:]
        assert "one worker has nothing to reload" in log.read_text()
        assert _health(port) == 200
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _up(port: int, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "serve exited"
    try:
        return _health(port) == 200
    except OSError:
        return False
