"""Library import: how entries match stored papers. A match by title alone is checked against
the entry's authors and year; titles written with "and" for "&", or without the LaTeX that
Google Scholar drops, still match; the report says how each entry matched."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperfeed import references
from paperfeed.models import Paper
from paperfeed.settings import Settings
from tests.web_support import import_file, importing

LISTED = date(2024, 9, 2)
ATTENTION = Paper(
    id="1706.03762",
    title="Attention Is All You Need",
    authors=("Ashish Vaswani", "Noam Shazeer", "Łukasz Kaiser", "José Müller"),
    listing_date=LISTED,
)
SNIFF = Paper(
    id="2606.27307",
    title="See & Sniff: Learning Visuo-Olfactory Representations",
    listing_date=LISTED,
)
EXPERTS = Paper(id="2606.20001", title="Mixture of Weak & Strong Experts on Graphs")
MAMBA = Paper(
    id="2606.20002",
    title="U$^2$Mamba: A Two-level Nested U-structure Mamba for Salient Object Detection",
    listing_date=LISTED,
)
SPELLED = Paper(id="2606.20003", title="Cats and Dogs in Vision Models", listing_date=LISTED)
GNN = Paper(id="2111.03080", title="Local Augmentation for Graph Neural Networks")


def _api(settings: Settings) -> AbstractContextManager[tuple[TestClient, dict[str, str]]]:
    return importing(settings, [ATTENTION, SNIFF, EXPERTS, MAMBA, SPELLED, GNN], "matcher")


_import = import_file


# --- a match by title alone is checked against the entry's authors and year ---------------------

# The tester's near misses (nearmiss.bib); n7 was saved as 1706.03762.
NEAR_MISSES = r"""@article{n1, title={Attention Is Not All You Need}}
@article{n3, title={Attention Is All You Need: A Survey}}
@article{n5, title={See and Sniff: Learning Visuo-Olfactory Representations}}
@article{n6, title={Mixture of Weak and Strong Experts on Graphs}}
@article{n7, title={Attention is all you need}, author={Someone, Else}, year={1999}}
"""


def test_a_title_match_whose_authors_and_year_contradict_the_paper_is_refused(
    settings: Settings,
) -> None:
    with _api(settings) as (c, auth):
        report = _import(c, auth, "near.bib", NEAR_MISSES)
    assert report["ids"] == [SNIFF.id, EXPERTS.id]
    refused = {u["entry"]: u["reason"] for u in report["unmatched"]}["@article{n7}"]
    assert refused == (
        "a paper of that title is stored (1706.03762), but its authors and year differ"
    )


@pytest.mark.parametrize(
    ("authors", "year", "why"),
    [
        ("Someone, Else", "2017", "authors differ"),
        ("Else Someone and Noam Shazeer", "2015", "year differs"),
        ("Vaswani, Ashish and others", "1999", "year differs"),
    ],
)
def test_either_authors_or_year_alone_refuse_a_title_match(
    sqlite_settings: Settings, authors: str, year: str, why: str
) -> None:
    bib = f"@article{{k, title={{Attention is all you need}}, author={{{authors}}}, year={year}}}"
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.bib", bib)
    assert report["ids"] == []
    assert report["unmatched"][0]["reason"].endswith(f"but its {why}")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        # one family name of several is enough; case and accents aside; a venue's later year
        ("lib.bib", "@article{k, title={Attention is all you need}, "
                    "author={Else Someone and VASWANI, A.}, year={2023}}"),
        ("lib.bib", "@article{k, title={Attention is all you need}, "
                    r"author={M{\"u}ller, Jos{\'e}}, date={2016-12-01}}"),
        ("lib.ris", "TY  - JOUR\nTI  - Attention is all you need\nAU  - Kaiser, Lukasz\n"
                    "PY  - 2017///\nER  - \n"),
        ("lib.json", json.dumps([{"title": "Attention is all you need",
                                  "author": [{"family": "MULLER", "given": "Jose"}],
                                  "issued": {"date-parts": [[2018, 1]]}}])),
        # no authors and no year: nothing contradicts the title
        ("lib.bib", "@article{k, title={Attention is all you need}}"),
    ],
    ids=["bibtex-one-of-two", "bibtex-accents-date", "ris", "csl-json", "title-only"],
)  # fmt: skip
def test_a_title_match_whose_authors_and_year_fit_is_saved(
    sqlite_settings: Settings, name: str, body: str
) -> None:
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, name, body)
    assert (report["ids"], report["unmatched"]) == ([ATTENTION.id], [])


def test_a_match_by_arxiv_id_is_not_checked_against_authors_or_year(
    sqlite_settings: Settings,
) -> None:
    bib = "@misc{k, title={Other}, eprint={1706.03762}, author={Someone, Else}, year={1999}}"
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.bib", bib)
    assert report["ids"] == [ATTENTION.id]
    assert (report["matched_by"], report["by_title"]) == (
        {"arxiv id": 1, "doi": 0, "title": 0},
        [],
    )


# --- the report says how each entry matched ------------------------------------------------------


def test_the_report_counts_how_entries_matched_and_lists_the_title_matches(
    sqlite_settings: Settings,
) -> None:
    bib = (
        "@misc{byid, title={Whatever}, eprint={2111.03080}}\n"
        "@misc{again, title={Local Augmentation for Graph Neural Networks}}\n"
        "@misc{sniff, title={See and Sniff: Learning Visuo-Olfactory Representations}}\n"
        "@misc{nowhere, title={Nowhere at all}}\n"
    )
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.bib", bib)
    assert report["matched"] == 2 and report["duplicates"] == 1
    assert report["matched_by"] == {"arxiv id": 1, "doi": 0, "title": 1}
    assert report["by_title"] == [{"entry": "@misc{sniff}", "id": SNIFF.id, "title": SNIFF.title}]
    assert [u["reason"] for u in report["unmatched"]] == ["not in this store"]


# --- titles that differ by "and" and "&", or by dropped LaTeX -----------------------------------


@pytest.mark.parametrize(
    ("title", "paper"),
    [
        ("See and Sniff: Learning Visuo-Olfactory Representations", SNIFF),
        ("Mixture of Weak and Strong Experts on Graphs", EXPERTS),
        ("Cats & Dogs in Vision Models", SPELLED),
        ("U2Mamba: A Two-level Nested U-structure Mamba for Salient Object Detection", MAMBA),
    ],
    ids=["and-for-amp", "and-for-amp-2", "amp-for-and", "scholar-drops-math"],
)
@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_titles_differing_by_and_or_dropped_math_match(
    sqlite_settings: Settings, title: str, paper: Paper, fmt: str
) -> None:
    escaped = title.replace("&", "\\&")
    body = {
        "bib": f"@misc{{k, title={{{escaped}}}}}\n",
        "ris": f"TY  - JOUR\nTI  - {title}\nER  - \n",
        "json": json.dumps([{"type": "article", "title": title}]),
    }[fmt]
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, f"lib.{fmt}", body)
    assert (report["ids"], report["unmatched"]) == ([paper.id], [])
    assert report["matched_by"]["title"] == 1


def test_loose_keys_vary_and_and_digit_edges_but_not_other_words() -> None:
    ref = references.Reference("k", "U2Mamba & Cats")
    assert ref.keys == ("u2mamba cats",)
    assert set(ref.loose_keys) == {
        "u2mamba and cats",
        "u 2mamba and cats",
        "u2 mamba and cats",
        "u 2 mamba and cats",
        "u 2mamba cats",
        "u2 mamba cats",
        "u 2 mamba cats",
    }
    assert references.Reference("k", "Attention is all you need").loose_keys == ()


# --- authors and year read from each format -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "authors", "year"),
    [
        (r"@misc{k, title={T}, author={van der Sommen, Fons and Ivan De Boi and {OpenAI Team}"
         r" and M{\"u}ller, J. and others}, year={2021}}",
         ("van der Sommen", "De Boi", "OpenAI Team", "Müller"), 2021),
        ("@misc{k, title={T}, author={Ada Lovelace}, date={2020-05-01}}", ("Lovelace",), 2020),
        ("TY  - JOUR\nTI  - T\nAU  - Lovelace, Ada\nA1  - Sam Van der Jeught\nY1  - 2019/05/01/\n"
         "ER  - \n", ("Lovelace", "Van der Jeught"), 2019),
        ("TY  - JOUR\nTI  - T\nDA  - 2018/01/02\nER  - \n", (), 2018),
        (json.dumps([{"title": "T", "author": [
            {"family": "Sommen", "given": "Fons", "non-dropping-particle": "van der"},
            {"literal": "Max Van Puyvelde"}], "issued": {"date-parts": [["2022", 3]]}}]),
         ("van der Sommen", "Van Puyvelde"), 2022),
        (json.dumps([{"title": "T", "issued": {"raw": "June 2016"}}]), (), 2016),
    ],
    ids=["bibtex", "bibtex-date", "ris", "ris-da", "csl-json", "csl-raw"],
)  # fmt: skip
def test_authors_family_names_and_year_are_read(
    body: str, authors: tuple[str, ...], year: int
) -> None:
    [ref] = references.read(body.encode()).references
    assert (ref.authors, ref.year) == (authors, year)
