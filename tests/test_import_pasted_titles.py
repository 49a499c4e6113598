"""A workshop organiser pastes their accepted-papers page (numbered lines, title and authors
blocks, a Markdown table) into the import box: papers match by arXiv link, else by whole title
checked against the authors; a short or generic title never matches on its own."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import client, csrf_token, sign_up, web_settings

DAY = date(2026, 3, 2)
# Real titles and authors from arXiv's listings, the short ones among them
GRAPHS = Paper(
    id="2504.12588",
    title="Simplifying Graph Transformers",
    authors=("Liheng Ma", "Soumyasundar Pal", "Yingxue Zhang", "Philip H. S. Torr", "Mark Coates"),
    listing_date=DAY,
)
ESOTERIC = Paper(
    id="2506.01928",
    title="Esoteric Language Models",
    authors=("Subham Sekhar Sahoo", "Zhihan Yang", "Yash Akhauri"),
    listing_date=DAY,
)
ACTIVE = Paper(
    id="2604.21044",
    title="Active Data",
    authors=("Richard Arthur", "Virginia DiDomizio", "Louis Hoebel"),
    listing_date=DAY,
)
VGGT = Paper(
    id="2605.15195",
    title="VGGT-$\\Omega$",  # its key is "vggt": a heading "VGGT" reads the same
    authors=("Jianyuan Wang", "Minghao Chen", "Andrea Vedaldi", "Christian Rupprecht"),
    listing_date=DAY,
)
SENSORS = Paper(
    id="2503.11731",
    title="Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular Framework for "
    "Scalable Editing and Full-Stack Validation",
    authors=("Xianming Zeng", "Sicong Du", "Qifeng Chen"),
    listing_date=DAY,
)
CHAOS = Paper(
    id="2602.20021",
    title="Agents of Chaos",
    authors=("Natalie Shapira", "Chris Wendler", "Avery Yen"),
    listing_date=DAY,
)
STORED = [GRAPHS, ESOTERIC, ACTIVE, VGGT, SENSORS, CHAOS]

NUMBERED = """Accepted Papers
Oral Session 1
1. Simplifying Graph Transformers. Liheng Ma, Soumyasundar Pal, Yingxue Zhang
2. Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular Framework for \
Scalable Editing and Full-Stack Validation. Xianming Zeng*, Sicong Du†, Qifeng Chen
3. Active Data. Richard Arthur and Louis Hoebel
Poster Session
4. VGGT. Someone Else, Another Person
5. Esoteric Language Models Are Not All You Need. Subham Sekhar Sahoo, Zhihan Yang
"""

BLOCKS = """Poster Session A
Simplifying Graph Transformers
Liheng Ma¹, Soumyasundar Pal², Yingxue Zhang (Huawei)
[PDF] [Code]

Esoteric Language Models
Subham Sekhar Sahoo, Zhihan Yang et al.
https://arxiv.org/abs/2506.01928

