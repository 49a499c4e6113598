"""An organiser's pasted list mixes title lines and arXiv links (some papers have a preprint,
some not) and a programme's session headings: each line is read as what it is, headings are
said to be headings, and the API takes the paste as a form field or a text/plain body."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.settings import Settings
from tests.web_support import importing

DAY = date(2026, 3, 2)
GRAPHS = Paper(
    id="2504.12588",
    title="Simplifying Graph Transformers for Node Classification",
    authors=("Liheng Ma", "Mark Coates"),
    listing_date=DAY,
)
ESOTERIC = Paper(id="2506.01928", title="Esoteric Language Models", listing_date=DAY)
SENSORS = Paper(
    id="2503.11731",
    title="Industrial-Grade Sensor Simulation via Gaussian Splatting",
    listing_date=DAY,
)
CHAOS = Paper(id="2602.20021", title="Agents of Chaos in Multi-Agent Worlds", listing_date=DAY)
STORED = [GRAPHS, ESOTERIC, SENSORS, CHAOS]

# Half title lines, half arXiv links, as an organiser copies them from the accepted list
MIXED = """Simplifying Graph Transformers for Node Classification
https://arxiv.org/abs/2506.01928
https://arxiv.org/abs/2503.11731v2
Agents of Chaos in Multi-Agent Worlds
"""

PROGRAMME = """Poster Session A (14:00-15:30)
1. Simplifying Graph Transformers for Node Classification. Liheng Ma, Mark Coates
Oral 3B
Keynote
Coffee break 10:30-11:00
Industrial-Grade Sensor Simulation via Gaussian Splatting
"""


def _read(text: str) -> list[tuple[str, str, str | None]]:
    parsed = references.read(text.encode())
    assert parsed.format == "pasted text"
    return [(r.where, r.title, r.arxiv_id) for r in parsed.references]


def test_a_list_of_titles_and_links_mixed_reads_each_line_as_what_it_is() -> None:
    assert _read(MIXED) == [
        ("line 1", GRAPHS.title, None),
        ("line 2", "", ESOTERIC.id),
        ("line 3", "", SENSORS.id),
        ("line 4", CHAOS.title, None),
    ]
    assert references.read(MIXED.encode()).errors == []


def test_a_title_with_its_link_below_it_is_still_one_paper() -> None:
    text = f"{GRAPHS.title}\nhttps://arxiv.org/abs/{GRAPHS.id}\n{CHAOS.title}\narXiv:{CHAOS.id}\n"
    assert _read(text) == [("line 1", GRAPHS.title, GRAPHS.id), ("line 3", CHAOS.title, CHAOS.id)]


def test_a_list_of_ids_with_a_dois_and_titles_keeps_the_doi() -> None:
    text = f"{ESOTERIC.id}\n10.1145/3292500.3330701\n{CHAOS.title}\n"
    parsed = references.read(text.encode())
    assert [(r.title, r.arxiv_id, r.doi) for r in parsed.references] == [
        ("", ESOTERIC.id, None),
        ("", None, "10.1145/3292500.3330701"),
        (CHAOS.title, None, None),
    ]


def test_session_headings_are_said_to_be_headings_not_papers_not_in_the_store() -> None:
    parsed = references.read(PROGRAMME.encode())
    assert [r.title for r in parsed.references] == [GRAPHS.title, SENSORS.title]
    assert parsed.errors == [
        "line 1: “Poster Session A (14:00-15:30)” is a heading, not a paper",
        "line 3: “Oral 3B” is a heading, not a paper",
        "line 4: “Keynote” is a heading, not a paper",
        "line 5: “Coffee break 10:30-11:00” is a heading, not a paper",
    ]


@pytest.mark.parametrize(
    "title", ["Oral Cancer Detection with Deep Networks", "Keynote Speakers Drive Attention"]
)
def test_a_title_opening_with_a_heading_word_is_a_title(title: str) -> None:
    assert [r.title for r in references.read(f"{title}\n".encode()).references] == [title]


def test_a_reading_groups_week_headings_are_sections() -> None:
    """ "Week 1: Reasoning models" was read as a paper's title (not in the store), and the
    link under "Week 3: Agents" was taken as that "title"'s: no sections were made."""
    text = (
        f"Week 1: Reasoning models\n1. {GRAPHS.title}. Liheng Ma\n\n"
        f"Week 3: Agents\n- https://arxiv.org/abs/{CHAOS.id}\n"
    )
    parsed = references.read(text.encode())
    got = [(r.title, r.arxiv_id, r.section) for r in parsed.references]
    assert got == [
        (GRAPHS.title, None, "Week 1: Reasoning models"),
        ("", CHAOS.id, "Week 3: Agents"),
    ]
    assert [r.title for r in references.read(b"Weekly notes on graph learning\n").references] == [
        "Weekly notes on graph learning"
    ]  # a title that opens with such a word, unnumbered, is a title


