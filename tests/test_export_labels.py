"""The library page and a shared collection's page name their export formats alike (BibTeX,
RIS, CSL-JSON), so a reader looking for CSL finds it on either; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from paperfeed.settings import Settings
from tests.test_collection_order import _reading_list
from tests.web_support import DAYS, client, on_day, sign_up


def _labels(page: str) -> dict[str, str]:
    """Each export link's format (its address's ending) and the words it shows."""
    found = re.findall(r'<a href="[^"]*\.(bib|ris|json)(?:\?[^"]*)?">([^<]+)</a>', page)
    return {fmt: label for fmt, label in found}


def test_library_and_collection_pages_label_exports_alike(site: Settings, engine: Engine) -> None:
    ids = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as c:
        sign_up(c, "lecturer")
        _, key = _reading_list(c, engine, ids)
        library = _labels(c.get("/library").text)
        c.cookies.clear()
        shared = _labels(c.get(f"/c/{key}").text)
    assert library == {"bib": "BibTeX", "ris": "RIS", "json": "CSL-JSON"}
    assert shared == library
