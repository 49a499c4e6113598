"""A full disk: writes get a clear 507 or error, reads go on, nothing stored is lost.

The `small_disk` tests mount a real tmpfs of a few MB and fill it (root only; they skip with the
reason elsewhere). The `page_limit` tests need no root: SQLite's `max_page_count` gives the
SQLITE_FULL error a full disk gives, through the same handling.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from paperfeed.ingest import files
from paperfeed.ingest.run import StoreFull
from paperfeed.pipeline import ingest_files
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.tables import papers
from paperfeed.util import DiskFull, is_disk_full
from tests.digest_support import Sink
from tests.disk_support import Disk, page_limit, small_disk, truncate_wal
from tests.web_support import (
    DAYS,
    bearer,
    client,
    csrf_token,
    fill_store,
    on_day,
    web_settings,
)

PASSWORD = "correct horse battery"
SNAPSHOT = (
    Path(__file__).parent / "fixtures" / "snapshot" / "arxiv-metadata-oai-snapshot.head200.json"
)
SNAPSHOT_IDS = 200
# Random text: a comment this long needs new pages in any store (it does not compress).
LONG = " ".join(os.urandom(6).hex() for _ in range(1200))


def _bearer(c: TestClient, username: str) -> dict[str, str]:
    return bearer(c, username, PASSWORD)


def _comment(c: TestClient, pid: str, auth: dict[str, str], body: str = LONG):  # type: ignore[no-untyped-def]
    return c.post(f"/api/papers/{pid}/comments", json={"body": body}, headers=auth)


def _integrity(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("PRAGMA integrity_check")).scalar_one())


def _paper_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())


# --- recognising the error -------------------------------------------------------------------


def test_disk_full_is_recognised_in_every_form_and_nothing_else_is() -> None:
    full = sqlite3.connect(":memory:")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count=2")
    with pytest.raises(sqlite3.OperationalError) as caught:
        full.execute("INSERT INTO t VALUES (randomblob(100000))")
    wrapped = OperationalError("INSERT …", {}, caught.value)
    assert is_disk_full(caught.value) and is_disk_full(wrapped)
    assert is_disk_full(OperationalError("UPDATE …", {}, psycopg.errors.DiskFull("no space")))
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(DiskFull("the search index's disk is full"))
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("writing failed") from exc
    except RuntimeError as exc:
        assert is_disk_full(exc)
    locked = OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))
    assert not is_disk_full(locked)
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(ValueError("no space"))


# --- without root: SQLite's page limit -------------------------------------------------------


def test_a_full_store_gives_507_reads_go_on_and_the_write_succeeds_once_freed(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[1]))[0]
    with client(settings, engine) as c, page_limit(engine) as limit:
        auth = _bearer(c, "ada")
        assert c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code == 200
        limit.fill()
        refused = _comment(c, pid, auth)
        assert refused.status_code == 507, refused.text
        assert "disk is full" in refused.json()["detail"] and refused.headers["retry-after"]
        paper = c.get(f"/api/papers/{pid}")
        assert paper.status_code == 200 and paper.json()["numComments"] == 0
        assert paper.json()["upvotes"] >= 1
        assert c.get("/").status_code == 200
        limit.free()
        assert _comment(c, pid, auth).status_code == 201
        assert c.get(f"/api/papers/{pid}").json()["numComments"] == 1
    assert _integrity(engine) == "ok"
    engine.dispose()


@pytest.mark.parametrize("bulk", [False, True], ids=["batches", "bulk-load"])
def test_an_ingest_that_fills_the_store_stops_clearly_and_a_rerun_resumes(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    monkeypatch.setattr(files, "CHECKPOINT_EVERY", 10)  # the fixture has 200 lines
    big = 1 if bulk else 1 << 40  # bulk: indexes dropped, parsing in a child process
    changes = {"batch_size": 20, "embed_on_ingest": False, "bulk_ingest_bytes": big}
    settings = sqlite_settings.model_copy(update=changes)
    engine = open_store(settings)
    with page_limit(engine) as limit:
        limit.fill()
        assert limit.pages is not None
        limit.pages += 60  # room for a few batches, not for the whole file
        report, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
        assert len(failed) == 1 and "the disk is full" in failed[0], failed
        where = re.search(r"this file stopped after its line (\d+)", failed[0])
        assert where and "run the same command again" in failed[0], failed
        stored = _paper_count(engine)
        assert 0 < stored < SNAPSHOT_IDS and report.inserted == stored
        assert _integrity(engine) == "ok"
        limit.free()
        again, failed = ingest_files(engine, settings, "snapshot", [SNAPSHOT])
    line = int(where[1])
    assert 0 < line <= stored
    assert not failed and again.read == SNAPSHOT_IDS - line  # resumed, not started over
    assert again.inserted == SNAPSHOT_IDS - stored and again.unchanged == stored - line
    assert _paper_count(engine) == SNAPSHOT_IDS
    engine.dispose()


def test_run_source_names_the_disk_full_error(sqlite_settings: Settings) -> None:
    from paperfeed.ingest.run import run_source
    from paperfeed.ingest.snapshot import SnapshotSource

    engine = open_store(sqlite_settings)
    with page_limit(engine) as limit:
        limit.fill()
        with pytest.raises(StoreFull, match="the disk is full") as caught:
            run_source(engine, SnapshotSource(SNAPSHOT), batch_size=50)
    assert caught.value.report is not None and caught.value.report.inserted == 0
    assert is_disk_full(caught.value)
    engine.dispose()


# --- a real full disk (a tmpfs; root) -------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


def _writes(c: TestClient, pid: str, auth: dict[str, str]) -> dict[str, int]:
    """One of each web write: sign up, vote, comment, save to the library, subscribe."""
    token = csrf_token(c, "/signup")
    form = {"username": "bob", "password": PASSWORD, "csrf_token": token}
    return {
        "sign up": c.post("/signup", data=form, follow_redirects=False).status_code,
        "vote": c.post(f"/api/papers/{pid}/upvote", headers=auth).status_code,
        "comment": _comment(c, pid, auth).status_code,
        "save": c.post("/api/me/library", json={"paper_id": pid}, headers=auth).status_code,
        "subscribe": c.post(
            "/api/subscribe", json={"email": "ann@example.org", "frequency": "daily"}
        ).status_code,
    }


@pytest.mark.slow
def test_serve_on_a_full_disk_answers_507_reads_and_recovers_without_restart(
    disk: Disk, tmp_path: Path, sink: Sink
) -> None:
    base = Settings(data_dir=disk.path / "data", smtp_port=sink.port, _env_file=None)  # type: ignore[call-arg]
    settings = web_settings(base, digest_send_rate=0)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid, other = sorted(on_day(engine, DAYS[1]))[:2]
    with client(settings, engine) as c:
        auth = _bearer(c, "ada")
        assert c.post(f"/api/papers/{other}/upvote", headers=auth).status_code == 200
        assert _comment(c, other, auth, "kept").status_code == 201
        assert c.get("/api/papers/search", params={"q": "model"}).status_code == 200
        signin = {"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(c, "/signin")}
        assert c.post("/signin", data=signin, follow_redirects=False).status_code == 303
        truncate_wal(engine)
        disk.fill()
        signed_in = [c.get(path).status_code for path in ("/", "/library", "/for-you", "/daily")]
        assert set(signed_in) == {200}, signed_in
        c.cookies.clear()
        full = _writes(c, pid, auth)
        assert set(full.values()) == {507}, full
        page = c.post("/signup", data={"username": "eve", "password": PASSWORD}, headers={})
        assert page.status_code in (400, 403, 507) and "went wrong" not in page.text
        reads = [
            c.get("/").status_code,
            c.get(f"/api/papers/{other}").status_code,
            c.get(f"/papers/{other}").status_code,
            c.get("/api/papers/search", params={"q": "model"}).status_code,
            c.get("/api/trending", params={"limit": 5}).status_code,
            c.get("/api/me/library", headers=auth).status_code,
            c.get("/api/me/feed", headers=auth).status_code,
            c.get("/feeds/daily.atom").status_code,
            c.get(f"/papers/{other}/bibtex").status_code,
        ]
        assert set(reads) == {200}, reads
        kept = c.get(f"/api/papers/{other}").json()
        assert kept["upvotes"] >= 1 and kept["numComments"] == 1
        disk.free()
        again = _writes(c, pid, auth)
        assert again == {"sign up": 303, "vote": 200, "comment": 201, "save": 201, "subscribe": 202}
    assert _integrity(engine) == "ok"
    engine.dispose()


def _ingest(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "PAPERFEED_DATA_DIR": str(data_dir),
        "PAPERFEED_EMBED_ON_INGEST": "false",
        "PAPERFEED_BATCH_SIZE": "20",
    }
    command = [sys.executable, "-m", "paperfeed", "ingest", "snapshot", str(SNAPSHOT), "--json"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_ingest_on_a_full_disk_exits_1_naming_where_it_stopped_and_a_rerun_finishes(
    disk: Disk,
) -> None:
    settings = Settings(data_dir=disk.path / "data", _env_file=None)  # type: ignore[call-arg]
    open_store(settings).dispose()  # an existing store, then the disk fills during the import
    disk.fill()
    disk.leave(256 * 1024)
    first = _ingest(settings.data_dir)
    assert first.returncode == 1, first.stderr
    said = " ".join(first.stderr.split())  # the console wraps long lines
    assert "the disk is full" in said and "run the same command again" in said
    assert "this file stopped after its paper 0704.0" in said  # no line checkpoint
    assert "Traceback" not in first.stderr
    stopped = json.loads(first.stdout)
    engine = open_store(settings)
    stored = _paper_count(engine)
    assert 0 < stored < SNAPSHOT_IDS and stopped["inserted"] == stored
    assert _integrity(engine) == "ok"
    disk.free()
    second = _ingest(settings.data_dir)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["inserted"] == SNAPSHOT_IDS - stored
    assert _paper_count(engine) == SNAPSHOT_IDS
    assert _integrity(engine) == "ok"
    engine.dispose()


@pytest.mark.slow
def test_search_index_on_a_full_disk_keeps_answering_and_catches_up_once_freed(
    disk: Disk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from paperfeed.models import Paper
    from paperfeed.search import SearchService
    from paperfeed.store import upsert_papers

    base = Settings(  # type: ignore[call-arg]
        data_dir=disk.path / "data",
        database_url=f"sqlite:///{tmp_path / 'store.db'}",  # the store is not on the full disk
        _env_file=None,
    )
    settings = web_settings(base)  # refresh on every search: a failed write meets the request
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    service = SearchService(settings, engine)
    try:
        before = service.search("model", mode="keyword").hits
        assert before
        disk.fill()
        new = Paper(id="2606.66666", title="Echidna snout mechanics", abstract="Echidnas.")
        with engine.begin() as conn:
            upsert_papers(conn, [new])
        assert [h.id for h in service.search("model", mode="keyword").hits] == [
            h.id for h in before
        ]
        assert not service.search("echidna snout", mode="keyword").hits
        assert "search indexes could not be updated" in caplog.text
        assert service.search("echidna snout", mode="keyword").total == 0  # no crash on retry
        disk.free()
        assert service.search("echidna snout", mode="keyword").hits[0].id == "2606.66666"
    finally:
        service.close()
        engine.dispose()


class _FillingMailer:
    """The real SMTP mailer; the disk fills just after the server accepts the third message."""

    def __init__(self, settings: Settings, disk: Disk, engine: Engine) -> None:
        from paperfeed.digest.deliver import SmtpMailer

        self.real, self.disk, self.engine, self.sent = SmtpMailer(settings), disk, engine, 0

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        self.real.send(sender, recipient, message)
        self.sent += 1
        if self.sent == 3:
            truncate_wal(self.engine)
            self.disk.fill()

    def close(self) -> None:
        self.real.close()

    def another(self) -> None:
        """One session: the disk fills after exactly the third message."""
        return None


@pytest.mark.slow
def test_digests_on_a_full_disk_mark_nothing_sent_that_was_not_and_resume(
    disk: Disk, demo_settings: Settings, sink: Sink
) -> None:
    from collections import Counter

    from paperfeed.digest.deliver import SmtpMailer
    from paperfeed.digest.schedule import run_due
    from paperfeed.digest.subscribe import confirm, request_subscription
    from paperfeed.store.digest_tables import outbox
    from tests.digest_support import copy_newest_papers

    s = Settings(  # type: ignore[call-arg]
        data_dir=disk.path / "data",
        smtp_port=sink.port,
        secret_key="d" * 32,
        digest_send_rate=0,
        _env_file=None,
    )
    engine = open_store(s)
    copy_newest_papers(demo_settings, engine, 1)
    addresses = [f"reader{i}@example.org" for i in range(6)]
    for address in addresses:
        request_subscription(engine, s, SmtpMailer(s), address, {"max_papers": 3})
        body = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        confirm(engine, s, body.split("confirm?token=")[1].split()[0])
    sink.received.clear()
    mailer = _FillingMailer(s, disk, engine)
    with pytest.raises(Exception) as caught:
        run_due(engine, s, mailer, due_all=True)
    mailer.close()
    assert is_disk_full(caught.value)
    states = select(outbox.c.status, outbox.c.recipient).where(outbox.c.kind == "digest")
    with engine.connect() as conn:
        marked = [r.recipient for r in conn.execute(states) if r.status == "sent"]
    received = Counter(r.recipients[0] for r in sink.received)
    assert sum(received.values()) == 3 and set(marked) <= set(received)
    disk.free()
    fresh = SmtpMailer(s)
    again = run_due(engine, s, fresh, due_all=True)  # no restart, no lease to wait out
    fresh.close()
    assert not again.busy and again.sent >= len(addresses) - 3
    received = Counter(r.recipients[0] for r in sink.received)
    assert set(received) == set(addresses) and all(n in (1, 2) for n in received.values())
    assert sum(n == 2 for n in received.values()) <= 1  # at most the one in flight, again
    with engine.connect() as conn:
        assert {r.status for r in conn.execute(states)} == {"sent"}
    assert _integrity(engine) == "ok"
    engine.dispose()


@pytest.fixture
def pg_disk() -> Iterator[Disk]:
    """A tmpfs the `postgres` user can reach (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="paperfeed-disk-"))
    os.chmod(root, 0o755)
    try:
        with small_disk(root / "disk", mode=0o755) as mounted:
            yield mounted
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_postgres_tablespace_on_a_full_disk_gives_507_then_recovers(
    pg_disk: Disk, pg_url: str, tmp_path: Path
) -> None:
    space = pg_disk.path / "tablespace"
    space.mkdir()
    shutil.chown(space, "postgres")
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE TABLESPACE diskfull LOCATION '{space}'"))
        conn.execute(text('CREATE DATABASE "diskfull" TABLESPACE diskfull'))
    url = pg_url.rsplit("/", 1)[0] + "/diskfull"
    base = Settings(data_dir=tmp_path / "data", database_url=url, _env_file=None)  # type: ignore[call-arg]
    settings = web_settings(base)
    engine = open_store(settings)
    try:
        fill_store(engine, settings, tmp_path / "listings")
        pid = sorted(on_day(engine, DAYS[1]))[0]
        with client(settings, engine) as c:
            auth = _bearer(c, "ada")
            pg_disk.fill()
            refused = _comment(c, pid, auth)
            assert refused.status_code == 507, refused.text
            assert "disk is full" in refused.json()["detail"]
            # A read uses a pooled connection and answers 200. When it needs a new backend,
            # PostgreSQL may fail to write the relation-cache file into the full tablespace
            # ("could not write init file"): that is a 503 with a message, never a 500.
            read = c.get(f"/api/papers/{pid}")
            assert read.status_code in (200, 503), read.text
            if read.status_code == 503:
                assert read.json()["detail"], read.text
            pg_disk.free()
            assert _comment(c, pid, auth).status_code == 201
            assert c.get(f"/api/papers/{pid}").json()["numComments"] == 1
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "diskfull" WITH (FORCE)'))
            conn.execute(text("DROP TABLESPACE IF EXISTS diskfull"))
        admin.dispose()


