"""Real `paperfeed serve --workers 2` processes, and a keep-alive connection held to each of its
workers (which worker holds a connection is read from /proc: Linux only)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from paperfeed.settings import Settings
from tests.digest_support import free_port


@dataclass
class Worker:
    """A keep-alive connection known to be served by one worker process."""

    pid: int
    conn: http.client.HTTPConnection
    cookies: dict[str, str] = field(default_factory=dict)

    def ask(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body or None, headers=sent)
        answer = self.conn.getresponse()
        text = answer.read().decode()
        for value in answer.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        # The answer came over the connection this worker holds (not a new one elsewhere).
        assert _worker_of(self.conn) == self.pid
        return answer.status, text


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _worker_of(conn: http.client.HTTPConnection) -> int | None:
    """The process holding the server's end of this connection (from /proc/net/tcp)."""
    assert conn.sock is not None
    ours, theirs = conn.sock.getsockname()[1], conn.sock.getpeername()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote = int(cols[1].split(":")[1], 16), int(cols[2].split(":")[1], 16)
        if (local, remote) == (theirs, ours):
            inode = cols[9]
    for pid in children(server_pid(conn)):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


_SERVERS: dict[int, int] = {}  # port → the supervisor's pid


def server_pid(conn: http.client.HTTPConnection) -> int:
    """The `paperfeed serve` (supervisor) process this connection went to."""
    return _SERVERS[conn.port]


@contextmanager
def serving(s: Settings, tmp: Path, **settings: str) -> Iterator[list[Worker]]:
    """`paperfeed serve --workers 2` over the store (with these PAPERFEED_ settings); a
    connection held to each worker."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")} | {
        "PAPERFEED_DATA_DIR": str(s.data_dir),
        "PAPERFEED_SECRET_KEY": "k" * 40,
        "PAPERFEED_EMBED_MODEL": "static",
        "PAPERFEED_ACCESS_LOG": "off",
        "PYTHONPATH": str(Path(__file__).parent.parent / "src"),
    }
    env |= {f"PAPERFEED_{k.upper()}": v for k, v in settings.items()}
    if s.database_url:
        env["PAPERFEED_DATABASE_URL"] = s.database_url
    cmd = [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--workers", "2"]
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen([*cmd, "--no-jobs", "--no-digests"], env=env, stderr=log)
    _SERVERS[port] = proc.pid
    held: list[http.client.HTTPConnection] = []
    try:
        yield _one_per_worker(port, proc, held)
    finally:
        for conn in held:
            conn.close()
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def _one_per_worker(
    port: int, proc: subprocess.Popen[bytes], held: list[http.client.HTTPConnection]
) -> list[Worker]:
    workers: dict[int, Worker] = {}
    deadline = time.monotonic() + 180
    while len(workers) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited (its log is in the test's folder)"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        held.append(conn)
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
        except OSError:
            time.sleep(0.3)
            continue
        pid = _worker_of(conn)
        if pid is not None and pid not in workers:
            workers[pid] = Worker(pid, conn)
    assert len(workers) == 2, "no connection reached the second worker"
    return list(workers.values())
