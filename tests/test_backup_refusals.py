"""Restore drills: what is no good backup is refused with the reason before the store is
touched (SQLite and PostgreSQL targets), a good backup then restores into the same store, and
`paperfeed doctor` says when the search indexes kept in the data folder are of another store."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import users
from paperfeed.store.backup import backup
from paperfeed.store.health import migration_heads
from paperfeed.store.tables import papers
from tests.digest_support import smtp_sink
from tests.web_support import fill_store, web_settings

runner = CliRunner()
ELSEWHERE = "the one a restored backup came from"


def env(settings: Settings) -> dict[str, str]:
    found = {"PAPERFEED_DATA_DIR": str(settings.data_dir), "PAPERFEED_EMBED_MODEL": "static"}
    return found | (
        {"PAPERFEED_DATABASE_URL": settings.database_url} if settings.database_url else {}
    )


def made_backup(tmp_path: Path, source: Settings) -> Path:
    """A real `paperfeed backup` of a SQLite store of three listing days."""
    engine = open_store(source)
    fill_store(engine, source, tmp_path / "listings")
    file = tmp_path / "good.backup"
    backup(engine, file)
    engine.dispose()
    return file


def restore(settings: Settings, file: Path) -> str:
    """Run `paperfeed restore`; the output in one line (Rich wraps it), exit status first."""
    result = runner.invoke(app, ["restore", str(file)], env=env(settings))
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit | None)
    return f"{result.exit_code} " + " ".join(result.output.split())


def rows_in(settings: Settings) -> int:
    engine = open_store(settings)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(papers)).scalar_one()
        found += conn.execute(select(func.count()).select_from(users)).scalar_one()
    engine.dispose()
    return int(found)


def test_a_sqlite_database_of_another_program_is_no_backup(
    settings: Settings, tmp_path: Path
) -> None:
    """It was migrated on the copy and 'restored': every table '0 copied, verified', exit 0."""
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('not a paper')")
    conn.close()
    said = restore(settings, other)
    assert said.startswith("1 ") and "is not a paperfeed backup" in said, said
    assert rows_in(settings) == 0


def test_a_sqlite_backup_of_a_newer_version_is_refused_with_what_to_do(
    settings: Settings, tmp_path: Path
) -> None:
    """It ended in a bare NewerStoreError (the CLI printed nothing at all)."""
    newer = tmp_path / "newer.backup"
    newer.write_bytes(made_backup(tmp_path, _source(tmp_path)).read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    said = restore(settings, newer)
    assert said.startswith("1 ") and "made by a newer paperfeed (schema ['9999'])" in said, said
    assert "restore it with that version" in said and rows_in(settings) == 0


def test_a_sqlite_backup_damaged_inside_is_refused_and_a_good_one_then_restores(
    settings: Settings, tmp_path: Path
) -> None:
    """A file of the right length with pages overwritten (a bad disk, a botched copy) failed
    half-way through the copy with a traceback ('database disk image is malformed')."""
    good = made_backup(tmp_path, _source(tmp_path))
    data = bytearray(good.read_bytes())
    half = len(data) // 2
    data[half:-4096] = b"A" * (len(data) - 4096 - half)
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    said = restore(settings, damaged)
    assert said.startswith("1 ") and "cannot be read as a paperfeed backup" in said, said
    assert rows_in(settings) == 0
    assert restore(settings, good).startswith("0 ")  # the store was left empty: run it again
    assert rows_in(settings) == rows_in(_source(tmp_path)) > 20


def _source(tmp_path: Path) -> Settings:
    folder = tmp_path / "source"
    return web_settings(Settings(data_dir=folder, _env_file=None))  # type: ignore[call-arg]


def _dump(tmp_path: Path, *lines: str) -> Path:
    file = tmp_path / "edited.dump.gz"
    header = {"format": "paperfeed-dump", "version": 1, "revision": sorted(migration_heads())}
    with gzip.open(file, "wt", encoding="utf-8") as out:
        out.write("\n".join([json.dumps(header), *lines]) + "\n")
    return file


USER = '{"t": "users", "r": {"id": 1, "username": "ada", "password_hash": "x", "created_at": %s}}'


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["5"], "a line in it is no table row"),  # JSON, but no record
        (['{"t": "users", "r": [1, 2]}'], "a line in it is no table row"),
        ([USER % '"yesterday"'], "cannot be read as a paperfeed backup"),  # a value unparsed
        ([USER % "null", '{"end": {"users": 1}}'], "cannot be read as a paperfeed backup"),
    ],
    ids=["number", "list", "date", "not-null"],
)
def test_dump_lines_that_are_no_records_are_refused_with_the_reason(
    settings: Settings, tmp_path: Path, lines: list[str], reason: str
) -> None:
    """Each ended in a traceback (TypeError, ValueError, IntegrityError) instead of an error."""
    said = restore(settings, _dump(tmp_path, *lines))
    assert said.startswith("1 ") and reason in said, said
    assert rows_in(settings) == 0


def test_a_dump_whose_header_is_no_object_is_no_backup(settings: Settings, tmp_path: Path) -> None:
    file = tmp_path / "list.gz"
    with gzip.open(file, "wt", encoding="utf-8") as out:
        out.write("[1, 2]\n")
    said = restore(settings, file)
    assert said.startswith("1 ") and "is not a paperfeed backup" in said, said


def test_doctor_after_a_restore_says_the_kept_indexes_are_of_another_store(
    settings: Settings, tmp_path: Path
) -> None:
    """The data folder kept the indexes of the store backed up; doctor said 'all is well'."""
    target = web_settings(settings)
    source = target.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'old.db'}"})
    engine = open_store(source)
    fill_store(engine, source, tmp_path / "listings")
    embed_papers(source, engine)
    service = SearchService(source, engine)
    service.refresh()  # this node's indexes, of the old store
    service.close()
    backup(engine, tmp_path / "old.backup")
    engine.dispose()
    assert ELSEWHERE not in _doctor(source)
    assert restore(target, tmp_path / "old.backup").startswith("0 ")
    assert ELSEWHERE in _doctor(target) and "paperfeed reindex" in _doctor(target)
    engine = open_store(target)
    service = SearchService(target, engine)
    service.refresh()  # the site's start: built again from this store
    service.close()
    engine.dispose()
    assert ELSEWHERE not in _doctor(target)


def _doctor(settings: Settings) -> str:
    with smtp_sink() as sink:
        extra = {"PAPERFEED_SECRET_KEY": "k3y-" + "0123456789abcdefghijklmnopqrstuvwxyz"}
        extra["PAPERFEED_SMTP_PORT"] = str(sink.port)
        result = runner.invoke(app, ["doctor"], env=env(settings) | extra)
    return " ".join(result.output.split())
