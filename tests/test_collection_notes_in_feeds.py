"""A shared collection's public note on a paper travels with it into the collection's Atom and
RSS feeds (sanitised HTML in the entry's content) and its BibTeX, RIS and CSL-JSON exports (as
a note reference managers read, read back whole by paperfeed's own import); both databases."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperfeed import references
from paperfeed.settings import Settings
from paperfeed.store.library import user_collections
from tests.web_support import DAYS, client, on_day, post_form, sign_up

NOTE = (
    "Read on **12 Dec**, led by {Ana} at 50% & $x^2$ \\o/ }\n\n"
    "<script>alert(1)</script> [x](javascript:alert(2)) [slides](/users/lead)"
)
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def _noted_list(lead: TestClient, engine: Engine, ids: list[str]) -> str:
    """A public "Reading group" of the lead's holding `ids`, its first paper noted: its key."""
    for pid in ids:
        post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
    with engine.connect() as conn:
        (group,) = user_collections(conn, 1)
    edit = {"name": group.name, "description": "", "visibility": "public"}
    post_form(lead, f"/collections/{group.id}/edit", edit)
    saved = post_form(lead, f"/c/{group.share_key}/note", {"paper_id": ids[0], "note": NOTE})
    assert saved.status_code == 303
    return str(group.share_key)


def _check_html(content: str, base: str) -> None:
    assert "<strong>12 Dec</strong>" in content and "x^2" in content
    assert "<script" not in content and "&lt;script&gt;" in content  # shown as typed: inert
    assert 'href="javascript:' not in content
    assert f'href="{base}/users/lead"' in content  # absolute: a feed reader is elsewhere


def test_a_collections_note_is_in_its_feeds_and_exports(site: Settings, engine: Engine) -> None:
    noted, plain = sorted(on_day(engine, DAYS[0]))[:2]
    with client(site, engine) as lead, client(site, engine) as reader:
        sign_up(lead, "lead")
        key = _noted_list(lead, engine, [noted, plain])

        atom = ET.fromstring(reader.get(f"/c/{key}/feed.atom").content)
        entries = {
            e.findtext(f"{ATOM}id", "").rsplit("/", 1)[1]: e for e in atom.iter(f"{ATOM}entry")
        }
        content = entries[noted].find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        base = site.public_url.rstrip("/")
        _check_html(content.text or "", base)
        assert entries[noted].find(f"{ATOM}summary") is not None  # the abstract as before
        assert entries[plain].find(f"{ATOM}content") is None

        rss = ET.fromstring(reader.get(f"/c/{key}/feed.rss").content)
        items = {i.findtext("link", "").rsplit("/", 1)[1]: i for i in rss.iter("item")}
        _check_html(items[noted].findtext(CONTENT, ""), base)
        assert items[plain].find(CONTENT) is None

        csl = reader.get(f"/c/{key}/feed.json").json()
        by_note = {item.get("note", "") for item in csl}
        assert by_note == {NOTE, ""}

        for fmt in ("bib", "ris", "json"):
            body = reader.get(f"/c/{key}/feed.{fmt}").content
            parsed = references.read(body)
            notes = {r.arxiv_id: r.note for r in parsed.references}
            assert notes == {noted: NOTE, plain: ""}, fmt  # escaped as the format needs
        bib = reader.get(f"/c/{key}/feed.bib").text
        assert bib.count("annote") == 1 and "<script>" in bib  # text there, as typed: inert
        assert json.dumps(csl).count("annote") == 0
