"""Old-style arXiv ids (hep-th/9901001, math.AG/0101001) pasted in any case: arXiv writes the
archive lower case and a subject class upper case, and so are they read."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from paperfeed.arxiv_ids import parse_arxiv_id
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import HOSTILE, client


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hf.co/papers/HEP-TH/9901001", ("hep-th/9901001", None)),
        ("https://huggingface.co/papers/Hep-Th/9901001", ("hep-th/9901001", None)),
        ("arxiv.org/abs/HEP-TH/9901001", ("hep-th/9901001", None)),
        ("https://arxiv.org/pdf/HEP-TH/9901001v2.pdf", ("hep-th/9901001", 2)),
        ("https://www.alphaxiv.org/abs/COND-MAT.STAT-MECH/0101001", None),  # no such class
        ("arxiv.org/abs/math.ag/0101001", ("math.AG/0101001", None)),
        ("https://arxiv.org/abs/MATH.AG/0101001v1", ("math.AG/0101001", 1)),
        ("HEP-TH/9901001", ("hep-th/9901001", None)),
        ("arXiv:math.ag/0101001", ("math.AG/0101001", None)),
        ("math.AG/0101001", ("math.AG/0101001", None)),  # arXiv's own spelling, as it is
        ("hep-th/9901001v3", ("hep-th/9901001", 3)),
        ("2401.12345V2", ("2401.12345", 2)),
    ],
)
def test_old_style_ids_read_in_arxivs_spelling(
    text: str, expected: tuple[str, int | None] | None
) -> None:
    """`hf.co/papers/HEP-TH/9901001` was read as the id HEP-TH/9901001, which no paper has."""
    if expected is None:
        with pytest.raises(ValueError):
            parse_arxiv_id(text)
    else:
        assert parse_arxiv_id(text) == expected


def test_an_upper_case_address_opens_the_paper(site: Settings, engine: Engine) -> None:
    """/papers/HEP-TH/9901001 and /abs/HEP-TH/9901001 (an address with this site's host)
    answered 404 for a stored hep-th/9901001; they now open it."""
    old = replace(HOSTILE, id="hep-th/9901001", title="An Old Paper", listing_date=None)
    with engine.begin() as conn:
        upsert_papers(conn, [old])
    with client(site, engine) as c:
        swapped = c.get("/abs/HEP-TH/9901001", follow_redirects=False)
        page = c.get("/papers/HEP-TH/9901001")
        api = c.get("/api/papers/math.ag%2F0101001")
    assert swapped.status_code == 301
    assert swapped.headers["location"] == "/papers/hep-th/9901001"
    assert page.status_code == 200 and "An Old Paper" in page.text
    assert api.status_code == 404 and "math.AG/0101001" in api.text
