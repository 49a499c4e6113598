"""Bulk loads: the paper tables' secondary indexes are dropped for the load and rebuilt after.

Building an index once from sorted data costs a fraction of inserting millions of rows into it
one by one. A load killed part-way leaves the indexes missing; `restore_indexes`, which
`open_store` runs, rebuilds them, so every later run finds a consistent, indexed store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Index, func, select
from sqlalchemy.schema import CreateIndex, DropIndex

from paperfeed.store.tables import paper_authors, paper_categories, papers
from paperfeed.util import is_disk_full

log = logging.getLogger(__name__)
_TABLES = (papers, paper_authors, paper_categories)


def secondary_indexes() -> list[Index]:
    """The indexes a bulk load defers (not primary keys, which also guard uniqueness)."""
    return [ix for table in _TABLES for ix in sorted(table.indexes, key=lambda ix: str(ix.name))]


@contextmanager
def deferred_indexes(engine: Engine) -> Iterator[None]:
    """Drop the secondary indexes for the block, rebuild them after it (also when it fails)."""
    with engine.begin() as conn:
        for index in secondary_indexes():
            conn.execute(DropIndex(index, if_exists=True))
    try:
        yield
    except BaseException:
        restore_indexes_if_room(engine)  # the load's own error is the one to report
        raise
    restore_indexes(engine)


def restore_indexes(engine: Engine) -> None:
    """Create any secondary index that is missing (after a bulk load was killed)."""
    with engine.begin() as conn:
        for index in secondary_indexes():
            # IF NOT EXISTS: two processes opening the store at once cannot collide.
            conn.execute(CreateIndex(index, if_not_exists=True))


def restore_indexes_if_room(engine: Engine) -> None:
    """`restore_indexes`, except on a full disk: the store answers without them, only slower."""
    try:
        restore_indexes(engine)
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        log.error("the disk is full: the papers' indexes are rebuilt once there is room (%s)", exc)


def paper_count(conn: Connection) -> int:
    """How many papers the store holds."""
    return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
