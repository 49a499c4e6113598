"""A store an older version left, opened by `serve` (or any command): it says it is upgrading.

`paperfeed serve` on an old store applied every pending migration before the site came up and
said nothing meanwhile (at millions of papers, minutes of silence); now it says from which
revision to which, how many migrations, and each one as it begins and as it ends (with its time).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event

from paperfeed.settings import Settings
from paperfeed.store import connect, migrate, open_store
from paperfeed.store.health import migration_heads

OLD = "0026"


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "paperfeed.store.db"]


def test_opening_an_old_store_says_it_is_upgrading_and_each_migration(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = connect(settings)
    migrate(engine, OLD)
    engine.dispose()
    caplog.set_level(logging.WARNING, "paperfeed.store.db")
    open_store(settings).dispose()
    said, head = _said(caplog), max(migration_heads())
    later = [f"{n:04d}" for n in range(int(OLD) + 1, int(head) + 1)]
    assert said[0].startswith(f"upgrading the store's schema from {OLD} to {head} ({len(later)} ")
    assert [line.split()[:2] for line in said[1:]] == [
        [verb, rev] for rev in later for verb in ("applying", "applied")
    ]
    title = "0027 (Shared collections for a reading group"
    assert said[1].startswith(f"applying {title}") and said[1].endswith(") ...")
    assert said[2].startswith(f"applied {title}") and said[2].endswith(" s")


def test_each_migration_is_said_as_it_begins_so_a_slow_one_is_named_while_it_runs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the end of each was said: during a slow one (0035, 0041 read every paper) the last
    # line named the migration before it.
    engine = connect(settings)
    migrate(engine, OLD)
    caplog.set_level(logging.WARNING, "paperfeed.store.db")
    last_said_at_end: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _at(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE ALEMBIC_VERSION"):  # a migration's end
            last_said_at_end.append(_said(caplog)[-1])

    migrate(engine)
    engine.dispose()
    later = [f"{n:04d}" for n in range(int(OLD) + 1, int(max(migration_heads())) + 1)]
    assert [line.split()[:2] for line in last_said_at_end] == [["applying", r] for r in later]


def test_a_new_store_or_a_current_one_is_opened_without_a_word(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "paperfeed.store.db")
    open_store(settings).dispose()  # a new store: its tables, no upgrade
    open_store(settings).dispose()
    assert _said(caplog) == []
