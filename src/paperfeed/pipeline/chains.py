"""Jobs that span features (ingest, then embed): the CLI, the web app and the tests call these.

`ingest/` never imports `search/` and vice versa; what chains them lives here, above both.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.ingest import jobs
from paperfeed.ingest.jobs import Progress
from paperfeed.ingest.run import Report
from paperfeed.search.backfill import embed_after_ingest, load_demo_vectors
from paperfeed.settings import Settings
from paperfeed.util import is_disk_full

log = logging.getLogger(__name__)


def ingest_files(
    engine: Engine,
    settings: Settings,
    kind: str,
    paths: Sequence[Path],
    year: int | None = None,
    day: date | None = None,
    on_progress: Progress = None,
) -> tuple[Report, list[str]]:
    """Import files (see `ingest.jobs.ingest_files`), then embed what they added."""
    result = jobs.ingest_files(engine, settings, kind, paths, year, day, on_progress)
    try:
        embed_after_ingest(engine, settings)
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        # The import's own "disk full" error says what to do; a rerun embeds what is missing.
        log.warning("papers stored but not embedded: the disk is full")
    return result


def harvest(
    engine: Engine,
    settings: Settings,
    set_spec: str | None,
    since: date | None,
    until: date | None,
    prefix: str = "arXiv",
    on_progress: Progress = None,
) -> Report:
    """Harvest from OAI-PMH (see `ingest.jobs.harvest`), then embed what it added."""
    report = jobs.harvest(engine, settings, set_spec, since, until, prefix, on_progress)
    embed_after_ingest(engine, settings)
    return report


def add_papers(
    engine: Engine, settings: Settings, ids: Sequence[str], deadline: float | None = None
) -> Report:
    """Fetch papers by arXiv id (each request within `deadline` s), then embed them."""
    report = jobs.add_papers(engine, settings, ids, deadline)
    embed_after_ingest(engine, settings)
    return report


def load_demo(engine: Engine, settings: Settings) -> Report:
    """Fill the store with the bundled sample and its bundled vectors (idempotent)."""
    report = jobs.load_demo(engine, settings)
    load_demo_vectors(engine, settings)  # bundled vectors: semantic search without a backfill
    embed_after_ingest(engine, settings)
    return report
