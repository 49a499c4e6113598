"""File sources: snapshot, daily listings, HF daily papers and plain pages, with bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperfeed.ingest.jobs import demo_files
from paperfeed.ingest.page import parse_page
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import get_paper
from paperfeed.store.stats import store_stats
from paperfeed.store.tables import code_links
from tests.replay import FIXTURES

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
HF = FIXTURES / "hf" / "daily_papers.2024-10-25.first4.json"


def _zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("packing", ["gzip", "zip"])
def test_snapshot_plain_and_packed_give_the_same_store(
    settings: Settings, engine: Engine, tmp_path: Path, packing: str
) -> None:
    # Kaggle serves the snapshot as archive.zip holding arxiv-metadata-oai-snapshot.json.
    packed = tmp_path / f"snap.{packing}"
    if packing == "gzip":
        packed.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    else:
        _zipped(packed, {SNAPSHOT.name: SNAPSHOT.read_bytes()})
    first, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    again, _ = ingest_files(engine, settings, "snapshot", [packed])
    assert not failed and first.inserted == 200 and first.skipped == 0
    assert again.unchanged == 200 and again.inserted == again.updated == 0
    with engine.connect() as conn:
        paper = get_paper(conn, "0704.0001")
        stats = store_stats(conn)
    assert paper is not None and paper.version == 2 and len(paper.versions) == 2
    assert paper.authors[0] == "C. Balázs" and paper.categories == ("hep-ph",)
    assert (
        paper.journal_ref == "Phys.Rev.D76:013009,2007"
        and paper.doi == "10.1103/PhysRevD.76.013009"
    )
    assert stats["papers"] == 200


def test_a_zip_that_is_not_one_readable_file_is_a_clear_error(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    data = SNAPSHOT.read_bytes()
    two = _zipped(tmp_path / "two.zip", {"a.json": data, "b.json": data})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(_zipped(tmp_path / "whole.zip", {"a.json": data}).read_bytes()[:20_000])
    corrupt = tmp_path / "corrupt.zip"
    whole = bytearray((tmp_path / "whole.zip").read_bytes())
    whole[len(whole) // 2 : len(whole) // 2 + 64] = bytes(64)  # zeros mid-stream
    corrupt.write_bytes(bytes(whole))
    report, failed = ingest_files(engine, settings, "snapshot", [two, cut, corrupt])
    assert failed[0] == f"{two} holds 2 files (a.json, b.json): unzip it and import the one meant"
    assert failed[1].startswith(f"{cut} is not a readable zip archive")  # no index at its end
    assert failed[2].startswith(f"{corrupt} is damaged (truncated or corrupt)")
    assert len(failed) == 3 and 0 < report.inserted < 200  # what came before the damage is kept


def test_bad_lines_are_reported_with_file_and_line(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    lines = SNAPSHOT.read_text().splitlines()[:5]
    lines[1] = "{not json"
    lines[3] = json.dumps({"id": "0704.0004", "title": 42})
    path = tmp_path / "bad.json"
    path.write_text("\n".join(lines) + "\n")
    report, _ = ingest_files(engine, settings, "snapshot", [path])
    assert report.inserted == 3 and report.skipped == 2
    assert [e.where for e in report.errors] == [f"{path}:2", f"{path}:4"]
    assert "invalid JSON" in report.errors[0].reason and "'title'" in report.errors[1].reason


def test_missing_and_truncated_files(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(gzip.compress(SNAPSHOT.read_bytes())[:20000])
    report, failed = ingest_files(engine, settings, "snapshot", [tmp_path / "nope.json", truncated])
    assert failed[0] == f"cannot read {tmp_path / 'nope.json'}: No such file or directory"
    # The damaged file fails the run, and what came before the damage is kept.
    assert len(failed) == 2 and failed[1].startswith(f"{truncated} is damaged (truncated")
    assert report.inserted > 0 and any("damaged" in e.reason for e in report.errors)


def test_listing_files_keep_the_listing_date(settings: Settings, engine: Engine) -> None:
    listings, _ = demo_files()
    report, _ = ingest_files(engine, settings, "listing", listings[-1:])
    assert report.inserted > 100 and report.skipped == 0
    with engine.connect() as conn:
        stats = store_stats(conn)
    assert stats["first_listing_date"] == stats["last_listing_date"] == "2026-07-01"
    assert all("." in c or "-" in c for c in stats["top_categories"])  # type: ignore[union-attr]


def test_a_listing_named_without_its_day_is_noted_and_dated_by_option(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    listings, _ = demo_files()
    lines = gzip.decompress(listings[-1].read_bytes()).splitlines()[:5]
    plain = tmp_path / "mylist.jsonl"
    plain.write_bytes(b"\n".join([*lines, lines[0]]))  # one paper listed twice
    report, _ = ingest_files(engine, settings, "listing", [plain])
    assert report.inserted == 5 and [w.where for w in report.warnings] == [str(plain)]
    assert (report.read, report.duplicates) == (6, 1)  # every record read is counted once
    assert report.to_dict()["duplicates"] == 1
    assert "no listing day" in report.warnings[0].reason and "--date" in report.warnings[0].reason
    dated, _ = ingest_files(engine, settings, "listing", [plain], day=date(2026, 7, 1))
    assert (dated.updated, dated.duplicates) == (5, 1) and dated.warnings == []
    with engine.connect() as conn:
        assert store_stats(conn)["last_listing_date"] == "2026-07-01"


def test_hf_daily_papers_keep_signals(settings: Settings, engine: Engine) -> None:
    report, _ = ingest_files(engine, settings, "hf", [HF])
    assert report.inserted == 4
    with engine.connect() as conn:
        paper = get_paper(conn, "2410.17243")
    assert paper is not None and paper.signals is not None and paper.signals.upvotes == 64
    assert paper.signals.submitted_by and paper.listing_date == date(2024, 10, 25)
    assert paper.title.startswith("Breaking the Memory Barrier")


def test_hf_given_a_json_lines_file_says_which_kind_reads_it(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    """`ingest hf` on a listing's JSON lines said only "invalid JSON: Extra data at line 2",
    where the other kinds say whose file it may be."""
    listing = tmp_path / "2026-06-30.jsonl"
    with gzip.open(demo_files()[0][0], "rt") as handle:
        listing.write_text("".join(handle.readlines()[:3]))
    report, failed = ingest_files(engine, settings, "hf", [listing])
    assert report.inserted == 0 and len(failed) == 1
    assert "invalid JSON: Extra data at line 2" in failed[0]
    assert "is it another kind's file? `paperfeed ingest listing`" in failed[0]


def test_page_matches_stored_titles_else_creates_local_papers(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    page = tmp_path / "page.txt"
    page.write_text(
        "New\n\nMar 14\n\nSparsity-certifying Graph Decompositions\n\n"
        + "We describe a new algorithm, the pebble game with colors, and use it to obtain a "
        + "characterization of the family of sparse graphs and algorithmic solutions to a family "
        + "of problems concerning tree decompositions of graphs. More words follow here.\n\n"
        + "A Title With No Abstract\n\nAnother Paper Only On This Page\n"
    )
    (page.parent / "local.txt").write_text(
        "Mar 15\n\nA Paper Only On This Page\n\n" + "Its abstract, long enough to read as one. " * 8
    )
    report, _ = ingest_files(engine, settings, "page", [page, page.parent / "local.txt"], year=2007)
    # A title with its abstract is a paper (a stored one when the title matches, else a local
    # one); a title line alone is one only when it names a stored paper: a stray line of any
    # text file is not made a paper.
    assert (report.read, report.inserted, report.updated, report.skipped) == (4, 1, 1, 2)
    assert {e.where.rsplit(":", 1)[1] for e in report.errors} == {"9", "11"}  # their lines
    assert all("no abstract after it" in e.reason for e in report.errors)
    with engine.connect() as conn:
        matched = get_paper(conn, "0704.0002")
    assert matched is not None and matched.listing_date == date(2007, 3, 14)
    assert (
        matched.source == "snapshot" and matched.title == "Sparsity-certifying Graph Decompositions"
    )


def test_seed_page_parses_into_its_papers() -> None:
    _, seed = demo_files()
    entries = list(parse_page(seed.read_text(), 2026))
    assert len(entries) == 67 and all(e.day == date(2026, 3, 14) for e in entries)
    ncn = [
        e
        for e in entries
        if e.title == "Neural Common Neighbor with Completion for Link Prediction"
    ]
    assert ncn and ncn[0].abstract.startswith("Despite its outstanding performance")


def test_demo_sample_loads_and_is_idempotent(sqlite_settings: Settings, tmp_path: Path) -> None:
    from paperfeed.pipeline import load_demo
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    first = load_demo(engine, sqlite_settings)
    second = load_demo(engine, sqlite_settings)
    assert first.inserted > 2000 and first.skipped == 0
    assert second.inserted == second.updated == 0
    with engine.connect() as conn:
        ncn = conn.exec_driver_sql("select count(*) from papers where title like 'Neural Common%'")
        assert ncn.scalar_one() == 1


def test_code_links_found_in_the_demo(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    _, seed = demo_files()
    shutil.copy(seed, tmp_path / "seed.txt")
    ingest_files(engine, settings, "page", [tmp_path / "seed.txt"], year=2026)
    with engine.connect() as conn:
        query = select(code_links.c.url).where(code_links.c.url.contains("NeuralCommonNeighbor"))
        rows = conn.execute(query).all()
    assert [r[0] for r in rows] == ["https://github.com/GraphPKU/NeuralCommonNeighbor"]
