"""BibTeX cite keys of names and titles with Latin letters that have no accent to drop (ß, ł,
ø, æ, dotless ı, đ) spell those letters out, as reference managers do, instead of losing them
("Işık" gave the key "k2026...", "Groß" "gro2026...")."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.web.bibtex import cite_key
from tests.web_support import HOSTILE, client, web_settings


def _key(author: str, title: str) -> str:
    return cite_key(replace(HOSTILE, authors=(author, "Ann Lee"), title=title))


def test_cite_keys_spell_out_letters_without_accents() -> None:
    year = str(_year())
    assert _key("Çağatay Işık", "Straße networks") == f"isik{year}strasse"
    assert _key("Jürgen Groß", "Deep nets") == f"gross{year}deep"
    assert _key("Søren Ærø", "Ørsted fields") == f"aero{year}orsted"
    assert _key("Bartłomiej Łukasiewicz", "Łódź graphs") == f"lukasiewicz{year}lodz"
    assert _key("Trần Đức", "Đường nets") == f"duc{year}duong"
    assert _key("Kurt Gödel", "Über formal") == f"godel{year}uber"  # accents: as before
    assert _key("张伟", "Graphs") == f"zhangwei{year}graphs"  # another script: as before


def _year() -> int:
    from paperfeed.web.bibtex import paper_year

    year = paper_year(HOSTILE)
    assert year is not None
    return year


def test_the_bibtex_download_uses_the_spelled_out_key(settings: Settings, engine: Engine) -> None:
    paper = replace(HOSTILE, id="2606.88821", authors=("Çağatay Işık",), title="Straße networks")
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(web_settings(settings), engine) as c:
        got = c.get("/papers/2606.88821/bibtex")
    assert got.status_code == 200
    assert got.text.startswith(f"@misc{{isik{_year()}strasse,")
    assert "Işık" in got.text  # the name itself as written (UTF-8, as biber reads)
