"""Upgrading to a new keyword index schema: the old index is rebuilt from the store once, behind
the site, resumably; searches, `doctor` and the admin console say so meanwhile."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.doctor import diagnose
from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.keyword import SCHEMA_VERSION, KeywordIndex, saved_state
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store import search_store as db
from paperfeed.store.accounts import set_admin
from tests.web_support import client, sign_up, web_settings

BRIDGE = Paper(
    id="2606.99901",
    title="Schrödinger bridges between point clouds",
    abstract="We match two point clouds with an entropic Schrödinger bridge.",
    authors=("Thomas Müller",),
    source="test",
)


def _old_index(settings: Settings, engine: Engine) -> Path:
    """An index built by the previous version: built, then its state file's version set back."""
    with engine.begin() as conn:
        upsert_papers(conn, [BRIDGE])
    service = SearchService(settings, engine)
    service.refresh()
    service.close()
    folder = settings.index_dir / "keyword"
    state = json.loads((folder / "paperfeed-state.json").read_text())
    (folder / "paperfeed-state.json").write_text(json.dumps(state | {"schema": SCHEMA_VERSION - 1}))
    return Path(folder)


def _papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(db.count_papers(conn))


def test_searches_say_the_index_is_being_rebuilt_while_another_worker_builds_it(
    site: Settings, engine: Engine
) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    folder = _old_index(settings, engine)
    assert (
        diagnose(settings)
        .notes[-1]
        .startswith(f"this node's search index is of an older version ({SCHEMA_VERSION - 1}, now ")
    )
    # The first worker opens the old index (wiped) and is writing the new one.
    writer = KeywordIndex(folder).index.writer(15_000_000, 1)
    try:
        with client(settings, engine) as c:
            page = c.get("/search", params={"q": "Schroedinger bridge"})
            assert page.status_code == 200, page.text  # answered from the store meanwhile
            total = _papers(engine)
            said = "Search is being rebuilt (0% done): results come from the 0 papers"
            assert said in page.text
            api = c.get("/api/papers/search", params={"q": "Schrödinger"})
            assert api.status_code == 200 and api.headers["X-Search-Degraded"].startswith(said)
            assert [p["paper"]["id"] for p in api.json()] == [BRIDGE.id]
            notes = diagnose(settings).notes
            assert any(f"being built from the store: 0 of {total:,} papers" in n for n in notes)
            sign_up(c, "root")
            with engine.begin() as conn:
                set_admin(conn, "root", True)
            console = c.get("/admin").text
            assert f"Search index being built from the store: 0 of {total:,} papers" in console
            writer.rollback()
            writer.wait_merging_threads()  # the first worker's build ends: this one goes on
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            found = c.get("/search", params={"q": "Schroedinger bridge"})
            assert found.status_code == 200 and "/papers/2606.99901" in found.text
            assert saved_state(folder) == (SCHEMA_VERSION, None)
            assert "Search index being built" not in c.get("/admin").text
    finally:
        del writer


CHILD = """
import os, signal, sys
from paperfeed.search.keyword import KeywordIndex
from paperfeed.settings import Settings
from paperfeed.store import open_store, search_store as db

settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, _env_file=None)
engine = open_store(settings)
index = KeywordIndex(settings.index_dir / "keyword")
with engine.connect() as conn:
    index.begin_build(db.count_papers(conn))
    def batches():
        for n, batch in enumerate(db.changed_papers(conn, None, batch=2)):
            if n == 3:  # three batches of two written, each committed: killed here
                os.kill(os.getpid(), signal.SIGKILL)
            yield batch
    index.apply(batches(), commit_every=2)
"""


def test_a_build_killed_half_way_goes_on_where_it_was(site: Settings, engine: Engine) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    folder = _old_index(settings, engine)
    url = settings.database_url or ""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(settings.data_dir), url], capture_output=True, text=True
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    total = _papers(engine)
    schema, build = saved_state(folder)
    assert (
        schema == SCHEMA_VERSION and build is not None and (build.done, build.total) == (6, total)
    )
    assert KeywordIndex(folder).num_docs == 6  # what was committed before the kill is kept
    service = SearchService(settings, engine)
    try:
        assert service.refresh() == total - 6  # the rest only, not all over again
        assert saved_state(folder) == (SCHEMA_VERSION, None)
        assert [h.id for h in service.search("Mueller", mode="keyword").hits] == [BRIDGE.id]
    finally:
        service.close()


def test_the_search_command_says_the_index_is_being_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("PAPERFEED_DATABASE_URL", "PAPERFEED_EMBED_ON_INGEST"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "static")
    monkeypatch.setenv("PAPERFEED_SEARCH_WAIT_FOR_BUILD", "0")
    settings = Settings(_env_file=None)
    engine = open_store(settings)
    folder = _old_index(settings, engine)
    writer = KeywordIndex(folder).index.writer(15_000_000, 1)  # the site is building it
    try:
        result = CliRunner().invoke(app, ["search", "Schrödinger"])
        assert result.exit_code == 0, result.output
        said = "note: Search is being rebuilt (0% done): results come from the 0 papers"
        assert said in " ".join(result.output.split()) and BRIDGE.id in result.output
    finally:
        writer.rollback()
        writer.wait_merging_threads()
        engine.dispose()
