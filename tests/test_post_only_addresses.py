"""A GET to an address that takes POST only (a paper's /rate, /upvote, /save …) answers 405
with Allow, not the paper page's 404: a route taking any id must not hide a closer one."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import iter_route_contexts

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.web_support import DAYS, client, fill_store, on_day, web_settings


def test_a_get_to_a_post_only_paper_address_is_405_with_allow(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    settings = web_settings(sqlite_settings)
    engine = open_store(settings)
    fill_store(engine, settings, tmp_path / "listings")
    pid = sorted(on_day(engine, DAYS[1]))[0]
    routes = list(iter_route_contexts(create_app(settings, engine).routes))
    read = {r.path for r in routes if "GET" in (r.methods or ())}
    post_only = sorted(
        path
        for r in routes
        if "/papers/{paper_id:path}/" in (r.path or "") and r.path not in read
        # addresses of one paper only (a collection's paper note, PUT, names a collection too)
        if "{"
        not in (path := (r.path or "").replace("{paper_id:path}", pid).replace("{link_id}", "1"))
    )
    assert f"/papers/{pid}/rate" in post_only and len(post_only) >= 8, post_only
    with client(settings, engine) as c:
        for path in post_only:
            got = c.get(path, follow_redirects=False)
            assert got.status_code == 405, (path, got.status_code)
            assert "POST" in got.headers["allow"] and "GET" not in got.headers["allow"], path
            assert "GET is not allowed here; use" in got.text, path
            assert c.head(path).status_code == 405, path
        assert c.get(f"/papers/{pid}").status_code == 200
        assert c.get(f"/papers/{pid}/bibtex").status_code == 200
        assert c.get("/papers/2401.99999/nothing").status_code == 404  # no such address at all
    engine.dispose()
