"""Records of absurd size (a title the length of a book, a million authors) are reported and
skipped; the real extremes (arXiv's longest titles, physics papers with ~5,000 authors) are kept."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.ingest.jobs import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import get_paper
from tests.replay import FIXTURES

SNAPSHOT = FIXTURES / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"


def _listing(i: int, **extra: object) -> str:
    record = {"id": f"2601.{i:05d}", "title": f"Paper {i}", "summary": "s", "authors": ["A B"]}
    return json.dumps(record | extra)


def test_oversized_records_are_skipped_with_a_reason_and_real_extremes_kept(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    collaboration = [f"Author{i} Surname{i}" for i in range(5_200)]  # an ATLAS+CMS paper
    long_title = " ".join(["Measurement"] * 40)  # ~480 characters, longer than arXiv's longest
    lines = [_listing(i) for i in range(20)]
    lines[1] = _listing(1, title="Über " + "ünïcödé wörds " * 2_000)
    lines[2] = _listing(2, authors=[f"A{i} B" for i in range(200_000)])
    lines[3] = _listing(3, authors=["N" * 50_000])
    lines[4] = _listing(4, authors=collaboration, title=long_title)
    lines[5] = _listing(5, summary="word " * 400_000)
    path = tmp_path / "2026-01-05.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report, failed = ingest_files(engine, settings, "listing", [path])
    assert not failed
    reasons = {e.where: e.reason for e in report.errors}
    assert set(reasons) == {"2601.00001", "2601.00002", "2601.00003", "2601.00005"}, reasons
    assert "title of 28,004 characters is over the 2,000 limit" in reasons["2601.00001"]
    assert "200,000 authors is over the 20,000 limit" in reasons["2601.00002"]
    assert "author name of 50,000 characters is over the 1,000 limit" in reasons["2601.00003"]
    assert "abstract of 1,999,999 characters is over the 200,000 limit" in reasons["2601.00005"]
    assert report.inserted == 16 and report.skipped == 4
    with engine.connect() as conn:
        kept = get_paper(conn, "2601.00004")
    assert kept is not None and len(kept.authors) == 5_200 and kept.title == long_title


def test_the_bulk_snapshot_path_skips_an_oversized_record_too(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    lines = SNAPSHOT.read_text().splitlines()[:10]
    record = json.loads(lines[3])
    record["authors"] = ", ".join(f"A. Person{i}" for i in range(25_000))
    record.pop("authors_parsed", None)
    lines[3] = json.dumps(record)
    path = tmp_path / "snapshot.json"
    path.write_text("\n".join(lines) + "\n")
    report, failed = ingest_files(engine, settings, "snapshot", [path])
    assert not failed and report.inserted == 9 and report.skipped == 1
    [error] = report.errors
    assert (error.where, error.reason) == (record["id"], "25,000 authors is over the 20,000 limit")
