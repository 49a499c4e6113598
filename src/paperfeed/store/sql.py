"""SQL pieces the store's modules share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Dialect,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.sql.expression import literal_column
from sqlalchemy.types import TypeDecorator


class JsonList(TypeDecorator[Sequence[object]]):
    """A list bound as one JSON text parameter (read back by SQLite's `json_each`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sequence[object] | None, dialect: Dialect) -> str | None:
        return None if value is None else orjson.dumps(list(value)).decode()


def in_list(
    column: ColumnElement[Any], dialect: str, name: str = "ids", values: Sequence[Any] | None = None
) -> ColumnElement[bool]:
    """`column IN :name` as one parameter, its values given now or when the statement runs.

    One array on PostgreSQL; one JSON text read by `json_each` on SQLite. SQLAlchemy's
    expanding IN re-renders the statement for each run: for a page's 20 cards that cost more
    than SQLite's answer. Both still look each value up in the column's index.
    """
    value: dict[str, Any] = {} if values is None else {"value": list(values)}
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type), **value))
    listed = bindparam(name, type_=JsonList(), **value)
    return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))


@contextmanager
def brief_wait(conn: Connection, seconds: float) -> Iterator[None]:
    """On SQLite, wait at most `seconds` (not the store's busy timeout) for another writer's
    lock within the block, then "database is locked"; for a write that may be left out, such
    as noting a page view, so that a long ingest does not hold up the page. PostgreSQL: as is."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(seconds * 1000):d}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(before):d}")