Active Data
A workshop on data that moves
"""

TABLE = """| # | Title | Authors | Links |
|---|-------|---------|-------|
| 1 | [Agents of Chaos](https://openreview.net/forum?id=abc) | Natalie Shapira, Chris Wendler | [pdf](https://x.org/a.pdf) |
| 2 | **Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular Framework for Scalable Editing and Full-Stack Validation** | X. Zeng, S. Du | |
| 3 | Esoteric Language Models | J. Doe, R. Roe | [arXiv](https://arxiv.org/abs/2506.01928v2) |
"""  # noqa: E501


def _read(text: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    parsed = references.read(text.encode())
    assert parsed.format == "pasted text"
    return [(r.title, r.authors, r.arxiv_id) for r in parsed.references]


def test_numbered_lines_give_each_title_its_authors_and_leave_headings_out() -> None:
    assert _read(NUMBERED) == [
        (GRAPHS.title, ("Ma", "Pal", "Zhang"), None),
        (SENSORS.title, ("Zeng", "Du", "Chen"), None),
        ("Active Data", ("Arthur", "Hoebel"), None),
        ("VGGT", ("Else", "Person"), None),
        ("Esoteric Language Models Are Not All You Need", ("Sahoo", "Yang"), None),
    ]
    errors = references.read(NUMBERED.encode()).errors
    assert errors[0] == "line 1: “Accepted Papers” is a heading, not a paper"


def test_blocks_give_a_title_the_authors_and_link_lines_below_it() -> None:
    assert _read(BLOCKS) == [
        (GRAPHS.title, ("Ma", "Pal", "Zhang"), None),
        (ESOTERIC.title, ("Sahoo", "Yang"), "2506.01928"),
        ("A workshop on data that moves", (), None),  # a sentence: matches no stored title
    ]
    errors = references.read(BLOCKS.encode()).errors
    assert "line 10: “Active Data” is too short a title to match without its authors" in errors


def test_a_markdown_table_gives_its_title_and_authors_columns_and_an_arxiv_link() -> None:
    assert _read(TABLE) == [
        ("Agents of Chaos", ("Shapira", "Wendler"), None),
        (SENSORS.title, ("Zeng", "Du"), None),
        (ESOTERIC.title, ("Doe", "Roe"), "2506.01928"),
    ]


@pytest.mark.parametrize(
    "text",
    ["[1] Look, Listen and Learn. Relja Arandjelovic, Andrew Zisserman\n",
     "Contact: chairs@workshop.example.org\nLook, Listen and Learn in the Wild Today\n"],
    ids=["bracket-number-not-json", "email-not-bibtex"],
)  # fmt: skip
def test_a_page_opening_like_json_or_holding_an_email_is_read_as_a_page(text: str) -> None:
    assert references.read(text.encode()).format == "pasted text"


def _paste(settings: Settings, engine: Engine, text: str) -> str:
    with engine.begin() as conn:
        upsert_papers(conn, STORED)
    with client(web_settings(settings), engine) as c:
        sign_up(c, "organiser")
        token = csrf_token(c, "/library/import")
        got = c.post(
            "/library/import",
            data={"csrf_token": token, "text": text, "collection": "Workshop"},
            files={"file": ("", b"")},  # the form's file field, left empty
        )
        assert got.status_code == 200, got.text
        return " ".join(re.sub(r"<[^>]+>", " ", got.text).split())


def test_a_pasted_page_matches_whole_titles_checked_against_their_authors(
    settings: Settings, engine: Engine
) -> None:
    page = _paste(settings, engine, NUMBERED)
    assert "3 papers matched and saved (pasted text)" in page
    assert "3 matched by title alone" in page
    for paper in (GRAPHS, SENSORS, ACTIVE):
        assert f" → {paper.title} " in page
    # a short title with other authors, a longer title than the stored one: not matched
    assert (
        "line 7: VGGT (a paper of that title is stored (2605.15195), but its authors differ)"
        in page
    )
    assert "line 8: Esoteric Language Models Are Not All You Need (not in this store)" in page
    assert "line 1 (“Accepted Papers” is a heading, not a paper)" in page


def test_a_pasted_table_matches_by_arxiv_link_before_title(
    settings: Settings, engine: Engine
) -> None:
    page = _paste(settings, engine, TABLE)
    assert "3 papers matched and saved (pasted text)" in page
    assert "2 matched by title alone" in page
    assert f"→ {ESOTERIC.title}" not in page  # matched by its arXiv link, its authors aside


def test_nothing_pasted_and_no_file_is_a_clear_400(settings: Settings, engine: Engine) -> None:
    with client(web_settings(settings), engine) as c:
        sign_up(c, "organiser")
        token = csrf_token(c, "/library/import")
        got = c.post(
            "/library/import",
            data={"csrf_token": token, "text": "  \n"},
            files={"file": ("", b"")},
        )
    assert got.status_code == 400
    assert "Nothing was imported: choose a file, or paste a list of papers" in got.text
