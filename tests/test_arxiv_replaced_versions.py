"""A paper replaced on arXiv: the newest version's title, authors and journal reference are what
its page, search, author pages and BibTeX show."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine

from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from tests.web_support import client, web_settings

V1 = Paper(
    id="2401.00001",
    title="Counting Zebras with Sparse Transformers",
    abstract="We count animals in aerial images.",
    authors=("Ann Oldham", "Bob Keeper"),
    categories=("cs.CV", "cs.LG"),
    version=1,
    source="arxiv_api",
    listing_date=date(2024, 1, 2),
)
V2 = replace(
    V1,
    title="Counting Giraffes with Sparse Transformers",
    authors=("Bob Keeper", "Cy Newman"),
    version=2,
    journal_ref="Phys. Rev. D 109, 012345 (2024)",
    doi="10.1103/PhysRevD.109.012345",
)


def test_a_journal_reference_in_a_later_version_makes_an_article(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    with engine.begin() as conn:
        upsert_papers(conn, [V1])
    with client(site, engine) as c:
        first = c.get(f"/papers/{V1.id}/bibtex")
        assert first.status_code == 200 and first.text.startswith("@misc{")
        assert "journal" not in first.text and "doi" not in first.text
        with engine.begin() as conn:
            upsert_papers(conn, [V2])
        bib = c.get(f"/papers/{V1.id}/bibtex").text
    assert bib.startswith("@article{"), bib
    assert "doi           = {10.1103/PhysRevD.109.012345}" in bib
    assert "journal       = {Phys. Rev. D 109, 012345 (2024)}" in bib
    assert "Counting Giraffes" in bib and "Keeper, Bob and Newman, Cy" in bib


def test_the_newest_version_leads_search_and_author_pages(
    settings: Settings, engine: Engine
) -> None:
    site = web_settings(settings)
    with engine.begin() as conn:
        upsert_papers(conn, [V1])
    with client(site, engine) as c:
        assert f"/papers/{V1.id}" in c.get("/search", params={"q": "zebras"}).text
        assert f"/papers/{V1.id}" in c.get("/authors/ann-oldham").text
        with engine.begin() as conn:
            upsert_papers(conn, [V2])
        page = c.get(f"/papers/{V1.id}").text
        assert "Counting Giraffes" in page and "Ann Oldham" not in page
        assert f"/papers/{V1.id}" not in c.get("/search", params={"q": "zebras"}).text
        assert f"/papers/{V1.id}" in c.get("/search", params={"q": "giraffes"}).text
        assert f"/papers/{V1.id}" not in c.get("/authors/ann-oldham").text
        assert f"/papers/{V1.id}" in c.get("/authors/cy-newman").text
        # An older version read again (a re-run of an old harvest) changes nothing.
        with engine.begin() as conn:
            upsert_papers(conn, [V1])
        assert "Counting Giraffes" in c.get(f"/papers/{V1.id}").text
        assert f"/papers/{V1.id}" not in c.get("/authors/ann-oldham").text
