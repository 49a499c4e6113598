"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests (run as `postgres` when root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Cluster:
    """A running cluster: its port and data directory."""

    port: int
    root: Path
    bindir: Path

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL for a database of this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pause(self) -> None:
        """Stop the server (as a crash would: no clean shutdown), keeping its files."""
        pg_ctl = str(self.bindir / "pg_ctl")
        _run(self, [pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "stop"])

    def resume(self) -> None:
        """Start a paused server again on the same port."""
        _start(self)
        _wait(self)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        _run(
            self,
            [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
        )
        shutil.rmtree(self.root, ignore_errors=True)


def find_bindir() -> Path | None:
    """Debian keeps the server binaries in a versioned directory off PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    found = candidates[0] if candidates else shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cluster: Cluster, args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + args, check=True, capture_output=True, cwd="/")


def start_cluster() -> Cluster:
    """initdb + start a cluster in a temporary directory, trusting local connections."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="paperfeed-pg-"))
    os.chmod(root, 0o777)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = Cluster(_free_port(), root, bindir)
    data = root / "data"
    _run(
        cluster,
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    _start(cluster)
    _wait(cluster)
    return cluster


def _start(cluster: Cluster) -> None:
    root, data = cluster.root, cluster.root / "data"
    opts = f"-h 127.0.0.1 -p {cluster.port} -k {root} -F -c fsync=off -c full_page_writes=off"
    pg_ctl = str(cluster.bindir / "pg_ctl")
    _run(cluster, [pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"])


def _wait(cluster: Cluster, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", cluster.port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start")


def start_cluster_or_skip() -> Cluster:
    """A started cluster; without PostgreSQL the test is skipped, or fails where it is required."""
    if find_bindir() is None:
        if os.environ.get("PAPERFEED_REQUIRE_PG"):
            pytest.fail("PostgreSQL is required (PAPERFEED_REQUIRE_PG) but not installed")
        pytest.skip("PostgreSQL server not installed")
    return start_cluster()
