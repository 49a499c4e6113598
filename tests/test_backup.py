"""Backups, restores and moving a store between SQLite and PostgreSQL, with nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store
from paperfeed.store.accounts import create_session, create_user, set_vote
from paperfeed.store.backup import all_tables
from paperfeed.store.tables import papers
from tests.digest_support import add_outbox_message
from tests.web_support import HOSTILE_ID, fill_store, web_settings

runner = CliRunner()


def fill(engine: Engine, settings: Settings, folder: Path) -> None:
    """Papers (one hostile), vectors, users, a session, votes, a subscriber and mail, job runs."""
    fast = web_settings(settings)
    fill_store(engine, fast, folder)
    embed_papers(fast, engine)
    with engine.begin() as conn:
        user = create_user(conn, "ada", "hash")
        create_session(conn, user.id, "token", 30)
        set_vote(conn, user.id, HOSTILE_ID, True)
        add_outbox_message(
            conn,
            "a@example.org",
            status="sent",
            message="Subject: ü\n\nbody",
            attempts=1,
            last_error=None,
        )
        run = db.start_run(conn, "harvest", "2026-11-30", "schedule", "n1")
        db.finish_run(conn, run, "ok", {"read": 9}, None)
        db.record_action(conn, "ada", "run job", "harvest")


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        found = {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in all_tables()
        }
    engine.dispose()
    return found


def env(settings: Settings, url: str | None = None) -> dict[str, str]:
    found = {"PAPERFEED_DATA_DIR": str(settings.data_dir), "PAPERFEED_EMBED_MODEL": "static"}
    return found | ({"PAPERFEED_DATABASE_URL": url} if url else {})


def test_sqlite_moves_to_postgresql_and_back(
    sqlite_settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    source = open_store(sqlite_settings)
    fill(source, sqlite_settings, tmp_path / "listings")
    before = contents(source)
    moved = runner.invoke(
        app, ["migrate-store", "--to", pg_url, "--json"], env=env(sqlite_settings)
    )
    assert moved.exit_code == 0, moved.output
    counts = json.loads(moved.output.strip().splitlines()[-1])
    assert counts["papers"] == len(before["papers"]) > 20
    assert counts["paper_vectors"] == counts["papers"] and counts["votes"] == 1
    pg = open_store(sqlite_settings.model_copy(update={"database_url": pg_url}))
    assert contents(pg) == before
    with pg.begin() as conn:
        create_user(conn, "grace", "hash")  # ids continue after the copied ones

    back = Settings(data_dir=tmp_path / "back", _env_file=None)  # type: ignore[call-arg]
    url = back.sqlalchemy_url
    returned = runner.invoke(app, ["migrate-store", "--to", url], env=env(sqlite_settings, pg_url))
    assert returned.exit_code == 0, returned.output
    assert "papers" in returned.output and "verified" in returned.output
    after = contents(open_store(back))
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"
    }
    assert [u[1] for u in after["users"]] == ["ada", "grace"]


def test_migrate_store_refuses_a_target_with_data(
    sqlite_settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    target = open_store(sqlite_settings.model_copy(update={"database_url": pg_url}))
    with target.begin() as conn:
        create_user(conn, "already", "here")
    open_store(sqlite_settings)
    result = runner.invoke(app, ["migrate-store", "--to", pg_url], env=env(sqlite_settings))
    assert result.exit_code == 1 and "not empty" in result.output


def test_sqlite_backup_while_in_use_restores_into_postgresql(
    sqlite_settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    source = open_store(sqlite_settings)
    fill(source, sqlite_settings, tmp_path / "listings")
    file = tmp_path / "backup.db"
    with source.connect() as busy:  # the site holds a connection (and WAL) while we back up
        busy.execute(select(db.job_runs)).all()
        made = runner.invoke(app, ["backup", str(file)], env=env(sqlite_settings))
    assert made.exit_code == 0, made.output
    assert file.read_bytes()[:15] == b"SQLite format 3"
    restored = runner.invoke(app, ["restore", str(file)], env=env(sqlite_settings, pg_url))
    assert restored.exit_code == 0, restored.output
    pg = open_store(sqlite_settings.model_copy(update={"database_url": pg_url}))
    assert contents(pg) == contents(source)
    again = runner.invoke(app, ["restore", str(file)], env=env(sqlite_settings, pg_url))
    assert again.exit_code == 1 and "not empty" in again.output


def test_postgresql_dump_restores_into_sqlite(
    sqlite_settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    pg_settings = sqlite_settings.model_copy(update={"database_url": pg_url})
    pg = open_store(pg_settings)
    fill(pg, pg_settings, tmp_path / "listings")
    file = tmp_path / "paperfeed.dump.gz"
    made = runner.invoke(app, ["backup", str(file)], env=env(sqlite_settings, pg_url))
    assert made.exit_code == 0, made.output
    restored = runner.invoke(app, ["restore", str(file)], env=env(sqlite_settings))
    assert restored.exit_code == 0, restored.output
    assert contents(open_store(sqlite_settings)) == contents(pg)
    # A copy cut short is refused with the reason (it used to say only "Aborted.").
    cut = tmp_path / "cut.dump.gz"
    cut.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elsewhere = sqlite_settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    refused = runner.invoke(app, ["restore", str(cut)], env=env(elsewhere))
    assert refused.exit_code == 1 and "cannot be read as a paperfeed backup" in refused.output
    with open_store(elsewhere).connect() as conn:  # nothing of the cut copy was kept
        assert conn.execute(select(papers.c.id)).first() is None


def test_a_sqlite_backup_cut_short_is_refused_with_the_reason(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    source = open_store(sqlite_settings)
    fill(source, sqlite_settings, tmp_path / "listings")
    file = tmp_path / "nightly" / "backup.db"  # a folder not made yet is made
    assert runner.invoke(app, ["backup", str(file)], env=env(sqlite_settings)).exit_code == 0
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    nowhere = runner.invoke(app, ["backup", str(blocked / "b.db")], env=env(sqlite_settings))
    said = "".join(nowhere.output.split())  # the message wraps, maybe inside the path
    assert nowhere.exit_code == 1 and f"cannotwrite{blocked / 'b.db'}" in said, said
    assert "Traceback" not in nowhere.output
    cut = tmp_path / "cut.db"
    cut.write_bytes(file.read_bytes()[: file.stat().st_size // 3])
    elsewhere = sqlite_settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    refused = runner.invoke(app, ["restore", str(cut)], env=env(elsewhere))
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "cannot be read as a paperfeed backup" in said, said


def test_a_damaged_backup_is_refused(sqlite_settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not a backup")
    result = runner.invoke(app, ["restore", str(bad)], env=env(sqlite_settings))
    assert result.exit_code == 1 and "cannot be read" in result.output
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope")], env=env(sqlite_settings))
    assert missing.exit_code == 1 and "no backup file" in missing.output


@pytest.mark.parametrize("name", ["backup", "restore", "migrate-store"])
def test_commands_exist(name: str) -> None:
    assert runner.invoke(app, [name, "--help"]).exit_code == 0


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_backup_is_for_its_owner_only_and_never_left_half_written_under_its_name(
    sqlite_settings: Settings,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
) -> None:
    """Backups hold password hashes, addresses and tokens: they were 0644. A backup killed
    half-way left a truncated file under the final name that looked like a backup."""
    from paperfeed.store import backup as backup_module

    settings = (
        sqlite_settings
        if database == "sqlite"
        else sqlite_settings.model_copy(update={"database_url": pg_url})
    )
    source = open_store(settings)
    fill(source, settings, tmp_path / "listings")
    file = tmp_path / "nightly" / "paperfeed.backup"
    made = runner.invoke(app, ["backup", str(file)], env=env(settings, settings.database_url))
    assert made.exit_code == 0, made.output
    assert file.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in file.parent.iterdir()) == ["paperfeed.backup"]

    def cut_short(engine: Engine, path: Path) -> dict[str, int]:
        path.write_bytes(b"half a backup")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_module, "_sqlite_backup", cut_short)
    monkeypatch.setattr(backup_module, "_dump", cut_short)
    second = tmp_path / "nightly" / "second.backup"
    with pytest.raises(OSError):
        backup_module.backup(source, second)
    assert sorted(p.name for p in file.parent.iterdir()) == ["paperfeed.backup"]


def test_a_restored_store_is_not_taken_for_the_one_backed_up(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """Search indexes kept in a data folder know their store by its identity: a restore gives
    the copy a new one, so indexes built before (perhaps ahead of the backup) are rebuilt."""
    from paperfeed.store.accounts import store_identity
    from paperfeed.store.backup import backup, restore

    source = open_store(sqlite_settings)
    with source.begin() as conn:
        before = store_identity(conn)
        assert store_identity(conn) == before  # made once, then kept
    backup(source, tmp_path / "copy.db")
    target = open_store(
        sqlite_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'new.db'}"})
    )
    restore(target, tmp_path / "copy.db")
    with target.begin() as conn, source.connect() as old:
        assert store_identity(conn) != before
        assert store_identity(old) == before
    source.dispose()
    target.dispose()
