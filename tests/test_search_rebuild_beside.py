"""A keyword index rebuilt beside the one searches read (an upgrade the queries can still read,
`paperfeed reindex`), swapped in when done; similar papers during a build from scratch; two
workers finding the index deleted; `serve` ending with status 0 on SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.search import SearchService, embed_papers
from paperfeed.search.beside import beside
from paperfeed.search.keyword import SCHEMA_VERSION, KeywordIndex, folder_lock, saved_state
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store import upsert_papers
from tests.digest_support import free_port
from tests.web_support import client, web_settings

BRIDGE = Paper(
    id="2606.99901",
    title="Schrödinger bridges between point clouds",
    abstract="We match two point clouds with an entropic Schrödinger bridge.",
    authors=("Thomas Müller",),
    source="test",
)
LATE = Paper(
    id="2606.99902",
    title="Quokka populations on Rottnest Island",
    abstract="A census of quokkas.",
    authors=("Ada Lovelace",),
    source="test",
)


def _built(settings: Settings, engine: Engine, schema: int = SCHEMA_VERSION) -> Path:
    """The store's keyword index, built, its state file's schema set to `schema`."""
    with engine.begin() as conn:
        upsert_papers(conn, [BRIDGE])
    service = SearchService(settings, engine)
    service.refresh()
    service.close()
    folder = settings.index_dir / "keyword"
    state = json.loads((folder / "paperfeed-state.json").read_text())
    (folder / "paperfeed-state.json").write_text(json.dumps(state | {"schema": schema}))
    return Path(folder)


def _papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(db.count_papers(conn))


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 120  # a hang guard, not a measurement
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_searches_answer_from_the_old_index_while_the_upgraded_one_is_built_beside(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    live = _built(settings, engine, SCHEMA_VERSION - 1)
    # Another worker is building the new index beside it (it holds the new folder's writer).
    writer = KeywordIndex(beside(live)).index.writer(15_000_000, 1)
    try:
        with client(settings, engine) as c:
            with engine.begin() as conn:
                upsert_papers(conn, [LATE])  # ingested during the rebuild
            page = c.get("/search", params={"q": "Schroedinger bridge"})
            assert page.status_code == 200, page.text
            assert "/papers/2606.99901" in page.text and "being built" not in page.text
            api = c.get("/api/papers/search", params={"q": "Schrödinger", "mode": "keyword"})
            assert api.status_code == 200 and "2606.99901" in api.text
            assert c.get("/feeds/search.rss", params={"q": "Schrödinger"}).status_code == 200
            assert saved_state(live)[0] == SCHEMA_VERSION - 1  # not wiped
            writer.rollback()
            writer.wait_merging_threads()  # that worker stopped: this one goes on and swaps
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            assert saved_state(live) == (SCHEMA_VERSION, None) and not beside(live).exists()
            found = c.get("/search", params={"q": "quokka", "mode": "keyword"})
            assert found.status_code == 200 and "/papers/2606.99902" in found.text
            assert KeywordIndex(live).num_docs == _papers(engine)
    finally:
        del writer


CHILD = """
import os, signal, sys
from paperfeed.search.beside import start_beside
from paperfeed.settings import Settings
from paperfeed.store import open_store, search_store as db

settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, _env_file=None)
engine = open_store(settings)
upcoming = start_beside(settings.index_dir / "keyword")  # what `paperfeed reindex` builds in
with engine.connect() as conn:
    upcoming.begin_build(db.count_papers(conn))
    def batches():
        for n, batch in enumerate(db.changed_papers(conn, None, batch=2)):
            if n == 3:  # three batches of two written, each committed: killed here
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch
    upcoming.apply(batches(), commit_every=2)
