"""An arXiv id or address pasted with the punctuation around it (the end of a sentence,
parentheses, an email's angle brackets, quotes) finds that paper, old-style ids included."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from paperfeed.search.query import paper_id_in
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.test_arxiv_replaced_versions import V1
from tests.web_support import client, web_settings

OLD = replace(V1, id="hep-th/9901001", title="Strings Ending on Branes", authors=("Ed Witten",))

PASTED = [
    ("arxiv.org/abs/2401.00001v2.", V1.id),
    ("(arXiv:2401.00001)", V1.id),
    ("<https://arxiv.org/abs/2401.00001>", V1.id),
    ("“2401.00001”", V1.id),
    ('"https://arxiv.org/pdf/2401.00001v1.pdf",', V1.id),
    ("see arXiv:hep-th/9901001v2.", None),  # words around it: a search, not an id
    ("arXiv:hep-th/9901001v2.", OLD.id),
    ("(https://www.alphaxiv.org/abs/2401.00001);", V1.id),
]


@pytest.mark.parametrize(("query", "found"), PASTED)
def test_the_punctuation_an_id_was_pasted_with_is_not_part_of_it(
    query: str, found: str | None
) -> None:
    assert paper_id_in(query) == found


def test_a_pasted_id_finds_its_paper_on_the_site_and_in_the_api(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [V1, OLD])
    with client(web_settings(settings), engine) as c:
        for query, pid in PASTED:
            if pid is None:
                continue
            page = c.get("/search", params={"q": query})
            assert page.status_code == 200 and f'data-id="{pid}"' in page.text, query
            api = c.get("/api/papers/search", params={"q": query})
            assert api.status_code == 200, query
            assert [hit["paper"]["id"] for hit in api.json()] == [pid], query
