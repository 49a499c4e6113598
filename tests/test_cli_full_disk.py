"""Starting a command on a full disk: SQLite cannot make its -wal and -shm files and says only
'disk I/O error'; the CLI says the data folder's disk is full and what to do.

A real full disk: a small tmpfs (root only; skips with the reason elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.digest_support import free_port
from tests.disk_support import paperfeed_command, small_disk


@pytest.mark.slow
def test_stats_and_serve_on_a_full_disk_say_the_disk_is_full(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        settings = Settings(data_dir=disk.path / "data", _env_file=None)  # type: ignore[call-arg]
        open_store(settings).dispose()  # closed: its -wal and -shm files are gone
        disk.fill()
        runs = {
            "stats": paperfeed_command(settings.data_dir, "stats"),
            "serve": paperfeed_command(
                settings.data_dir, "serve", "--port", str(free_port()), "--no-digests"
            ),
        }
        said = f"error: the disk of PAPERFEED_DATA_DIR {settings.data_dir} is full"
        for name, run in runs.items():
            assert run.returncode == 1, (name, run.stdout, run.stderr)
            assert said in run.stderr and "free some space there" in run.stderr, (name, run)
            assert "disk I/O error" not in run.stderr and "Traceback" not in run.stderr, run
        disk.free()
        again = paperfeed_command(settings.data_dir, "stats", "--json")
        assert again.returncode == 0, again.stderr