@pytest.mark.slow
def test_paperfeed_serve_process_on_a_full_disk_never_500s_nor_hangs(
    disk: Disk, tmp_path: Path
) -> None:
    import threading

    import httpx

    from paperfeed.web.auth import sign_up as create_account
    from tests.test_web_kill import _free_port, _server

    settings = Settings(data_dir=disk.path / "data", embed_model="static", _env_file=None)  # type: ignore[call-arg]
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pids = sorted(on_day(engine, DAYS[1]))
    create_account(engine, "ada", PASSWORD)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _server(settings, port) as proc:
        login = httpx.post(f"{base}/api/login", json={"username": "ada", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        truncate_wal(engine)
        disk.fill()
        answers: list[int | str] = []

        def write(pid: str) -> None:
            try:
                url = f"{base}/api/papers/{pid}/comments"
                answers.append(
                    httpx.post(url, json={"body": LONG}, headers=headers, timeout=30).status_code
                )
            except httpx.HTTPError as exc:
                answers.append(type(exc).__name__)

        threads = [threading.Thread(target=write, args=(pid,)) for pid in pids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [507] * len(pids), answers
        assert httpx.get(f"{base}/api/papers/{pids[0]}", timeout=30).status_code == 200
        disk.free()
        again = httpx.post(
            f"{base}/api/papers/{pids[0]}/comments",
            json={"body": LONG},
            headers=headers,
            timeout=30,
        )
        assert again.status_code == 201 and proc.poll() is None
    assert _integrity(engine) == "ok"
    engine.dispose()
