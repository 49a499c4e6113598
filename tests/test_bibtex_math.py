"""BibTeX of a title whose maths holds Unicode letters or symbols (arXiv's "$φ$-Scene",
"TerraDiT-$Ω$", "$\\mathbb{F}_q × \\mathbb{F}_q$"): pdfLaTeX stops at such a character in maths
("Unicode character φ not set up for use with LaTeX"), so a reader citing the paper could not
compile their related work. The export now writes the maths in ASCII commands (`${\\varphi}$`)."""

from __future__ import annotations

from dataclasses import replace

import bibtexparser
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.web.bibtex import entry
from tests.web_support import HOSTILE, client, web_settings

_MATH_TITLES = {
    "2606.88841": ("$φ$-Scene: Physically Grounded Reconstruction", "${\\varphi}$-Scene"),
    "2606.88842": ("TerraDiT-$Ω$: Spatial Control", "TerraDiT-${\\Omega}$"),
    "2606.88843": (
        "Codes over $\\mathbb{F}_q × ℝ$ and $√2·φx$",
        "$\\mathbb{F}_q {\\times} {\\mathbb{R}}$",
    ),
}


def _title(bib: str) -> str:
    library = bibtexparser.parse_string(bib)  # type: ignore[attr-defined]  # re-exported, untyped
    assert not library.failed_blocks and len(library.entries) == 1, bib
    return str(library.entries[0]["title"])


def test_maths_in_a_title_is_written_in_ascii_commands() -> None:
    for pid, (title, expected) in _MATH_TITLES.items():
        got = _title(entry(replace(HOSTILE, id=pid, title=title)))
        assert expected in got, got
        maths = [part for i, part in enumerate(got.split("$")) if i % 2]
        assert maths and all(m.isascii() for m in maths), got
    assert "{\\surd}2{\\cdot}{\\varphi}x" in _title(entry(replace(HOSTILE, title="$√2·φx$")))


def test_prose_keeps_its_letters_and_maths_its_ascii(settings: Settings, engine: Engine) -> None:
    paper = replace(HOSTILE, id="2606.88844", authors=("Çağatay Işık",), title="Işık's $μ$Match")
    with engine.begin() as conn:
        upsert_papers(conn, [paper])
    with client(web_settings(settings), engine) as c:
        got = c.get("/papers/2606.88844/bibtex")
    assert got.status_code == 200
    assert _title(got.text) == "{Işık's ${\\mu}$Match}"  # prose: UTF-8, as biber reads it
    assert "Işık, Çağatay" in got.text
