"""SIGKILL the web server while 50 clients vote, comment, save and subscribe: nothing acked is lost.

The server is the real `paperfeed serve` process on a real SQLite file; clients are threads
sending real HTTP requests. After the kill and a restart, every acknowledged write is in the
store exactly once, nothing is doubled, and SQLite's integrity check passes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, text

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import users, votes
from paperfeed.store.community import comments
from paperfeed.store.digest_tables import subscribers
from paperfeed.store.library import library_items
from paperfeed.web.auth import sign_up
from tests.web_support import DAYS, fill_store, on_day

pytestmark = pytest.mark.slow
CLIENTS = 50
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    env["PAPERFEED_EMBED_MODEL"] = "static"
    for limit in ("AUTH_RATE_LIMIT", "COMMENT_RATE_LIMIT", "NEW_ACCOUNT_COMMENT_LIMIT"):
        env[f"PAPERFEED_{limit}"] = "100000"  # 50 clients from one address, writing fast
    cmd = [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--no-digests"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/about", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _token(base: str, name: str) -> str:
    answer = httpx.post(f"{base}/api/login", json={"username": name, "password": PASSWORD})
    return str(answer.json()["token"])


def _client_loop(
    base: str,
    token: str,
    pids: list[str],
    n: int,
    stop: threading.Event,
    acked: list[tuple[str, str]],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
        i = 0
        while not stop.is_set():
            pid = pids[(n + i) % len(pids)]
            try:
                if i % 4 == 1:
                    r = http.post(f"/api/papers/{pid}/upvote")
                    if r.status_code == 200:
                        acked.append(("vote", f"user{n:02d}:{pid}"))
                elif i % 4 == 2:
                    r = http.post("/api/me/library", json={"paper_id": pid})
                    if r.status_code == 201:
                        acked.append(("save", f"user{n:02d}:{pid}"))
                elif i % 4 == 3:
                    email = f"reader{n}-{i}@example.org"
                    r = http.post("/api/subscribe", json={"email": email})
                    if r.status_code == 202:  # the per-client hourly limit answers 429 later
                        acked.append(("subscribe", email))
                else:
                    body = f"client {n} note {i}"
                    r = http.post(f"/api/papers/{pid}/comments", json={"body": body})
                    if r.status_code == 201:
                        acked.append(("comment", body))
            except httpx.HTTPError:
                pass  # the server is gone: this write was not acknowledged
            i += 1


def test_kill_during_writes_loses_nothing_acknowledged(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = sqlite_settings.model_copy(update={"embed_model": "static"})
    engine: Engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pids = sorted(on_day(engine, DAYS[1]))
    names = [f"user{n:02d}" for n in range(CLIENTS)]
    for name in names:
        sign_up(engine, name, PASSWORD)
    engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    acked: list[tuple[str, str]] = []
    with _server(settings, port) as proc:
        tokens = [_token(base, name) for name in names]
        stop = threading.Event()
        threads = [
            threading.Thread(target=_client_loop, args=(base, t, pids, n, stop, acked))
            for n, t in enumerate(tokens)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
    assert len(acked) >= 50, "too few writes were acknowledged to test anything"
    with _server(settings, port):  # restarts on the same store
        engine = open_store(settings)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            stored = [row[0] for row in conn.execute(select(comments.c.body))]
            who = {int(i): str(u) for i, u in conn.execute(select(users.c.id, users.c.username))}
            vote_rows = [
                f"{who[u]}:{p}" for u, p in conn.execute(select(votes.c.user_id, votes.c.paper_id))
            ]
            saved = [
                f"{who[u]}:{p}"
                for u, p in conn.execute(select(library_items.c.user_id, library_items.c.paper_id))
            ]
            subscribed = [str(e) for (e,) in conn.execute(select(subscribers.c.email))]
        engine.dispose()
    said = [body for kind, body in acked if kind == "comment"]
    assert set(said) <= set(stored)  # every acknowledged comment survived
    assert len(stored) == len(set(stored))  # none doubled
    for kind, rows in (("vote", vote_rows), ("save", saved), ("subscribe", subscribed)):
        said_kind = {key for k, key in acked if k == kind}
        assert said_kind, f"no {kind} was acknowledged before the kill"
        assert said_kind <= set(rows), f"an acknowledged {kind} was lost"
        assert len(rows) == len(set(rows)), f"a {kind} was stored twice"
