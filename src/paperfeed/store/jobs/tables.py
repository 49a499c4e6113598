"""The operations tables: job runs, row job locks and the admin action log (migration 0006)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from paperfeed.store.tables import metadata

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("slot", String(32)),  # the scheduled day a run belongs to; None for manual runs
    Column("trigger", String(16), nullable=False),  # schedule | manual | admin
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(16), nullable=False),  # running | ok | failed | abandoned | skipped
    Column("attempts", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON object of what the run did
    Column("error", Text),
    Column("node", String(128), nullable=False),
    Index("ix_job_runs_job_slot", "job", "slot"),
    Index("ix_job_runs_started_at", "started_at"),
)

job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("taken_at", DateTime),  # when its holder took it (NULL: taken before 0041)
)

admin_actions = Table(
    "admin_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("who", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_admin_actions_at", "at"),
)
