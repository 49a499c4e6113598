"""Index refresh right after a large import: what each `serve` worker pays every refresh.

Rows stamped within the last `SETTLE` minutes stay unsettled, so every refresh (each
`search_refresh_seconds`, 30 s by default, in every worker) reads them again to learn whether
they changed. This copies a built data folder (store plus search indexes), moves every paper's
`changed_at` and every vector's `embedded_at` forward by the same amount so that the import looks
as if it had just finished (the stamps keep their spacing), applies that once, then times the
refreshes that find nothing new, with default settings but the data folder.

    python bench/refresh.py --data DIR [--work DIR] [--refreshes 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, bindparam, func, select, update

from paperfeed.search import SearchService
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.search_store import paper_vectors
from paperfeed.store.tables import papers
from paperfeed.util import utcnow


def restamp(engine: Engine) -> int:
    """Move every stamp forward so that the newest is now; returns the papers restamped."""
    with engine.begin() as conn:
        delta = utcnow() - conn.execute(select(func.max(papers.c.changed_at))).scalar_one()
        rows = conn.execute(select(papers.c.id, papers.c.changed_at)).all()
        conn.execute(
            update(papers)
            .where(papers.c.id == bindparam("pid"))
            .values(changed_at=bindparam("at")),
            [{"pid": r.id, "at": r.changed_at + delta} for r in rows],
        )
        found = conn.execute(
            select(
                paper_vectors.c.paper_id, paper_vectors.c.contract_id, paper_vectors.c.embedded_at
            )
        ).all()
        if found:
            conn.execute(
                update(paper_vectors)
                .where(
                    paper_vectors.c.paper_id == bindparam("pid"),
                    paper_vectors.c.contract_id == bindparam("cid"),
                )
                .values(embedded_at=bindparam("at")),
                [
                    {"pid": r.paper_id, "cid": r.contract_id, "at": r.embedded_at + delta}
                    for r in found
                ],
            )
    return len(rows)


def main() -> int:
    """Copy, restamp, refresh; print the settings and a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a built data folder (copied)")
    parser.add_argument("--work", type=Path, help="where the copy goes (a temporary folder)")
    parser.add_argument("--refreshes", type=int, default=3)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="paperfeed-refresh-")) / "data"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(args.data, work, ignore=shutil.ignore_patterns("*.log", "profile-*"))
    settings = Settings(data_dir=work, _env_file=None)  # type: ignore[call-arg]
    engine = open_store(settings)
    count = restamp(engine)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}; {count:,} papers; settings: defaults but data_dir; "
        f"embed_model {settings.embed_model}"
    )
    service = SearchService(settings, engine)
    try:
        started = time.perf_counter()
        applied = service.refresh()
        print(f"first refresh applies the restamped import: {applied:,} papers in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        print("| refresh | applied | wall s | CPU s |")
        print("|---|---|---|---|")
        for n in range(args.refreshes):
            wall, cpu = time.perf_counter(), time.process_time()
            applied = service.refresh()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"| {n + 2} (nothing new) | {applied} | {wall:.2f} | {cpu:.2f} |")
    finally:
        service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
