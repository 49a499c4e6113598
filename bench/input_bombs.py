"""Input-bomb benchmark: each hostile input file is refused (or skipped) in bounded memory and time.

Runs `paperfeed ingest` in a fresh process per case on a fresh SQLite store and reports its exit
status, wall time, peak RSS and the first error line. Cases (sizes set by --scale, in MB):

- a listing file whose middle line is SCALE MB long (the cap is 10 MB per line);
- a .gz that inflates to SCALE MB of spaces (a gzip bomb of about SCALE KB);
- a .gz cut in half (damaged);
- an HF daily-papers file of 100,000 nested `[`;
- a listing line of 50,000 nested `[`.

    .venv/bin/python bench/input_bombs.py              # 1 GB line and 1 GB bomb
    .venv/bin/python bench/input_bombs.py --scale 200
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MB = 1 << 20


def _record(i: int) -> str:
    return json.dumps({"id": f"2601.{i:05d}", "title": f"Paper {i}"}) + "\n"


def huge_line(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "2026-01-05.jsonl"
    with path.open("w") as handle:
        handle.write(_record(1))
        handle.write('{"id": "2601.00002", "title": "')
        block = "x" * MB
        for _ in range(scale):
            handle.write(block)
        handle.write('"}\n' + _record(3))
    return "listing", path


def gzip_bomb(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "2026-01-06.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(_record(1).encode())
        block = b" " * MB
        for _ in range(scale):
            handle.write(block)
    return "listing", path


def damaged_gzip(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "2026-01-07.jsonl.gz"
    data = gzip.compress("".join(_record(i) for i in range(1, 20_001)).encode())
    path.write_bytes(data[: len(data) // 2])
    return "listing", path


def nested_hf(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "hf.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return "hf", path


def nested_line(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "2026-01-08.jsonl"
    path.write_text(_record(1) + "[" * 50_000 + "\n" + _record(3))
    return "listing", path


def baseline(folder: Path, scale: int) -> tuple[str, Path]:
    path = folder / "2026-01-04.jsonl"
    path.write_text(_record(1) + _record(2))
    return "listing", path


CASES: dict[str, Callable[[Path, int], tuple[str, Path]]] = {
    "baseline (2 records)": baseline,
    "huge line": huge_line,
    "gzip bomb": gzip_bomb,
    "damaged .gz": damaged_gzip,
    "nested HF JSON": nested_hf,
    "nested JSON line": nested_line,
}


def run_case(kind: str, path: Path, data_dir: Path) -> tuple[int, float, float, str]:
    """Exit status, seconds, peak RSS (MB) and the first error line of one ingest."""
    env = os.environ | {"PAPERFEED_DATA_DIR": str(data_dir), "PYTHONPATH": "src"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    command = [sys.executable, "-m", "paperfeed", "ingest", kind, str(path), "--json"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    lines = out.strip().splitlines()
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    errors = [e["reason"] for e in summary.get("errors", [])] or err.strip().splitlines() or [""]
    stored = f"stored {summary.get('inserted', 0)}; "
    rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return os.waitstatus_to_exitcode(status), seconds, rss_mb, stored + errors[0][:90]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1024, help="MB for the huge line and bomb")
    args = parser.parse_args()
    print(f"scale {args.scale} MB, python {sys.version.split()[0]}, one process per case")
    print("| case | input on disk | exit | wall | peak RSS | outcome |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, build in CASES.items():
            kind, path = build(folder, args.scale)
            size = path.stat().st_size / MB
            code, seconds, rss, reason = run_case(kind, path, folder / ("data-" + name.split()[0]))
            print(
                f"| {name} | {size:,.1f} MB | {code} | {seconds:.1f} s | {rss:,.0f} MB | {reason} |"
            )
            path.unlink()


if __name__ == "__main__":
    main()
