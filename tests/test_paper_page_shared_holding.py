"""A paper page's "In …" line names the shared collections its reader edits that hold the paper
(linking to them), beside their own; never a collection of another they may not edit."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import library as lib
from tests.web_support import DAYS, client, on_day, post_form, sign_up

READER, LEAD = 1, 2  # user ids in the order the test signs them up
_IN_LINE = re.compile(
    r'<div class="in-collections">\s*(?:<span>(In .*?)</span>\s*(?=<datalist|<form))?', re.S
)


def _in_line(c: TestClient, pid: str) -> str:
    """The page's "In …" line, whitespace folded (empty when it has none)."""
    page = c.get(f"/papers/{pid}")
    assert page.status_code == 200, page.text
    found = _IN_LINE.search(page.text)
    assert found is not None, page.text
    return " ".join((found.group(1) or "").split())


def _share(engine: Engine, lead: TestClient, pid: str, name: str) -> int:
    """The lead puts `pid` in a new collection `name` and names the reader its editor."""
    assert post_form(lead, f"/papers/{pid}/save", {"collection": name}).status_code == 303
    with engine.connect() as conn:
        (made,) = [c for c in lib.user_collections(conn, LEAD) if c.name == name]
    added = post_form(lead, f"/collections/{made.id}/editors", {"username": "reader"})
    assert added.status_code == 303
    return made.id


def test_the_in_line_names_shared_collections_holding_the_paper(
    site: Settings, engine: Engine
) -> None:
    pid, other = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as reader, client(site, engine) as lead:
        sign_up(reader, "reader")
        sign_up(lead, "lead")
        group = _share(engine, lead, other, "<b>Group</b>")  # shared; the reader adds pid
        _share(engine, lead, other, "Elsewhere")  # shared, never holding pid
        assert post_form(lead, f"/papers/{pid}/save", {"collection": "Secret"}).status_code == 303
        assert _in_line(reader, pid) == ""  # only the lead's own collection holds it yet
        put = post_form(reader, f"/papers/{pid}/save", {"into": str(group), "next": "/"})
        assert put.status_code == 303
        assert _in_line(reader, pid) == (
            f'In <a href="/library?collection={group}">&lt;b&gt;Group&lt;/b&gt;</a> '
            '<span class="muted">(shared by lead)</span>'
        )
        assert post_form(reader, f"/papers/{pid}/save", {"collection": "Mine"}).status_code == 303
        with engine.connect() as conn:
            (mine,) = lib.user_collections(conn, READER)
        assert _in_line(reader, pid) == (
            f'In <a href="/library?collection={mine.id}">Mine</a>, '
            f'<a href="/library?collection={group}">&lt;b&gt;Group&lt;/b&gt;</a> '
            '<span class="muted">(shared by lead)</span>'
        )
        lead_line = _in_line(lead, pid)
    assert "Secret" in lead_line and "Group" in lead_line and "Mine" not in lead_line
