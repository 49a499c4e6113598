"""A keyword index rebuilt beside the one searches read, then swapped in by renaming folders.

`keyword.next` is built (resumably, as any build) while `keyword` keeps answering; when it has
read the store to its end it takes `keyword`'s place. Every step that looks at or renames the
folders holds the index's folder lock, so that workers starting or swapping together agree.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from paperfeed.search.keyword import (
    SCHEMA_VERSION,
    SEARCHABLE_SINCE,
    KeywordIndex,
    folder_lock,
    saved_state,
)
from paperfeed.search.progress import Build

log = logging.getLogger(__name__)


def beside(live: Path) -> Path:
    """The folder a new index for `live` is built in."""
    return live.with_name(live.name + ".next")


def _old(live: Path) -> Path:
    return live.with_name(live.name + ".old")


def open_keyword(live: Path) -> tuple[KeywordIndex, KeywordIndex | None]:
    """The index searches read, and the one being built beside it (None: none is).

    An index of an older schema that the current queries can still read keeps answering while
    its successor is built; one they cannot read is wiped and built in place (searches say so).
    A folder deleted while its successor was built, or a swap killed half-way, is settled first.
    """
    with folder_lock(live):
        return _open(live)


def open_after_delete(live: Path) -> tuple[KeywordIndex, KeywordIndex | None, bool]:
    """`open_keyword` for a process that found the folder deleted, and whether it still was:
    of workers that found it so together, one builds it again, the others open its build."""
    with folder_lock(live):
        gone = not (live / "meta.json").exists()
        return *_open(live), gone


def _open(live: Path) -> tuple[KeywordIndex, KeywordIndex | None]:
    """`open_keyword` with the folder lock held."""
    upcoming = beside(live)
    shutil.rmtree(_old(live), ignore_errors=True)
    if not _searchable(live) and (upcoming / "meta.json").exists():
        shutil.rmtree(live, ignore_errors=True)
        upcoming.rename(live)  # what was built beside goes on in place
    schema, _build = saved_state(live)
    readable = schema is not None and SEARCHABLE_SINCE <= schema < SCHEMA_VERSION
    current = KeywordIndex(live, keep_outdated=readable, locked=True)
    if readable or upcoming.exists():
        return current, KeywordIndex(upcoming, locked=True)
    return current, None


def _searchable(folder: Path) -> bool:
    """Whether the index in `folder` is there and current queries can read it."""
    schema, _build = saved_state(folder)
    return (folder / "meta.json").exists() and schema is not None and schema >= SEARCHABLE_SINCE


def build_under_way(live: Path) -> tuple[Build | None, bool]:
    """The build of `live`'s index under way (None: none is), and whether it is beside an index
    that searches answer from meanwhile (`doctor` and `/admin` say how far it got)."""
    upcoming = saved_state(beside(live))[1]
    if upcoming is not None:
        return upcoming, _searchable(live)
    return saved_state(live)[1], False


def start_beside(live: Path) -> KeywordIndex:
    """A new, empty index beside `live` (`paperfeed reindex`); one begun before is kept and
    goes on, so that a killed rebuild resumes."""
    with folder_lock(live):
        return KeywordIndex(beside(live), locked=True)


def swap(live: Path) -> bool:
    """Put the index built beside `live` in its place; False when there is none (another
    worker swapped it in already)."""
    upcoming, old = beside(live), _old(live)
    with folder_lock(live):
        if not upcoming.exists():
            return False
        shutil.rmtree(old, ignore_errors=True)
        if live.exists():
            live.rename(old)
        upcoming.rename(live)
        shutil.rmtree(old, ignore_errors=True)
    log.info("the rebuilt search index in %s replaced the previous one", live)
    return True
