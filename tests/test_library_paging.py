"""GET /api/me/library comes a page at a time (50 unless asked), as /api/me/ratings does, on
both databases; bad paging parameters are a 422 naming the parameter."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import users
from paperfeed.store.library import save_papers
from tests.web_support import HOSTILE, bearer, client, web_settings

SAVED = 123  # two full pages and a part


def _next(link: str, public_url: str) -> str | None:
    """The path of a Link header's rel="next" page, or None on the last page."""
    found = re.findall(r'<([^>]+)>; rel="next"', link)
    return found[0].removeprefix(public_url.rstrip("/")) if found else None


def test_the_library_comes_fifty_at_a_time_to_its_end(settings: Settings, engine: Engine) -> None:
    site = web_settings(settings)
    copies = [
        replace(HOSTILE, id=f"2606.{90000 + n}", title=f"Saved paper {n}") for n in range(SAVED)
    ]
    with engine.begin() as conn:
        upsert_papers(conn, copies)
    with client(site, engine) as c:
        auth = bearer(c, "reader")
        with engine.begin() as conn:
            reader = int(str(conn.scalar(select(users.c.id).where(users.c.username == "reader"))))
            save_papers(conn, reader, [p.id for p in copies])
        pages: list[list[dict[str, Any]]] = []
        path: str | None = "/api/me/library"
        while path is not None:
            page = c.get(path, headers=auth)
            assert page.status_code == 200 and page.headers["x-total-count"] == str(SAVED)
            pages.append(page.json())
            path = _next(page.headers.get("link", ""), site.public_url)
        assert [len(p) for p in pages] == [50, 50, 23]
        walked = [i["paper"]["id"] for p in pages for i in p]
        assert sorted(walked) == sorted(p.id for p in copies)  # each once, none left out
        item = pages[0][0]  # each item shaped as before
        assert set(item) == {"paper", "state", "note", "collections", "addedAt"}
        assert item["state"] == "to_read" and item["paper"]["title"].startswith("Saved paper")
        whole = c.get("/api/me/library?limit=1000", headers=auth)
        assert [i["paper"]["id"] for i in whole.json()] == walked
        assert "link" not in whole.headers  # one page: nothing beside it
        last = c.get("/api/me/library?p=2", headers=auth)
        assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]
        for bad, name in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit")):
            refused = c.get(f"/api/me/library?{bad}", headers=auth)
            assert refused.status_code == 422, bad
            assert name in refused.json()["detail"], refused.json()
        refused = c.get("/api/me/library?p=-1", headers=auth)
        assert refused.status_code == 422 and "p" in refused.json()["detail"]
        schema = c.get("/openapi.json").json()["paths"]["/api/me/library"]["get"]
    [limit] = [q for q in schema["parameters"] if q["name"] == "limit"]
    assert limit["schema"]["default"] == 50 and "50 when left out" in limit["description"]
    assert {"Link", "X-Total-Count"} <= set(schema["responses"]["200"]["headers"])
