"""Cached search answers never outlive the background refresh that brings a new paper in."""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import HOSTILE, client, web_settings

NEW = replace(
    HOSTILE,
    id="2606.88888",
    title="Quasicrystalline zeolite sieves",
    abstract="Zeolite sieves with quasicrystalline order.",
    authors=("Ada Lovelace",),
    code_links=(),
    signals=None,
)


def _found(c, path: str) -> bool:  # type: ignore[no-untyped-def]
    return "2606.88888" in c.get(path).text


def test_a_paper_stored_by_another_process_reaches_cached_searches(
    settings: Settings, engine: Engine
) -> None:
    settings = web_settings(settings, search_refresh_seconds=0.2)
    with client(settings, engine) as c:
        paths = [
            "/api/papers/search?q=zeolite&mode=keyword",
            "/search?q=zeolite&mode=keyword",
            "/feeds/search.atom?q=zeolite&mode=keyword",
        ]
        assert not any(_found(c, p) for p in paths)  # indexed now, and cached
        with engine.begin() as conn:  # another process stores a paper
            upsert_papers(conn, [NEW])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(_found(c, p) for p in paths):
            time.sleep(0.3)
        assert all(_found(c, p) for p in paths)
