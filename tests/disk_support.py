"""A really full disk for tests: a small tmpfs (root only), filled with a filler file and freed.

Without permission to mount, `small_disk` skips with the reason. `page_limit` is the fallback
that needs no root: SQLite's `max_page_count` makes the store answer SQLITE_FULL, the error a
full disk gives, so the same error handling runs on every machine.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

_CHUNKS = (1 << 20, 1 << 16, 1 << 12)


@dataclass
class Disk:
    """A mounted tmpfs of a few MB; `fill` takes every free byte, `free` gives them back."""

    path: Path

    @property
    def filler(self) -> Path:
        return self.path / "filler"

    def fill(self) -> None:
        """Write the filler until the file system says ENOSPC."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in _CHUNKS:
                _write_until_full(fd, b"\0" * size)
        finally:
            os.close(fd)
        assert self.free_bytes() < 4096, self.free_bytes()

    def leave(self, size: int) -> None:
        """Give back `size` bytes of the filler (a nearly full disk)."""
        os.truncate(self.filler, max(0, self.filler.stat().st_size - size))

    def free(self) -> None:
        """Delete the filler."""
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize


def _write_until_full(fd: int, block: bytes) -> None:
    while True:
        try:
            os.write(fd, block)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            return


@contextmanager
def small_disk(where: Path, size_mb: int = 64, mode: int = 0o700) -> Iterator[Disk]:
    """Mount a tmpfs of `size_mb` MB at `where` (skips the test when mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size_mb}m,mode={mode:o}"
    command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        pytest.skip(f"a full-disk test needs to mount a small tmpfs: {exc}")
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip()
        pytest.skip(f"a full-disk test needs to mount a small tmpfs (root): {reason}")
    try:
        yield Disk(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def truncate_wal(engine: Engine) -> None:
    """Shrink the SQLite WAL to nothing, so that the next write must grow a file.

    (A WAL that already has room takes a few more writes on a full disk; they are stored.)
    """
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@dataclass
class PageLimit:
    """The store cannot grow past its current pages: SQLite answers SQLITE_FULL."""

    engine: Engine
    pages: int | None = None

    def fill(self) -> None:
        """Cap the store at its size and use up its free pages with a filler table."""
        with self.engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS disk_filler (blob BLOB)"))
        with self.engine.connect() as conn:
            self.pages = int(conn.execute(text("PRAGMA page_count")).scalar_one())
        _fill_pages(self.engine)

    def free(self) -> None:
        """Lift the cap (the filler's pages stay in use)."""
        self.pages = None


def _fill_pages(engine: Engine) -> None:
    from sqlalchemy.exc import OperationalError

    for size in (65536, 4096, 512, 64):
        while True:
            try:
                with engine.begin() as conn:
                    conn.execute(
                        text("INSERT INTO disk_filler VALUES (randomblob(:n))"), {"n": size}
                    )
            except OperationalError as exc:
                assert "full" in str(exc), exc
                break


@contextmanager
def page_limit(engine: Engine) -> Iterator[PageLimit]:
    """Every pooled SQLite connection gets `PRAGMA max_page_count` while the limit is set."""
    limit = PageLimit(engine)

    def _checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        pages = limit.pages or 1_073_741_823
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count={pages:d}")
        cur.close()

    engine.pool.dispose()  # connections made from now on are checked out through the hook
    event.listen(engine, "checkout", _checkout)
    try:
        yield limit
    finally:
        event.remove(engine, "checkout", _checkout)
        engine.pool.dispose()


def paperfeed_command(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `paperfeed` command over a data folder, its messages one line each."""
    env = os.environ | {
        "PAPERFEED_DATA_DIR": str(data_dir),
        "PAPERFEED_EMBED_MODEL": "static",
        "HF_HUB_OFFLINE": "1",
        "COLUMNS": "400",  # one line per message
    }
    command = [sys.executable, "-m", "paperfeed", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
