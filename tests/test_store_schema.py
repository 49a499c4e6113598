"""The Table objects and the migrations declare the same schema (Alembic's compare_metadata)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from paperfeed.store.schema import load_all


def test_migrations_create_exactly_the_declared_tables(engine: Engine) -> None:
    metadata = load_all()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    lines = [_describe(d) for d in diff]
    assert not lines, "\n".join(lines)


def _describe(change: object) -> str:
    """One readable line per difference (Alembic nests column changes in a list)."""
    if isinstance(change, list):
        return "; ".join(_describe(c) for c in change)
    kind, *rest = change  # type: ignore[misc]
    return f"{kind}: " + ", ".join(_name(x) for x in rest)


def _name(item: object) -> str:
    table = getattr(getattr(item, "table", None), "name", None)
    columns = [c.name for c in getattr(item, "columns", [])]
    name = getattr(item, "name", None) or type(item).__name__
    return f"{table}.{name}{columns if columns else ''}" if table else str(name)


def test_every_table_in_the_database_is_declared(engine: Engine) -> None:
    metadata = load_all()
    present = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert present == set(metadata.tables)
    assert {"papers", "paper_vectors", "votes", "digest_outbox"} <= present
