"""A store an older version left, opened by `serve` (or any command): it says it is upgrading.

`paperfeed serve` on an old store applied every pending migration before the site came up and
said nothing meanwhile (at millions of papers, minutes of silence); now it says from which
revision to which, how many migrations, and each one as it is applied.
"""

from __future__ import annotations

import logging

import pytest

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
    assert [line.split()[1] for line in said[1:]] == later
    assert (
        said[1].startswith("applied 0027 (Shared collections for a reading group")
        and " s" in said[1]
    )


def test_a_new_store_or_a_current_one_is_opened_without_a_word(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "paperfeed.store.db")
    open_store(settings).dispose()  # a new store: its tables, no upgrade
    open_store(settings).dispose()
    assert _said(caplog) == []
