"""Bulk inserts of row tuples: COPY on PostgreSQL, one prepared INSERT on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from paperfeed.store.tables import (
    code_links,
    paper_authors,
    paper_categories,
    papers,
    signals,
    versions,
)

Row = tuple[Any, ...]
# The columns bulk inserts fill, in the order of the row tuples upsert.py builds.
_COLUMNS: dict[Table, tuple[str, ...]] = {
    papers: (
        "id", "version", "title", "title_key", "abstract", "published", "updated", "comments",
        "journal_ref", "doi", "license", "source", "first_seen", "listing_date", "withdrawn",
        "hidden", "featured", "changed_at", "fingerprint", "listed_at", "venue",
    ),
    versions: ("paper_id", "version", "created"),
    paper_authors: ("paper_id", "position", "name", "name_key"),
    paper_categories: ("paper_id", "category", "position"),
    code_links: ("paper_id", "position", "url"),
    signals: ("paper_id", "upvotes", "submitted_by", "github_repo", "github_stars"),
}  # fmt: skip


def _write_rows(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Bulk-insert tuples (in `_COLUMNS` order) without per-row SQL compilation."""
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, rows)
        return
    sql, converters = _insert_plan(conn.dialect, table)
    if converters:
        rows = [_convert(row, converters) for row in rows]
    conn.exec_driver_sql(sql, rows)


def _copy_rows(conn: Connection, table: Table, rows: list[Row]) -> None:
    # COPY is PostgreSQL's bulk path, several times faster than multi-row INSERTs.
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in _COLUMNS[table])
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


Converter = Callable[[Any], Any]
_ISO_FORMATS = (  # SQLAlchemy's default SQLite DATETIME and DATE storage formats
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d",
    "%(year)04d-%(month)02d-%(day)02d",
)


@cache
def _insert_plan(dialect: Dialect, table: Table) -> tuple[str, tuple[tuple[int, Converter], ...]]:
    """The INSERT for a table and the type conversions SQLAlchemy would apply to each column."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quote = dialect.identifier_preparer.quote
    names = _COLUMNS[table]
    columns = ", ".join(quote(name) for name in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join(mark for _ in names)})"
    impls = [table.c[name].type.dialect_impl(dialect) for name in names]
    procs = [_faster(impl, impl.bind_processor(dialect)) for impl in impls]
    return sql, tuple((i, proc) for i, proc in enumerate(procs) if proc is not None)


def _faster(impl: Any, proc: Converter | None) -> Converter | None:
    """SQLite's default date/time text formats via isoformat (same text, a fraction of the cost)."""
    if proc is None or getattr(impl, "_storage_format", None) not in _ISO_FORMATS:
        return proc
    if impl._storage_format == _ISO_FORMATS[0]:

        def datetime_text(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return proc(value)

        return datetime_text

    def date_text(value: Any) -> Any:
        return value.isoformat() if type(value) is date else proc(value)

    return date_text


def _convert(row: Row, converters: tuple[tuple[int, Converter], ...]) -> Row:
    values = list(row)
    for i, proc in converters:
        values[i] = proc(values[i])
    return tuple(values)
