"""Big files: parsed in a second process; into a new store, loaded with indexes rebuilt after."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

import paperfeed.ingest.jobs as jobs
import paperfeed.ingest.run as run
from paperfeed.ingest.jobs import demo_files, ingest_files
from paperfeed.settings import Settings
from paperfeed.store import get_papers, open_store
from paperfeed.store.bulk import secondary_indexes
from paperfeed.store.tables import paper_authors, paper_categories, papers
from tests.replay import FIXTURES

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
TABLES = (papers, paper_authors, paper_categories)


def index_names(engine: Engine) -> set[str]:
    """The secondary indexes the paper tables have now."""
    found = inspect(engine)
    return {str(ix["name"]) for table in TABLES for ix in found.get_indexes(table.name)}


def _bulk(settings: Settings) -> Settings:
    return settings.model_copy(update={"bulk_ingest_bytes": 0})


def _with_bad_lines(path: Path) -> Path:
    lines = SNAPSHOT.read_text().splitlines()
    lines[10] = "{not json"
    lines[20] = json.dumps({"id": "0704.0021", "title": 42})
    path.write_text("\n".join(lines) + "\n")
    return path


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    deferred, in_child = jobs.deferred_indexes, run._in_child

    def spy_deferred(engine: Engine):  # type: ignore[no-untyped-def]
        seen.append("deferred indexes")
        assert index_names(engine) == {ix.name for ix in secondary_indexes()}
        return deferred(engine)

    def spy_child(*args):  # type: ignore[no-untyped-def]
        seen.append("child process")
        return in_child(*args)

    monkeypatch.setattr(jobs, "deferred_indexes", spy_deferred)
    monkeypatch.setattr(run, "_in_child", spy_child)
    return seen


def test_bulk_load_gives_the_store_a_normal_load_gives(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_bad_lines(tmp_path / "snapshot.json")
    seen = _spy(monkeypatch)
    report, failed = ingest_files(engine, _bulk(settings), "snapshot", [path])
    assert seen == ["deferred indexes", "child process"] and not failed
    assert index_names(engine) == {ix.name for ix in secondary_indexes()}  # rebuilt after

    normal_settings = Settings(data_dir=tmp_path / "normal", _env_file=None)  # type: ignore[call-arg]
    normal = open_store(normal_settings)
    expected, _ = ingest_files(normal, normal_settings, "snapshot", [path])
    assert report.to_dict() == expected.to_dict() and report.inserted == 198
    assert [e.where for e in report.errors] == [f"{path}:11", f"{path}:21"]
    with engine.connect() as a, normal.connect() as b:
        ids = [r[0] for r in b.execute(select(papers.c.id))]
        assert get_papers(a, ids) == get_papers(b, ids)
        for table in TABLES:
            count = select(func.count()).select_from(table)
            assert a.execute(count).scalar_one() == b.execute(count).scalar_one()

    again, _ = ingest_files(engine, _bulk(settings), "snapshot", [path])
    assert again.unchanged == 198 and again.inserted == again.updated == 0


def test_a_damaged_big_file_keeps_what_came_before_and_the_indexes(
    settings: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(gzip.compress(SNAPSHOT.read_bytes())[:20000])
    seen = _spy(monkeypatch)
    report, failed = ingest_files(engine, _bulk(settings), "snapshot", [truncated])
    assert seen == ["deferred indexes", "child process"]
    assert len(failed) == 1 and failed[0].startswith(f"{truncated} is damaged (truncated")
    assert report.inserted > 0 and any("damaged" in e.reason for e in report.errors)
    assert index_names(engine) == {ix.name for ix in secondary_indexes()}


def test_open_store_rebuilds_indexes_a_killed_bulk_load_left_missing(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        for index in secondary_indexes():
            index.drop(conn)
    assert index_names(engine).isdisjoint(ix.name for ix in secondary_indexes())
    reopened = open_store(settings)
    assert index_names(reopened) == {ix.name for ix in secondary_indexes()}


def test_listing_files_take_the_bulk_path_with_their_listing_date(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings = demo_files()[0][:2]
    engine = open_store(sqlite_settings)
    seen = _spy(monkeypatch)
    report, failed = ingest_files(engine, _bulk(sqlite_settings), "listing", listings)
    assert seen[:2] == ["deferred indexes", "child process"] and not failed
    normal_settings = Settings(data_dir=tmp_path / "normal", _env_file=None)  # type: ignore[call-arg]
    normal = open_store(normal_settings)
    expected, _ = ingest_files(normal, normal_settings, "listing", listings)
    assert report.to_dict() == expected.to_dict() and report.inserted > 100
    with engine.connect() as a, normal.connect() as b:
        ids = [r[0] for r in b.execute(select(papers.c.id))]
        loaded = get_papers(a, ids)
        assert loaded == get_papers(b, ids) and all(p.listing_date for p in loaded.values())


@pytest.mark.parametrize("frozen_before", [False, True], ids=["cli", "served worker"])
def test_a_bulk_load_leaves_the_cycle_collector_as_it_found_it(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, frozen_before: bool
) -> None:
    import gc

    engine = open_store(sqlite_settings)
    thresholds = gc.get_threshold()
    if frozen_before:
        gc.freeze()  # as a served worker does once warm (web/server.py)
    try:
        frozen = gc.get_freeze_count()
        seen: list[object] = []
        real = run._in_child

        def during(*args):  # type: ignore[no-untyped-def]
            seen.append((gc.get_threshold(), gc.get_freeze_count() > 0))
            return real(*args)

        monkeypatch.setattr(run, "_in_child", during)
        report, _ = ingest_files(engine, _bulk(sqlite_settings), "snapshot", [SNAPSHOT])
        assert report.inserted == 200
        assert seen == [((20_000, 20, 100), True)]  # the load ran with fewer collections
        assert gc.get_threshold() == thresholds
        if frozen_before:  # the worker's own freeze, neither undone nor widened (frozen
            assert 0 < gc.get_freeze_count() <= frozen  # objects that died have left it)
        else:
            assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
