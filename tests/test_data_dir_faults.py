"""The data folder under an operator's hands: its search index deleted, mounted read-only, full.

The read-only and full-disk tests mount a real tmpfs (root only; they skip with the reason
elsewhere).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.doctor import Findings, check_data_dir, check_store
from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import saved_watermark
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from tests.digest_support import free_port
from tests.disk_support import Disk, paperfeed_command, small_disk
from tests.web_support import fill_store, web_settings

SNAPSHOT = (
    Path(__file__).parent / "fixtures" / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
)


def test_a_running_search_service_whose_index_folder_is_deleted_builds_it_again(
    sqlite_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = web_settings(sqlite_settings)  # refresh before every search
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    service = SearchService(settings, engine)
    try:
        before = [h.id for h in service.search("model", mode="keyword").hits]
        assert before
        shutil.rmtree(settings.index_dir)  # an operator cleans up, the site still runs
        new = Paper(id="2606.66666", title="Echidna snout mechanics", abstract="Echidnas.")
        with engine.begin() as conn:
            upsert_papers(conn, [new])
        assert [h.id for h in service.search("echidna snout", mode="keyword").hits] == [new.id]
        assert [h.id for h in service.search("model", mode="keyword").hits] == before
        assert "was deleted: building it again" in caplog.text
        assert saved_watermark(settings.index_dir / "keyword") is not None  # doctor sees it
    finally:
        service.close()
        engine.dispose()


def test_doctor_without_a_search_index_names_the_command_that_builds_it(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    engine.dispose()
    found = Findings()
    check_store(settings, found)
    assert any("`paperfeed reindex`" in note for note in found.notes), found.notes


# --- a real read-only or full file system (a tmpfs; root) -----------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


@pytest.mark.slow
def test_a_read_only_data_dir_is_named_by_doctor_ingest_and_serve(disk: Disk) -> None:
    settings = Settings(data_dir=disk.path / "data", _env_file=None)
    open_store(settings).dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(disk.path)], check=True)
    try:
        runs = {
            "doctor": paperfeed_command(settings.data_dir, "doctor"),
            "ingest": paperfeed_command(settings.data_dir, "ingest", "snapshot", str(SNAPSHOT)),
            "serve": paperfeed_command(
                settings.data_dir, "serve", "--port", str(free_port()), "--no-digests"
            ),
        }
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk.path)], check=True)
    said = f"PAPERFEED_DATA_DIR {settings.data_dir} cannot be written (Read-only file system)"
    for name, run in runs.items():
        assert run.returncode == 1, (name, run.stdout, run.stderr)
        assert said in run.stdout + run.stderr, (name, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr, (name, run.stderr)


@pytest.mark.slow
def test_doctor_says_the_data_dir_disk_is_full_and_then_that_it_has_room(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", size_mb=160) as disk:  # more than doctor's LOW_SPACE
        settings = Settings(data_dir=disk.path / "data", _env_file=None)
        open_store(settings).dispose()
        found = Findings()
        check_data_dir(settings, found)
        assert not found.problems
        disk.fill()
        check_data_dir(settings, found)
        assert len(found.problems) == 1, found.problems
        assert "has 0.0 MB free" in found.problems[0] and "free some space" in found.problems[0]
        disk.free()
        found = Findings()
        check_data_dir(settings, found)
        assert not found.problems
