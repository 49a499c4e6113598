"""Bulk-ingest benchmark: `paperfeed ingest snapshot`, 100 k and 1 M records, SQLite and PostgreSQL.

The input is made from the real papers of `arxiv-daily-cs-listings`, converted to the Kaggle
snapshot format (JSON lines) and replicated under fresh new-style ids that no real paper has
(`30MM.NNNNN` and later), written as plain JSON lines like Kaggle's
`arxiv-metadata-oai-snapshot.json` (or gzipped, `--format gzip`, as the earlier rounds measured).
Each run is the real CLI as a subprocess, with default settings; its wall time and peak RSS are
measured, then the same file is ingested again (all unchanged).

    .venv/bin/python bench/ingest.py                       # 100 k and 1 M, both databases
    .venv/bin/python bench/ingest.py --sizes 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.pgcluster import Cluster

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")  # arXiv categories, not ACM/MSC classes
_LICENSE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
_IDS_PER_MONTH = 99_999
_BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Measured:
    """One CLI run: what it reported and what it cost."""

    backend: str
    records: int
    run: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    report: dict[str, object]
    store_mb: float | None
    load: float
    steal: float | None


def load_listings(data_dir: Path) -> list[tuple[date, dict[str, object]]]:
    """Every unique paper of the daily listings (latest record per id) with its listing day."""
    latest: dict[str, tuple[date, dict[str, object]]] = {}
    files = sorted((data_dir / "arxiv-daily-cs-listings" / "daily").glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no listing files under {data_dir}/arxiv-daily-cs-listings/daily")
    for path in files:
        day = date.fromisoformat(path.name[:10])
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                latest[record["id"]] = (day, record)
    return [latest[pid] for pid in sorted(latest)]


def to_snapshot(day: date, r: dict[str, object]) -> dict[str, object]:
    """One listing record in the snapshot's fields (without `id`, which the replica assigns)."""
    authors = [str(a) for a in r["authors"]]  # type: ignore[attr-defined]
    created = datetime(day.year, day.month, day.day, 18, 0, 0, tzinfo=UTC)
    return {
        "submitter": authors[0] if authors else None,
        "authors": ", ".join(authors),
        "title": r["title"],
        "comments": r["comment"],
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": " ".join(c for c in r["categories"] if _CATEGORY.match(c)),  # type: ignore[attr-defined]
        "license": _LICENSE,
        "abstract": r["summary"],
        "versions": [{"version": "v1", "created": format_datetime(created, usegmt=True)}],
        "update_date": day.isoformat(),
        "authors_parsed": [_parsed_name(a) for a in authors],
    }


def _parsed_name(name: str) -> list[str]:
    parts = name.split()
    return [parts[-1], " ".join(parts[:-1]), ""] if parts else ["", "", ""]


def fresh_id(n: int) -> str:
    """The n-th replica id: new-style `YYMM.NNNNN` from 2030 on, where no real paper exists."""
    month, number = divmod(n, _IDS_PER_MONTH)
    return f"{30 + month // 12:02d}{month % 12 + 1:02d}.{number + 1:05d}"


def templates(papers: list[tuple[date, dict[str, object]]]) -> list[str]:
    """Each paper serialised once; a replica line is `{"id": ...,` plus this tail."""
    return [json.dumps(to_snapshot(day, r), ensure_ascii=False)[1:] for day, r in papers]


def replica_lines(tails: list[str], count: int) -> Iterator[str]:
    """`count` snapshot lines cycling through the real papers under fresh ids."""
    for n in range(count):
        yield f'{{"id": "{fresh_id(n)}", {tails[n % len(tails)]}\n'


def write_snapshot(path: Path, tails: list[str], count: int) -> None:
    """Write a snapshot file of `count` records (gzip when the name ends in .gz)."""
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
            handle.writelines(replica_lines(tails, count))
        return
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(replica_lines(tails, count))


def cli_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of one CLI run: ours, with no stray PAPERFEED_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env["PAPERFEED_DATA_DIR"] = str(data_dir)
    if database_url:
        env["PAPERFEED_DATABASE_URL"] = database_url
    return env


def paperfeed_command() -> list[str]:
    """The installed console script beside this interpreter."""
    script = Path(sys.executable).parent / "paperfeed"
    found = str(script) if script.exists() else shutil.which("paperfeed")
    if not found:
        raise SystemExit("the paperfeed console script is not installed (pip install -e .)")
    return [found]


# A small parent for the CLI: Linux carries the forking process's peak RSS into the child's
# ru_maxrss, so the CLI must not be forked from this (large) process directly.
_MEASURE = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[2:]).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "open(sys.argv[1], 'w').write(f'{u.ru_maxrss} {u.ru_utime + u.ru_stime}'); "
    "sys.exit(rc)"
)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, str]:
    """Run the CLI; return wall seconds, its CPU seconds, its peak RSS in MB and its stdout."""
    rss_file = cwd / "maxrss.txt"
    command = [sys.executable, "-c", _MEASURE, str(rss_file)] + paperfeed_command() + args
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"paperfeed {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    rss_kb, cpu = rss_file.read_text().split()
    return wall, float(cpu), int(rss_kb) / 1024, done.stdout


