"""Alembic environment: runs on the connection the store hands it."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.migration import MigrationContext, MigrationInfo

from paperfeed.store.db import migration_title
from paperfeed.store.schema import load_all

metadata = load_all()

connection = context.config.attributes["connection"]
applied = context.config.attributes.get("applied")
began = [time.perf_counter()]


def _applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Tell the caller (`paperfeed migrate`) each migration as it is applied, and its time."""
    now = time.perf_counter()
    if applied is not None:
        doc = str(getattr(step.up_revision, "doc", "") or "")  # a Script: its docstring
        applied(step.up_revision_id or "", migration_title(doc), now - began[0])
    began[0] = now


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # each migration commits on its own: a long upgrade killed part-way keeps what it finished
    transaction_per_migration=True,
    on_version_apply=_applied,
)
with context.begin_transaction():
    context.run_migrations()
