"""A large library moved in: imports write in batches, files of a 10,000-entry library with
abstracts are taken, a file too big says what to do, a second import adds nothing, and the
report's long lists start folded."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine

from paperfeed import references
from paperfeed.latex import plain_math
from paperfeed.models import Paper
from paperfeed.references.bibtex_format import _title
from paperfeed.references.fields import clean
from paperfeed.settings import Settings
from paperfeed.store import upsert_papers
from paperfeed.store.library import library, user_collections
from tests.web_support import bearer, client, csrf_token, sign_up, statements, web_settings

DAY = date(2025, 6, 2)


def _papers(n: int) -> list[Paper]:
    return [
        Paper(id=f"2506.{10000 + i}", title=f"Sparse graph study number {i}", listing_date=DAY)
        for i in range(n)
    ]


def _zotero_bib(papers: list[Paper], abstract: str = "") -> str:
    """Entries as Zotero writes arXiv preprints: id in url, doi and note; tags; some read."""
    tags = ("robotics, survey", "survey", "paperfeed:read, robotics")
    return "".join(
        f"@misc{{k{i},\n  title = {{{{{p.title}}}}},\n  author = {{Doe, Jane and Roe, Rick}},\n"
        f"  url = {{http://arxiv.org/abs/{p.id}}},\n  doi = {{10.48550/arXiv.{p.id}}},\n"
        f"  note = {{arXiv:{p.id} [cs]}},\n  abstract = {{{abstract}}},\n"
        f"  keywords = {{{tags[i % 3]}}},\n  year = {{2025}}\n}}\n\n"
        for i, p in enumerate(papers)
    )


def test_an_import_writes_in_batches_not_once_per_entry(settings: Settings, engine: Engine) -> None:
    """A 10,000-entry BibTeX file took 143 s: each entry was saved, filed and marked read by
    statements of its own, and saving asked for the library's saved ids once per paper. Now
    an import of 60 entries runs as many statements as one of 20."""
    site = web_settings(settings)
    papers = _papers(80)
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    runs = []
    with client(site, engine) as c:
        for name, chunk in (("small", papers[:20]), ("large", papers[20:80])):
            auth = bearer(c, name)
            body = {"file": ("lib.bib", _zotero_bib(chunk).encode())}
            with statements(engine) as seen:
                got = c.post(
                    "/api/me/library/import",
                    files=body,
                    data={"tags_as_collections": "true"},
                    headers=auth,
                )
            assert got.status_code == 200, got.text
            report = got.json()
            assert (report["matched"], report["added"]) == (len(chunk), len(chunk))
            assert report["read"] == len(chunk) // 3 and report["collections"] == [
                "robotics",
                "survey",
            ]
            runs.append(len(seen))
    assert runs[0] == runs[1], runs
    with engine.connect() as conn:
        items = library(conn, 2)
        assert len(items) == 60 and sum(i.state == "read" for i in items) == 20
        assert {c.name for c in user_collections(conn, 2)} == {"robotics", "survey"}


def test_a_second_import_of_the_same_file_adds_nothing(settings: Settings, engine: Engine) -> None:
    """Moving a library in twice (a retry after a slow first try) must not save anything
    twice; the report says the papers were in the library already."""
    site = web_settings(settings)
    papers = _papers(12)
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    bib = _zotero_bib(papers).encode()
    with client(site, engine) as c:
        auth = bearer(c, "again")
        url = "/api/me/library/import"
        first = c.post(url, files={"file": ("a.bib", bib)}, headers=auth).json()
        second = c.post(url, files={"file": ("a.bib", bib)}, headers=auth).json()
    assert (first["matched"], first["added"]) == (12, 12)
    assert (second["matched"], second["added"], second["read"]) == (12, 0, 0)
    with engine.connect() as conn:
        assert len(library(conn, 1)) == 12


def test_a_library_export_over_the_old_5_mb_is_imported(sqlite_settings: Settings) -> None:
    """Zotero's export of a 10,000-entry library with abstracts is 7-12 MB; anything over
    5 MB was refused."""
    site = web_settings(sqlite_settings)
    from paperfeed.store import open_store

    engine = open_store(site)
    papers = _papers(300)
    with engine.begin() as conn:
        upsert_papers(conn, papers)
    bib = _zotero_bib(papers, abstract="We study sparse graphs. " * 850).encode()
    assert 6_000_000 < len(bib) < references.MAX_IMPORT_BYTES
    try:
        with client(site, engine) as c:
            auth = bearer(c, "mover")
            got = c.post("/api/me/library/import", files={"file": ("my.bib", bib)}, headers=auth)
    finally:
        engine.dispose()
    assert got.status_code == 200, got.text
    assert (got.json()["matched"], got.json()["unmatched"]) == (300, [])


def test_a_file_too_big_says_its_size_and_what_to_do_on_the_form(
    sqlite_settings: Settings,
) -> None:
    site = web_settings(sqlite_settings)
    from paperfeed.store import open_store

    engine = open_store(site)
    big = b"@misc{k, title={x}}\n" + b"%" * references.MAX_IMPORT_BYTES
    try:
        with client(site, engine) as c:
            sign_up(c, "hoarder")
            page = c.post(
                "/library/import",
                data={"csrf_token": csrf_token(c, "/library/import")},
                files={"file": ("huge.bib", big)},
            )
    finally:
        engine.dispose()
    assert page.status_code == 413
    said = re.sub(r"\s+", " ", page.text)
    assert "Nothing was imported: the file is 25.0 MB, over the 25 MB" in said
    assert "a collection at a time" in said


@pytest.mark.parametrize(
    "title",
    [
        "Sparse Graphs and Their Limits",
        "{GNN}s for {U$^2$Mamba}: a {Study}",
        'Schr{\\"o}dinger Bridges, 50\\% Faster',
        "Pages 1--4 and ``quoted'' words",
        "A~tie and x_1 and \\emph{stress}",
        "Café, naïve {Ørsted} and Erdős",
        "{{Double Braced Title}}",
    ],
)
def test_a_title_reads_as_the_latex_parser_reads_it(title: str) -> None:
    """Titles and names without LaTeX skip the LaTeX parser (19 in 20 of a real library),
    which took most of a large file's parse; they read the same as through it."""
    assert _title(title) == clean(plain_math(title))