"""


def test_a_reindex_killed_half_way_leaves_the_old_index_answering_and_goes_on(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    live = _built(settings, engine)
    shown = KeywordIndex(live).num_docs
    url = settings.database_url or ""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(settings.data_dir), url], capture_output=True, text=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    total = _papers(engine)
    build = saved_state(beside(live))[1]
    assert build is not None and (build.done, build.total) == (6, total)
    service = SearchService(settings, engine)
    try:  # the next start: the old index is kept, the build goes on from 6
        assert service.keyword.num_docs == shown
        assert service.refresh() == total - 6
        assert not beside(live).exists() and saved_state(live) == (SCHEMA_VERSION, None)
        assert service.keyword.num_docs == shown
        assert [h.id for h in service.search("Mueller", mode="keyword").hits] == [BRIDGE.id]
        service.rebuild()  # `paperfeed reindex`, to its end: built beside, swapped in
        assert not beside(live).exists() and service.keyword.num_docs == shown
    finally:
        service.close()


def test_similar_papers_are_whole_while_the_index_is_built_from_scratch(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    embed_papers(settings, engine)
    live = _built(settings, engine)
    with engine.connect() as conn:
        pid = next(r.id for batch in db.changed_papers(conn, None) for r in batch if not r.hidden)
    service = SearchService(settings, engine)
    whole = [h.id for h in service.similar(pid, limit=10)]
    service.close()
    assert len(whole) == 10
    # The index deleted and built again from scratch: two papers in so far, a worker writing.
    partial = KeywordIndex(live)
    partial.clear()
    partial.begin_build(_papers(engine))
    with engine.connect() as conn:
        partial.apply([next(db.changed_papers(conn, None, batch=2))])
    writer = partial.index.writer(15_000_000, 1)
    again = SearchService(settings, engine)
    try:
        again.refresh()  # loads the vectors; the keyword build is another worker's
        assert again.keyword.build is not None
        assert [h.id for h in again.similar(pid, limit=10)] == whole
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        again.close()


def _waiting_on(lock: Path, waiters: int) -> bool:
    """Whether `waiters` flocks wait on this file (/proc/locks marks them with '->')."""
    inode = f":{lock.stat().st_ino} "
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and inode in line) >= waiters


def test_two_workers_finding_the_index_deleted_build_it_once(
    site: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    live = _built(settings, engine)
    workers = [SearchService(settings, engine) for _ in range(2)]
    for worker in workers:
        worker.refresh()
    shown = workers[0].keyword.num_docs
    shutil.rmtree(live)
    lock = live.parent / f".{live.name}.lock"
    caplog.set_level(logging.WARNING, logger="paperfeed.search.service")
    try:
        with folder_lock(live):  # both find it deleted before either builds it again
            threads = [threading.Thread(target=w.refresh) for w in workers]
            for thread in threads:
                thread.start()
            _until(lambda: _waiting_on(lock, 2), "the workers never reached the folder lock")
        for thread in threads:
            thread.join(timeout=120)
        said = [r for r in caplog.records if "was deleted" in r.getMessage()]
        assert len(said) == 1, said  # one builds it; the other opens what that one builds
        for worker in workers:
            worker.refresh()
            worker.keyword.reload()  # see what the other wrote (tantivy reloads a moment later)
        assert saved_state(live) == (SCHEMA_VERSION, None)
        assert [w.keyword.num_docs for w in workers] == [shown, shown]
        assert all([h.id for h in w.search("Mueller", mode="keyword").hits] for w in workers)
    finally:
        for worker in workers:
            worker.close()


def test_serve_with_one_worker_ends_with_status_0_on_sigterm(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    import http.client

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")} | {
        "PAPERFEED_DATA_DIR": str(sqlite_settings.data_dir),
        "PAPERFEED_SECRET_KEY": "k" * 40,
        "PAPERFEED_EMBED_MODEL": "static",
        "PYTHONPATH": str(Path(__file__).parent.parent / "src"),
    }
    cmd = [sys.executable, "-m", "paperfeed", "serve", "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(
        [*cmd, "--no-jobs", "--no-digests"], env=env, stderr=subprocess.PIPE, text=True
    )

    def up() -> bool:
        assert proc.poll() is None, "serve exited"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    try:
        _until(up, "serve did not come up")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr


def test_writers_saving_the_index_state_at_once_never_take_each_others_file(
    tmp_path: Path,
) -> None:
    """Two refreshes (threads or processes) saving how far the index has read: each writes its
    own temporary file before the atomic rename, so neither renames a file the other already
    moved (the full run's FileNotFoundError in a refresh thread)."""
    from types import SimpleNamespace

    holder = SimpleNamespace(path=tmp_path)
    failed: list[BaseException] = []

    def save(n: int) -> None:
        try:
            for i in range(400):
                KeywordIndex._save_state(holder, {"writer": n, "i": i})  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001  (any failure, reported below)
            failed.append(error)

    writers = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert failed == []
    state = json.loads((tmp_path / "paperfeed-state.json").read_text())
    assert state["i"] == 399
    assert list(tmp_path.glob("*.tmp")) == []  # each temporary file renamed into place
