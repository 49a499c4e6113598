"""A card says when arXiv listed its paper (an author's page mixed 2019 and this week's papers
with no date on any), read back the same from SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import HOSTILE, client, web_settings


def test_an_authors_cards_say_when_each_paper_was_listed(
    settings: Settings, engine: Engine
) -> None:
    old = replace(HOSTILE, id="1903.00401", authors=("Ada Quill",), listing_date=date(2019, 3, 4))
    new = replace(old, id="2606.88851", title="A newer paper", listing_date=date(2026, 6, 30))
    with engine.begin() as conn:
        upsert_papers(conn, [old, new])
    with client(web_settings(settings), engine) as c:
        page = c.get("/authors/ada-quill")
    assert page.status_code == 200
    assert '<time datetime="2019-03-04">4 Mar 2019</time>' in page.text
    assert '<time datetime="2026-06-30">30 Jun 2026</time>' in page.text
