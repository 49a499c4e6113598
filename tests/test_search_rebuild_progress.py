"""A keyword index rebuilt beside the one searches read: `doctor` and `/admin` say how far the
new one got (they read only the folder searches answer from)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from paperfeed.doctor import diagnose
from paperfeed.models import Paper
from paperfeed.search import SearchService
from paperfeed.search.beside import beside
from paperfeed.search.keyword import SCHEMA_VERSION, KeywordIndex, saved_state
from paperfeed.settings import Settings
from paperfeed.store import search_store as db
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import set_admin
from tests.web_support import client, sign_up, web_settings

BRIDGE = Paper(
    id="2606.99901",
    title="Schrödinger bridges between point clouds",
    abstract="We match two point clouds with an entropic Schrödinger bridge.",
    authors=("Thomas Müller",),
    source="test",
)


def _built(settings: Settings, engine: Engine, schema: int) -> Path:
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


def test_doctor_and_admin_say_how_far_a_build_beside_got(site: Settings, engine: Engine) -> None:
    settings = web_settings(site, search_wait_for_build=0)
    live = _built(settings, engine, SCHEMA_VERSION - 1)
    with engine.connect() as conn:
        total = int(db.count_papers(conn))
    # Another worker is building the new index beside it (it holds the new folder's writer).
    writer = KeywordIndex(beside(live)).index.writer(15_000_000, 1)
    try:
        with client(settings, engine) as c:
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            build = saved_state(beside(live))[1]
            assert build is not None and build.total == total
            said = (
                f"keyword index: rebuilding beside the current one, 0 of {total:,} papers (0%); "
                "search answers from the current index meanwhile"
            )
            notes = diagnose(settings).notes
            assert said in notes, notes
            assert not any("being built from the store" in n for n in notes)
            sign_up(c, "root")
            with engine.begin() as conn:
                set_admin(conn, "root", True)
            console = c.get("/admin").text
            assert "K" + said[1:] in console and "(503)" not in console
            writer.rollback()
            writer.wait_merging_threads()  # that worker stopped: this one goes on and swaps
            c.app.state.site.search().refresh()  # type: ignore[attr-defined]
            assert not beside(live).exists()
            assert not any("rebuilding beside" in n for n in diagnose(settings).notes)
            assert "Keyword index: rebuilding" not in c.get("/admin").text
    finally:
        del writer
