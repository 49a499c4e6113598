"""Ingest jobs the CLI, the web app and the tests call: files, harvests, ids, the demo."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.ingest.arxiv_api import ArxivApiSource
from paperfeed.ingest.hf_daily import HfDailySource
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.listing import ListingSource
from paperfeed.ingest.oai import OaiSource
from paperfeed.ingest.page import PageSource
from paperfeed.ingest.run import Report, Source, SourceError, run_source
from paperfeed.ingest.snapshot import SnapshotSource
from paperfeed.models import RecordError
from paperfeed.search.backfill import embed_after_ingest, load_demo_vectors
from paperfeed.settings import Settings
from paperfeed.store.bulk import deferred_indexes, paper_count

Progress = Callable[[Report], None] | None
DEMO_YEAR = 2026  # the seed page's "Mar 14" heading falls inside the bundled listings' range
_BULK_KINDS = ("snapshot", "listing")  # line formats whose sources can run in a child process
# Bulk mode pays when the file holds more papers than the store; records average less than
# this many bytes (about 770 gzipped, 1,700 plain), so size // this underestimates the count.
_MAX_BYTES_PER_RECORD = 2000


def file_source(
    engine: Engine, kind: str, path: Path, year: int | None = None, day: date | None = None
) -> Source:
    """The Source for one file of the given kind."""
    if kind == "snapshot":
        return SnapshotSource(path)
    if kind == "listing":
        return ListingSource(path, day)
    if kind == "hf":
        return HfDailySource(path)
    if kind == "page":
        return PageSource(path, engine, year=year) if year else PageSource(path, engine)
    raise ValueError(f"unknown source kind {kind!r}")


def _run_file(
    engine: Engine, settings: Settings, kind: str, source: Source, path: Path, progress: Progress
) -> Report:
    """One file; a big one is parsed in a second process, and bulk-loaded into a new store."""
    size = _file_size(path)
    big = kind in _BULK_KINDS and size >= settings.bulk_ingest_bytes
    with engine.connect() as conn:
        bulk = big and paper_count(conn) < size // _MAX_BYTES_PER_RECORD
    with deferred_indexes(engine) if bulk else nullcontext():
        return run_source(engine, source, settings.batch_size, progress, parallel=big)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the source reports the unreadable file


def ingest_files(
    engine: Engine,
    settings: Settings,
    kind: str,
    paths: Sequence[Path],
    year: int | None = None,
    day: date | None = None,
    on_progress: Progress = None,
) -> tuple[Report, list[str]]:
    """Import files one after another; a file that cannot be read is reported, the rest go in."""
    total, failed = Report(), []
    for path in paths:
        try:
            source = file_source(engine, kind, path, year, day)
            total.merge(_run_file(engine, settings, kind, source, path, on_progress))
        except SourceError as exc:
            failed.append(str(exc))
            total.merge(exc.report or Report())
            total.errors.append(RecordError(str(path), str(exc)))
    embed_after_ingest(engine, settings)
    return total, failed


def _client(settings: Settings) -> PoliteClient:
    return PoliteClient(settings.request_delay, settings.http_retries, settings.http_timeout)


def harvest(
    engine: Engine,
    settings: Settings,
    set_spec: str | None,
    since: date | None,
    until: date | None,
    prefix: str = "arXiv",
    on_progress: Progress = None,
) -> Report:
    """Harvest from OAI-PMH; without `since` it continues from the last harvest."""
    client = _client(settings)
    try:
        source = OaiSource(settings.oai_base_url, client, set_spec, since, until, prefix)
        report = run_source(engine, source, settings.batch_size, on_progress)
    finally:
        client.close()
    embed_after_ingest(engine, settings)
    return report


def add_papers(engine: Engine, settings: Settings, ids: Sequence[str]) -> Report:
    """Fetch papers by versionless arXiv id through the arXiv API."""
    client = _client(settings)
    try:
        source = ArxivApiSource(settings.arxiv_api_url, client, ids=list(ids))
        report = run_source(engine, source, settings.batch_size)
    finally:
        client.close()
    embed_after_ingest(engine, settings)
    return report


def demo_files() -> tuple[list[Path], Path]:
    """The bundled listing files and the seed page."""
    folder = Path(str(resources.files("paperfeed.demo")))
    return sorted(folder.glob("listings/*.jsonl.gz")), folder / "seed-page.txt"


def load_demo(engine: Engine, settings: Settings) -> Report:
    """Fill the store with the bundled sample of real papers (idempotent)."""
    listings, page = demo_files()
    report, failed = ingest_files(engine, settings, "listing", listings)
    more, failed_page = ingest_files(engine, settings, "page", [page], year=DEMO_YEAR)
    report.merge(more)
    if failed or failed_page:
        raise SourceError("; ".join(failed + failed_page))
    load_demo_vectors(engine, settings)  # bundled vectors: semantic search without a backfill
    return report
