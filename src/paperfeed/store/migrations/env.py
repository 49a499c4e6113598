"""Alembic environment: runs on the connection the store hands it."""

from __future__ import annotations

from alembic import context

from paperfeed.store.schema import load_all

metadata = load_all()

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
