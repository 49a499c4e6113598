"""Unsaving a paper the reader annotated asks first: one click on "Saved" lost the note, the
reading state and the collections (found by a tester)."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import Engine, select

from paperfeed.settings import Settings
from paperfeed.store.accounts import users
from paperfeed.store.library import library_item
from tests.web_support import DAYS, client, csrf_token, on_day, post_form, sign_up


def _item(engine: Engine, pid: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == "keeper")).scalar_one()
        return library_item(conn, uid, pid)


def test_unsaving_an_annotated_paper_asks_and_a_plain_one_does_not(
    site: Settings, engine: Engine
) -> None:
    noted, filed, plain = sorted(on_day(engine, DAYS[0]))[:3]
    with client(site, engine) as c:
        sign_up(c, "keeper")
        for pid in (noted, filed, plain):
            post_form(c, f"/papers/{pid}/save", {})
        post_form(c, f"/library/{noted}/edit", {"note": "Check lemma 2", "state": "read"})
        post_form(c, f"/papers/{filed}/save", {"collection": "Reading group"})
        # A plain form (no JavaScript): a page asks, naming what would go; nothing changed yet.
        asked = post_form(c, f"/papers/{noted}/save", {"saved": "0", "next": "/daily"})
        assert asked.status_code == 200 and "Your note goes with it" in asked.text
        assert _item(engine, noted) is not None
        form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', asked.text, re.S)
        assert form and 'name="confirm" value="1"' in form[2]
        assert 'href="/daily">Keep it</a>' in form[2]
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form[2]))
        fields = {k: unescape(v) for k, v in fields.items()} | {"csrf_token": csrf_token(c, "/")}
        removed = c.post(form[1], data=fields, follow_redirects=False)
        assert removed.status_code == 303 and removed.headers["location"] == "/daily"
        assert _item(engine, noted) is None
        # The card's button (fetch): the question, nothing changed; confirm=1 answers it.
        headers = {"Accept": "application/json"}
        token = {"csrf_token": csrf_token(c, "/")}
        question = c.post(f"/papers/{filed}/save", data={"saved": "0"} | token, headers=headers)
        assert question.status_code == 200 and question.json()["saved"] is True  # unchanged
        assert "Its place in “Reading group” goes with it" in question.json()["confirm"]
        assert _item(engine, filed) is not None
        answer = {"saved": "0", "confirm": "1"} | token
        sure = c.post(f"/papers/{filed}/save", data=answer, headers=headers)
        assert sure.status_code == 200 and sure.json()["saved"] is False
        assert _item(engine, filed) is None
        # Nothing of the reader's would be lost: no question.
        direct = c.post(f"/papers/{plain}/save", data={"saved": "0"} | token, headers=headers)
        assert direct.status_code == 200 and _item(engine, plain) is None
