"""SIGKILL a real import process mid-way: the store stays consistent and a rerun completes it."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import get_papers, open_store
from paperfeed.store.bulk import secondary_indexes
from paperfeed.store.tables import checkpoints, paper_authors, papers
from tests.test_ingest_bulk import index_names

COPIES = 4


def _snapshot_record(rec: dict, copy: int, n: int) -> str:  # type: ignore[type-arg]
    return json.dumps(
        {
            "id": f"{2000 + copy}.{n:05d}",
            "title": rec["title"],
            "abstract": rec["summary"],
            "authors": ", ".join(rec["authors"]),
            "categories": " ".join(c for c in rec["categories"] if "." in c and c[0].islower()),
            "comments": rec["comment"],
            "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
            "update_date": "2026-07-01",
        }
    )


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt") as handle:
        return handle.readlines()


def _make_snapshot(path: Path) -> int:
    listings, _ = demo_files()
    records = [json.loads(line) for p in listings for line in _lines(p)]
    lines = [_snapshot_record(r, c, n) for c in range(COPIES) for n, r in enumerate(records)]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def _env(settings: Settings, bulk: bool) -> dict[str, str]:
    env = dict(os.environ, PAPERFEED_DATA_DIR=str(settings.data_dir), PAPERFEED_BATCH_SIZE="250")
    # Bulk: the file counts as big (parsed in a child process, indexes rebuilt at the end).
    env["PAPERFEED_BULK_INGEST_BYTES"] = "0" if bulk else str(10**12)
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _kill_mid_import(settings: Settings, engine: Engine, path: Path, total: int, bulk: bool) -> int:
    cmd = [sys.executable, "-m", "paperfeed", "ingest", "snapshot", str(path), "--json"]
    proc = subprocess.Popen(
        cmd, env=_env(settings, bulk), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(engine, checkpoints) and _count(engine, papers) >= 1000:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _count(engine, papers)
    assert 0 < done < total, "the import should have been killed part-way"
    return done


@pytest.mark.parametrize("bulk", [False, True], ids=["normal", "bulk"])
def test_killed_import_resumes_to_the_same_store_as_a_clean_one(
    settings: Settings, engine: Engine, tmp_path: Path, bulk: bool
) -> None:
    path = tmp_path / "snapshot.json"
    total = _make_snapshot(path)
    done = _kill_mid_import(settings, engine, path, total, bulk)
    # Killed mid-bulk-load, the secondary indexes are missing until the store is next opened.
    wanted = {ix.name for ix in secondary_indexes()}
    assert index_names(engine).isdisjoint(wanted) if bulk else index_names(engine) == wanted
    assert index_names(open_store(settings)) == wanted

    with engine.connect() as conn:
        partial = get_papers(conn, [r[0] for r in conn.execute(select(papers.c.id))])
    assert len(partial) == done and all(p.authors and p.versions for p in partial.values())

    rerun = subprocess.run(
        [sys.executable, "-m", "paperfeed", "ingest", "snapshot", str(path), "--json"],
        env=_env(settings, bulk),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert report["read"] < total and report["skipped"] == 0  # it resumed, not restarted
    # ...and says so: "read 1,850" of a file of 3,850 lines looked like records lost
    [note] = [w for w in report["warnings"] if "resumed after line" in w["reason"]]
    assert note["where"] == str(path) and "an earlier run stopped" in note["reason"]

    clean_settings = Settings(data_dir=tmp_path / "clean", _env_file=None)  # type: ignore[call-arg]
    clean = open_store(clean_settings)
    ingest_files(clean, clean_settings, "snapshot", [path])
    with engine.connect() as a, clean.connect() as b:
        ids = [r[0] for r in b.execute(select(papers.c.id))]
        assert _count(engine, papers) == len(ids) == total
        assert _count(engine, paper_authors) == _count(clean, paper_authors)
        assert get_papers(a, ids) == get_papers(b, ids)
        assert all(partial[i] == p for i, p in get_papers(b, list(partial)).items())
    assert _count(engine, checkpoints) == 0


@pytest.mark.parametrize("kind", ["snapshot"])
def test_module_entry_point_exists(kind: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "paperfeed", "ingest", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and kind in out.stdout