def ingest(
    backend: str, records: int, run: str, path: Path, env: dict[str, str], cwd: Path
) -> Measured:
    """Time one `paperfeed ingest snapshot FILE --json`."""
    before = cpu_ticks()
    wall, cpu, rss, stdout = run_cli(["ingest", "snapshot", str(path), "--json"], env, cwd)
    steal = stolen_share(before, cpu_ticks())
    load = os.getloadavg()[0]  # the last minute's load, most of a run
    report = json.loads(stdout.strip().splitlines()[-1])
    db = Path(env["PAPERFEED_DATA_DIR"]) / "paperfeed.db"
    size = _sqlite_mb(db) if backend == "sqlite" else None
    return Measured(backend, records, run, wall, cpu, rss, report, size, load, steal)


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time counters (Linux `/proc/stat`: user … steal), or None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            return [int(x) for x in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def stolen_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time its hypervisor gave to others between two readings
    (a virtual machine's "steal"): a run with a high share was slowed from outside."""
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / sum(spent) if sum(spent) else None


def _sqlite_mb(db: Path) -> float:
    files = [db, db.with_name(db.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


def bench_one(
    backend: str, records: int, path: Path, work: Path, url: str | None, rerun: bool = True
) -> list[Measured]:
    """A first import into an empty store, then (unless told not to) a re-run of the same file."""
    data_dir = work / f"{backend}-{records}"
    data_dir.mkdir()
    env = cli_env(data_dir, url)
    run_cli(["init"], env, work)  # migrations outside the timed runs
    results = [ingest(backend, records, "first", path, env, work)]
    print(_row(results[-1]), flush=True)
    if rerun:
        results.append(ingest(backend, records, "re-run", path, env, work))
        print(_row(results[-1]), flush=True)
    if backend == "sqlite":
        shutil.rmtree(data_dir)
    return results


def create_pg_database(cluster_url: str, name: str) -> str:
    """A fresh database in the throwaway cluster."""
    from sqlalchemy import create_engine, text

    admin = create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"


HEADER = (
    "| backend | records | run | wall s | papers/s | CPU s | papers/CPU-s | peak RSS MB "
    "| inserted | unchanged | skipped | store MB | load | steal |\n"
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(m: Measured) -> str:
    r = m.report
    store = f"{m.store_mb:,.0f}" if m.store_mb is not None else "–"
    return (
        f"| {m.backend} | {m.records:,} | {m.run} | {m.wall_s:,.1f} | {m.records / m.wall_s:,.0f} "
        f"| {m.cpu_s:,.1f} | {m.records / m.cpu_s:,.0f} | {m.peak_rss_mb:,.0f} "
        f"| {r['inserted']:,} | {r['unchanged']:,} | {r['skipped']:,} | {store} | {m.load:.1f} "
        f"| {'–' if m.steal is None else f'{m.steal:.0%}'} |"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--backends", nargs="+", choices=_BACKENDS, default=list(_BACKENDS))
    p.add_argument("--no-rerun", action="store_true", help="skip the second, unchanged import")
    p.add_argument("--work-dir", type=Path, default=None, help="scratch folder (default: temp)")
    p.add_argument(
        "--format",
        choices=("json", "gzip"),
        default="json",
        help="the input file: plain JSON lines, as Kaggle's snapshot is (default), or gzipped",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the inputs, run every backend and size, print a Markdown table."""
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="paperfeed-bench-", dir=args.work_dir))
    cluster = _start_pg() if "postgres" in args.backends else None
    try:
        tails = templates(load_listings(args.data_dir))
        print(f"{len(tails):,} unique real papers; work dir {work}", flush=True)
        print(
            f"settings: the CLI's defaults (no PAPERFEED_ setting but the data folder and the "
            f"database); input {'plain JSON lines' if args.format == 'json' else 'gzip'}; "
            f"sizes {args.sizes}; backends {args.backends}",
            flush=True,
        )
        print(HEADER, flush=True)
        for size in args.sizes:
            _bench_size(size, tails, work, args, cluster)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def _bench_size(
    size: int, tails: list[str], work: Path, args: argparse.Namespace, cluster: Cluster | None
) -> None:
    path = work / f"snapshot-{size}.json{'.gz' if args.format == 'gzip' else ''}"
    write_snapshot(path, tails, size)
    for backend in args.backends:
        url = (
            create_pg_database(cluster.url(), f"bench_{size}")
            if cluster and backend == "postgres"
            else None
        )
        bench_one(backend, size, path, work, url, rerun=not args.no_rerun)
    path.unlink()


def _start_pg() -> Cluster:
    sys.path.insert(0, str(REPO))  # the tests' throwaway-cluster helper
    from tests.pgcluster import start_cluster

    try:
        return start_cluster()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"cannot start PostgreSQL ({exc}); use --backends sqlite") from exc


if __name__ == "__main__":
    main()
