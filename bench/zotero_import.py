"""Importing a Zotero library through Zotero's Web API, and the daily sync of a kept one.

A store of real papers (the first days of `arxiv-daily-cs-listings`, ingested by the product
until it holds at least --papers), a Zotero library of --items CSL-JSON items as Zotero keeps
arXiv preprints (95 % of them papers of the store, by their arXiv address; the rest journal
articles that are not here), served by a local HTTP server that pages it as Zotero's Web API
does (a hundred items a request, `Total-Results`, `Last-Modified-Version`, `since`). Through the
site's own API (`create_app`, default settings but the Zotero address and the data folder):

1. `POST /api/me/library/import/zotero` with `keep`: the whole library read and imported;
2. --new items added in Zotero, then the pipeline's `zotero` job the next day (its own code,
   `registry`'s job): only what changed is read;
3. --removed items deleted in Zotero, then the job the day after: the keys of the items the
   library holds now are read (`format=keys`) and their papers taken out of the library;
4. the job again the day after, nothing changed.

Each is run --repeat times on a fresh reader; the table gives the median and the slowest.

    python bench/zotero_import.py [--papers 12000] [--items 10000] [--new 20] [--removed 20]
                                  [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from paperfeed.ingest.jobs import ingest_files
from paperfeed.pipeline import Context, find_job
from paperfeed.settings import Settings
from paperfeed.store import accounts, open_store
from paperfeed.store.tables import papers
from paperfeed.store.zotero_links import zotero_links
from paperfeed.web.app import create_app
from paperfeed.web.auth.credentials import hash_new_password

REPO = Path(__file__).resolve().parents[1]
LISTINGS = REPO / ".." / "shared" / "data" / "arxiv-daily-cs-listings" / "daily"
KEY = "P9NiFoyLeZu2bZNvvuQPDWsd"
PASSWORD = "a bench reader's passphrase"
EDITS = [0]  # bumped when an item of a library is changed in place (the server reads it again)


@contextmanager
def zotero_server(libraries: dict[str, list[Any]]) -> Iterator[tuple[str, list[int]]]:
    """Zotero's Web API over the libraries (path to items; an item's version is its place in
    the list unless its "_v" says otherwise, one with "_gone" was removed then; the library's
    version is the highest), with `format=keys`, and a count of the requests it answered."""
    asked = [0]
    seen: dict[Any, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            held = libraries.get(parts.path)
            asked[0] += 1
            if held is None or self.headers.get("Zotero-API-Key") != KEY:
                self.send_response(404 if held is None else 403)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            # read once per state of the library (its paging would read it a hundred times)
            state = (parts.path, len(held), EDITS[0])
            if state not in seen:
                versions = [(int(it.get("_v", n)), it) for n, it in enumerate(held, 1)]
                live = [(v, it) for v, it in versions if not it.get("_gone")]
                seen[state] = (max((v for v, _it in versions), default=0), live)
            version, live = seen[state]
            if params.get("format") == "keys":
                body = "".join(str(it["id"]).rsplit("/", 1)[-1] + "\n" for _v, it in live).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Last-Modified-Version", str(version))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            since = int(params.get("since", 0))
            if (state, since) not in seen:
                seen[(state, since)] = [it for v, it in live if v > since]
            items = seen[(state, since)]
            start, limit = int(params.get("start", 0)), min(int(params.get("limit", 25)), 100)
            body = json.dumps({"items": items[start : start + limit]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.citationstyles.csl+json")
            self.send_header("Total-Results", str(len(items)))
            self.send_header("Last-Modified-Version", str(version))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def fill_store(engine: Engine, settings: Settings, wanted: int) -> dict[str, str]:
    """Ingest listing days until the store holds `wanted` papers; their ids and abstracts."""
    days = sorted(LISTINGS.glob("*.jsonl.gz"))
    batch: list[Path] = []
    for path in days:
        batch.append(path)
        if len(batch) == 10:
            ingest_files(engine, settings, "listing", batch)
            batch = []
            with engine.connect() as conn:
                if conn.execute(select(func.count()).select_from(papers)).scalar_one() >= wanted:
                    break
    with engine.connect() as conn:
        rows = conn.execute(select(papers.c.id, papers.c.abstract).order_by(papers.c.id))
        return {pid: abstract for pid, abstract in rows}


def item(n: int, pid: str | None, abstract: str) -> dict[str, object]:
    """An item as Zotero gives it in CSL-JSON (with its abstract, as Zotero keeps it): an arXiv
    preprint, or a journal article."""
    if pid is None:
        return {
            "id": f"1/J{n:07d}",
            "type": "article-journal",
            "title": f"Wet-lab protocol {n}",
            "DOI": f"10.1000/protocol.{n}",
            "author": [{"family": "Moss", "given": "Kim"}],
            "abstract": abstract,
        }
    return {
        "id": f"1/A{n:07d}",
        "type": "article",
        "title": f"Preprint {pid}",
        "URL": f"http://arxiv.org/abs/{pid}",
        "number": f"arXiv:{pid}",
        "note": f"arXiv:{pid} [cs]",
        "author": [{"family": "Doe", "given": "Jane"}],
        "abstract": abstract,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=12_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--new", type=int, default=20)
    ap.add_argument("--removed", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zotero-bench-"))
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}"
    )
    print(
        f"settings: defaults, but data_dir={work.name} and zotero_api_url=<local server>; "
        f"--papers {args.papers} --items {args.items} --new {args.new} "
        f"--removed {args.removed} --repeat {args.repeat}"
    )
    base = Settings(data_dir=work / "data", _env_file=None)
    engine = open_store(base)
    started = time.perf_counter()
    abstracts = fill_store(engine, base, args.papers)
    ids = list(abstracts)
    print(f"store: {len(ids):,} papers ingested in {time.perf_counter() - started:.1f} s")
    size = len(
        json.dumps([item(n, pid, abstracts[pid]) for n, pid in enumerate(ids[: args.items])])
    )
    print(f"the library as Zotero sends it: {size / 1e6:.1f} MB of CSL-JSON")
    stored = ids[: int(args.items * 0.95)]
    extra = ids[len(stored) : len(stored) + args.new * (args.repeat + 1)]
    rows: dict[str, list[float]] = {
        "import (keep)": [],
        "sync, new items": [],
        "sync, items removed": [],
        "sync, none": [],
    }
    requests: dict[str, list[int]] = {k: [] for k in rows}
    for run in range(args.repeat):
        path = f"/users/{100 + run}/items/top"
        held = [item(n, pid, abstracts[pid]) for n, pid in enumerate(stored)]
        held += [item(n, None, abstracts[ids[n]]) for n in range(len(stored), args.items)]
        with zotero_server({path: held}) as (url, asked):
            settings = base.model_copy(update={"zotero_api_url": url})
            app = create_app(settings, engine)
            name = f"reader{run}"
            with engine.begin() as conn:
                accounts.create_user(conn, name, hash_new_password(PASSWORD))
            with TestClient(app) as c:
                token = c.post("/api/login", json={"username": name, "password": PASSWORD})
                auth = {"Authorization": f"Bearer {token.json()['token']}"}
                body = {"id": str(100 + run), "key": KEY, "keep": True}
                t0, n0 = time.perf_counter(), asked[0]
                got = c.post("/api/me/library/import/zotero", json=body, headers=auth)
                rows["import (keep)"].append(time.perf_counter() - t0)
                requests["import (keep)"].append(asked[0] - n0)
                assert got.status_code == 200, got.text
                assert got.json()["added"] == len(stored), got.json()["added"]
            # papers saved in Zotero since; the next day's and the day after's daily job
            fresh = extra[run * args.new : (run + 1) * args.new]
            held += [item(len(held) + n, pid, abstracts[pid]) for n, pid in enumerate(fresh)]
            job = find_job("zotero")
            assert job is not None
            steps = (("sync, new items", 1), ("sync, items removed", 2), ("sync, none", 3))
            for label, days in steps:
                if label == "sync, items removed":  # deleted in Zotero: the library moves on
                    top = len(held) + 1
                    for n in range(args.removed):
                        held[n * 7] = held[n * 7] | {"_gone": True, "_v": top + n}
                    EDITS[0] += 1
                when = datetime.now(UTC) + timedelta(days=days)
                with engine.begin() as conn:  # the other readers' links are not due
                    conn.execute(update(zotero_links).values(synced_at=when.replace(tzinfo=None)))
                    conn.execute(
                        update(zotero_links)
                        .where(zotero_links.c.library_id == str(100 + run))
                        .values(synced_at=(when - timedelta(days=1)).replace(tzinfo=None))
                    )
                t0, n0 = time.perf_counter(), asked[0]
                counts = job.run(Context(engine, settings, clock=lambda w=when: w))
                rows[label].append(time.perf_counter() - t0)
                requests[label].append(asked[0] - n0)
                expected = len(fresh) if label == "sync, new items" else 0
                assert counts["added"] == expected and counts["synced"] == 1, counts
                taken = args.removed if label == "sync, items removed" else 0
                assert counts["removed"] == taken, counts
            app.state.site.close()
    print()
    print("| step | median s | slowest s | Zotero requests |")
    print("|---|---:|---:|---:|")
    for label, times in rows.items():
        print(
            f"| {label} | {statistics.median(times):.2f} | {max(times):.2f} | "
            f"{statistics.median(requests[label]):.0f} |"
        )
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
