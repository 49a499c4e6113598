"""`paperfeed backup` on a store an older version left: it backs the store up as it is.

An operator upgrading runs the new version's `doctor`, which says "run `paperfeed migrate`
(after `paperfeed backup`)". The backup must be of the store before the upgrade, not of the
store that command just migrated: that is the one a failed upgrade goes back to.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import StaticPool
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.settings import Settings
from paperfeed.store import connect, migrate
from paperfeed.store.backup import restore
from paperfeed.store.health import migration_heads, store_revisions
from paperfeed.store.tables import papers

OLD = "0026"
NOW = datetime(2026, 1, 5, 12, 0)
runner = CliRunner()


def _old_store(settings: Settings) -> None:
    """A store at 0026 holding a harvested paper without a listing day (0031 fills it)."""
    engine = connect(settings)
    migrate(engine, OLD)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO papers (id, version, title, title_key, abstract, published, source,"
                " first_seen, listing_date, withdrawn, hidden, featured, changed_at) VALUES"
                " ('2401.00001', 1, 'A', 'a', 'An abstract.', :at, 'oai', :at, NULL, false,"
                " false, false, :at)"
            ),
            {"at": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO users (id, username, name_key, password_hash, is_admin, created_at)"
                " VALUES (1, 'ada', 'ada', 'x', false, :at)"
            ),
            {"at": NOW},
        )
    engine.dispose()


def _env(settings: Settings) -> dict[str, str]:
    env = {"PAPERFEED_DATA_DIR": str(settings.data_dir)}
    return env | (
        {"PAPERFEED_DATABASE_URL": settings.database_url} if settings.database_url else {}
    )


def test_a_backup_of_an_old_store_leaves_it_unmigrated_and_restores(
    settings: Settings, tmp_path: Path
) -> None:
    _old_store(settings)
    file = tmp_path / "before-upgrade.backup"
    done = runner.invoke(app, ["backup", str(file)], env=_env(settings))
    assert done.exit_code == 0, done.output
    assert "backed up" in done.output
    engine = connect(settings)
    assert store_revisions(engine) == {OLD}  # not migrated by the backup
    engine.dispose()

    target = create_engine("sqlite://", poolclass=StaticPool)
    migrate(target)
    copied = restore(target, file)  # the backup of 0026 restores into this version
    assert copied["papers"] == 1 and copied["users"] == 1
    assert store_revisions(target) == migration_heads()
    with target.connect() as conn:
        day = conn.execute(select(papers.c.listing_date)).scalar_one()
    assert day is not None  # 0031 ran on the restored rows
    target.dispose()