@pytest.mark.parametrize("after", [f"4. arXiv:{CHAOS.id}", f"- https://arxiv.org/abs/{CHAOS.id}"])
def test_a_numbered_or_bulleted_id_after_a_titled_item_is_a_paper_of_its_own(after: str) -> None:
    """ "4. arXiv:ID" under "3. Title. Authors" was taken as item 3's link: item 3's paper was
    dropped, unsaid (and a link indented under its item still is its link)."""
    marker = "3. " if after[0].isdigit() else "- "
    text = f"Session 2: Gaussians\n{marker}{GRAPHS.title}. Liheng Ma, Mark Coates\n{after}\n\nx\n"
    got = [(r.title, r.arxiv_id) for r in references.read(text.encode()).references]
    assert got[:2] == [(GRAPHS.title, None), ("", CHAOS.id)]
    under = f"- {GRAPHS.title}. Liheng Ma\n  - https://arxiv.org/abs/{GRAPHS.id}\n\nx\n"
    got = [(r.title, r.arxiv_id) for r in references.read(under.encode()).references]
    assert got[0] == (GRAPHS.title, GRAPHS.id)


def test_the_api_imports_pasted_text_as_a_form_field(settings: Settings) -> None:
    with importing(settings, STORED, "organiser") as (c, auth):
        got = c.post(
            "/api/me/library/import",
            data={"text": MIXED + PROGRAMME, "collection": "Workshop"},
            headers=auth,
        )
    assert got.status_code == 200, got.text
    report = got.json()
    assert report["format"] == "pasted text"
    assert sorted(report["ids"]) == sorted(p.id for p in STORED)
    assert report["into"]["name"] == "Workshop"
    assert {"entry": "line 7", "reason": "“Oral 3B” is a heading, not a paper"} in report[
        "unmatched"
    ]


def test_the_api_imports_a_text_plain_body(settings: Settings) -> None:
    with importing(settings, STORED, "organiser") as (c, auth):
        got = c.post(
            "/api/me/library/import",
            content=MIXED.encode(),
            headers={**auth, "Content-Type": "text/plain; charset=utf-8"},
        )
        empty = c.post(
            "/api/me/library/import", content=b" \n", headers={**auth, "Content-Type": "text/plain"}
        )
        latin = c.post(
            "/api/me/library/import",
            content=b"\xff\xfe",
            headers={**auth, "Content-Type": "text/plain"},
        )
        as_json = c.post("/api/me/library/import", json={"text": "2606.30647"}, headers=auth)
        schema = c.get("/openapi.json").json()
    assert got.status_code == 200, got.text
    assert sorted(got.json()["ids"]) == sorted(p.id for p in STORED)
    # a JSON body was told "choose a file", which says nothing of how to send one
    assert as_json.status_code == 415
    assert "multipart/form-data" in as_json.json()["detail"]
    assert "text/plain" in as_json.json()["detail"]
    assert empty.status_code == 400 and "paste a list of papers" in empty.text
    assert latin.status_code == 400 and "UTF-8" in latin.text
    body = schema["paths"]["/api/me/library/import"]["post"]["requestBody"]["content"]
    assert "text/plain" in body
    form = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "text" in schema["components"]["schemas"][form]["properties"]
