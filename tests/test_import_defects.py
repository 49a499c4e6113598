"""Library import: records, duplicates, collection names, arXiv notes, LaTeX titles and the
report's wording, through the importer and through the API."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperfeed import references
from paperfeed.models import Paper, normalise_title
from paperfeed.settings import Settings
from paperfeed.web.bibtex import entries
from tests.web_support import (
    csrf_token,
    import_file,
    importing,
    sign_up,
)

GNN = Paper(id="2111.03080", title="Local Augmentation for Graph Neural Networks")
MAMBA = Paper(
    id="2409.00001",
    title="U$^2$Mamba: A Two-level Nested U-structure Mamba for Segmentation",
    listing_date=date(2024, 9, 2),
)
HULLS = Paper(
    id="2409.00002",
    title=r"Hulls and sums of codes over $\mathbb{F}_q \times \mathbb{F}_q$",
    listing_date=date(2024, 9, 2),
)
OTHERS = [
    Paper(id=f"2409.1000{n}", title=f"Paper number {n} on graphs", listing_date=date(2024, 9, 2))
    for n in range(9)
]


def _api(settings: Settings) -> AbstractContextManager[tuple[TestClient, dict[str, str]]]:
    return importing(settings, [GNN, MAMBA, HULLS, *OTHERS], "importer")


_import = import_file


# --- 1. an RIS record without its ER line ----------------------------------------------------

MISSING_ER = (
    "TY  - JOUR\nTI  - missing end record\n"
    "TY  - JOUR\nTI  - Local Augmentation for Graph Neural Networks\nER  - \n"
)


def test_a_ris_record_without_er_does_not_swallow_the_next() -> None:
    parsed = references.read(MISSING_ER.encode())
    titles = [r.title for r in parsed.references]
    assert titles == ["missing end record", "Local Augmentation for Graph Neural Networks"]
    assert parsed.errors == []


def test_the_record_after_one_without_er_is_matched(sqlite_settings: Settings) -> None:
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.ris", MISSING_ER)
    assert report["ids"] == [GNN.id]
    assert [u["title"] for u in report["unmatched"]] == ["missing end record"]


# --- 2. duplicates ----------------------------------------------------------------------------


def _bib(paper: Paper, key: str) -> str:
    return f"@misc{{{key}, title={{{paper.title}}}, eprint={{{paper.id}}}}}\n"


def test_a_paper_listed_twice_is_counted_once_and_said_a_duplicate(
    sqlite_settings: Settings,
) -> None:
    bib = "".join(_bib(p, f"k{n}") for n, p in enumerate(OTHERS)) + _bib(OTHERS[0], "again")
    bib += "@misc{nowhere, title={Nowhere at all}}\n@misc{nowhere2, title={Nowhere at all}}\n"
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.bib", bib)
        saved = c.get("/api/me/library", headers=auth).json()
    assert report["matched"] == 9 == len(saved)
    assert report["ids"] == [p.id for p in OTHERS]
    assert report["duplicates"] == 2  # OTHERS[0] again, and "Nowhere at all" again
    assert [u["title"] for u in report["unmatched"]] == ["Nowhere at all"]


def test_the_import_page_says_how_many_entries_were_duplicates(
    sqlite_settings: Settings,
) -> None:
    bib = _bib(GNN, "one") + _bib(GNN, "two")
    with _api(sqlite_settings) as (c, _):
        sign_up(c, "pager")
        token = csrf_token(c, "/library/import")
        page = c.post(
            "/library/import",
            data={"csrf_token": token},
            files={"file": ("lib.bib", bib.encode())},
        )
    assert page.status_code == 200, page.text
    assert "<strong>1</strong> paper matched and saved" in page.text
    assert "1 entry was a duplicate of another entry in the file" in page.text


# --- 3. collection names through BibTeX -------------------------------------------------------


def test_a_collection_name_survives_bibtex_export_and_import() -> None:
    name = r"Agents $\alpha$ & <b>RL</b>"
    others = ("50% done", "#1 pick", "snake_case", "costs $5")
    notes = references.Annotations(tags=(name, *others))
    exported = entries([GNN], {GNN.id: notes})
    [ref] = references.read(exported.encode()).references
    assert ref.tags == (name, *others)
    zotero = r"@misc{z, title={T}, keywords={A \& B, 100\%, \#2, a\_b, \$5}}"
    [theirs] = references.read(zotero.encode()).references
    assert theirs.tags == ("A & B", "100%", "#2", "a_b", "$5")


# --- 4. Zotero's arXiv line in RIS ------------------------------------------------------------


@pytest.mark.parametrize("line", ["arXiv:2606.23129 [cs]", "arXiv:2606.23129 [cs.LG]"])
def test_zoteros_arxiv_line_with_a_category_is_the_id_not_a_note(line: str) -> None:
    ris = f"TY  - PREP\nTI  - No such title\nN1  - {line}\nN1  - My own words\nER  - \n"
    [ref] = references.read(ris.encode()).references
    assert ref.arxiv_id == "2606.23129"
    assert ref.note == "My own words"


# --- 5. titles with LaTeX math ----------------------------------------------------------------


@pytest.mark.parametrize("paper", [MAMBA, HULLS], ids=["superscript", "mathbb"])
@pytest.mark.parametrize("fmt", ["bib", "bib-braced", "ris", "json"])
def test_an_exact_title_with_latex_math_matches(
    sqlite_settings: Settings, paper: Paper, fmt: str
) -> None:
    body = {
        "bib": f"@misc{{k, title={{{paper.title}}}}}\n",
        "bib-braced": f"@misc{{k, title={{{{{paper.title}}}}}}}\n",
        "ris": f"TY  - JOUR\nTI  - {paper.title}\nER  - \n",
        "json": json.dumps([{"type": "article", "title": paper.title}]),
    }[fmt]
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, f"lib.{fmt[:4]}", body)
    assert (report["ids"], report["unmatched"]) == ([paper.id], [])


@pytest.mark.parametrize("fmt", ["ris", "json"])
def test_ris_and_csl_titles_keep_their_braces(fmt: str) -> None:
    body = {
        "ris": f"TY  - JOUR\nTI  - {HULLS.title}\nER  - \n",
        "json": json.dumps([{"title": HULLS.title}]),
    }[fmt]
    [ref] = references.read(body.encode()).references
    assert ref.title == HULLS.title
    assert ref.keys == (normalise_title(HULLS.title),)


# --- 6. the report's wording ------------------------------------------------------------------


def test_a_csl_title_given_as_a_list_is_reported_as_text(sqlite_settings: Settings) -> None:
    csl = json.dumps([{"type": "article", "title": ["list title"]}])
    [ref] = references.read(csl.encode()).references
    assert ref.title == "list title"
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "lib.json", csl)
    assert report["unmatched"] == [
        {"entry": "item 1", "title": "list title", "reason": "not in this store"}
    ]


def test_an_entry_without_title_doi_or_id_is_reported_alike_in_every_format(
    sqlite_settings: Settings,
) -> None:
    files = {
        "lib.bib": "@misc{empty, author={Nobody}}\n",
        "lib.json": json.dumps([{"type": "article", "author": [{"literal": "Nobody"}]}]),
        "lib.ris": "TY  - JOUR\nAU  - Nobody\nER  - \n",
    }
    with _api(sqlite_settings) as (c, auth):
        reports = {name: _import(c, auth, name, body) for name, body in files.items()}
    assert {name: r["unmatched"] for name, r in reports.items()} == {
        # where, and why, each said once (the reason was "could not be read" after the why)
        "lib.bib": [{"entry": "@misc{empty}", "reason": "no title, DOI or arXiv id"}],
        "lib.json": [{"entry": "item 1", "reason": "no title, DOI or arXiv id"}],
        "lib.ris": [{"entry": "entry 1", "reason": "no title, DOI or arXiv id"}],
    }


# --- 7. notes through RIS ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        "Reading list:\n- one\n- two\n- three",
        "Key idea: a.\n\nSteps:\n1. first\n2. second\n   - nested detail\n\nLast paragraph.",
    ],
    ids=["tight-list", "paragraphs-and-nesting"],
)
def test_a_note_survives_ris_export_and_import_unchanged(note: str) -> None:
    text = references.ris([GNN], {GNN.id: references.Annotations(note=note)})
    [ref] = references.read(text.encode()).references
    assert ref.arxiv_id == GNN.id
    assert ref.note == note


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_importing_your_own_export_again_leaves_a_multi_line_note_as_it_was(
    sqlite_settings: Settings, fmt: str
) -> None:
    """A browser sends a note's lines ended by CR LF; the export writes them with LF. Each
    re-import of the export added the note again below itself (1, 2, 4, 8 copies)."""
    note = "first line\r\nsecond line\r\n\r\n- a point"
    with _api(sqlite_settings) as (c, auth):
        assert c.post("/api/me/library", json={"paper_id": GNN.id}, headers=auth).is_success
        patched = c.patch(f"/api/me/library/{GNN.id}", json={"note": note}, headers=auth)
        assert patched.is_success, patched.text
        for _ in range(2):
            exported = c.get(f"/library/export.{fmt}", headers=auth)
            assert exported.status_code == 200 and "second line" in exported.text
            report = _import(c, auth, f"mine.{fmt}", exported.text)
            assert report["matched"] == 1 and report["notes"] == 0
        [item] = c.get("/api/me/library", headers=auth).json()
    assert item["note"] == "first line\nsecond line\n\n- a point"


# --- 8. RIS written with one space before the dash --------------------------------------------

ONE_SPACE_RIS = (
    "TY - JOUR\nTI - Local Augmentation for Graph Neural Networks\nAU - Liu, Songtao\n"
    "UR - https://arxiv.org/abs/2111.03080\nER - \n\n"
    "TY - JOUR\nTI - Paper number 3 on graphs\nER -\n"
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_ris_with_one_space_before_the_dash_is_read(newline: str) -> None:
    """Zotero reads "TY - JOUR" as RIS; such a file was refused as "not BibTeX, RIS or
    CSL-JSON", though each of its lines was read."""
    text = "\ufeff" + ONE_SPACE_RIS.replace("\n", newline)
    parsed = references.read(text.encode())
    assert parsed.format == "ris"
    assert [(r.title, r.arxiv_id) for r in parsed.references] == [
        ("Local Augmentation for Graph Neural Networks", GNN.id),
        ("Paper number 3 on graphs", None),
    ]
    assert parsed.errors == []


def test_ris_with_one_space_before_the_dash_is_imported(sqlite_settings: Settings) -> None:
    with _api(sqlite_settings) as (c, auth):
        report = _import(c, auth, "mendeley.ris", ONE_SPACE_RIS)
    assert report["format"] == "ris"
    assert report["ids"] == [GNN.id, OTHERS[3].id]


# --- a plain list of ids and URLs ---------------------------------------------------------------


def test_a_text_list_of_arxiv_ids_urls_and_dois_is_read_line_by_line() -> None:
    """The import box offered .txt files; a reading list of ids was refused as "not BibTeX,
    RIS or CSL-JSON"."""
    text = (
        "# to read\n2401.01234\n\nhttps://arxiv.org/abs/2312.00001v2 (Ana's pick)\n"
        "arXiv:hep-th/9901001\n<https://doi.org/10.1145/3292500.3330701>\n"
        "10.48550/arXiv.2402.00002\nhttps://huggingface.co/papers/2403.00003\nask Ana\n"
    )
    parsed = references.read(text.encode())
    assert parsed.format == "list of ids"
    assert [(r.where, r.arxiv_id, r.doi) for r in parsed.references] == [
        ("line 2", "2401.01234", None),
        ("line 4", "2312.00001", None),
        ("line 5", "hep-th/9901001", None),
        ("line 6", None, "10.1145/3292500.3330701"),
        ("line 7", "2402.00002", None),
        ("line 8", "2403.00003", None),
    ]
    assert parsed.errors == ["line 9: 'ask Ana' holds no arXiv id, arXiv URL or DOI"]


@pytest.mark.parametrize(
    "text",
    [
        "hello\nworld\n",  # names no paper
        "We read 2401.01234 today, and more.\n",  # a sentence is no list
        "a\nb\nc\n2401.01234\n",  # mostly not a list
    ],
)
def test_text_that_is_no_list_of_papers_is_still_refused(text: str) -> None:
    with pytest.raises(references.UnreadableFile, match="list of arXiv ids"):
        references.read(text.encode())


def test_a_list_of_ids_is_imported_through_the_api(sqlite_settings: Settings) -> None:
    with _api(sqlite_settings) as (c, auth):
        listed = f"{GNN.id}\nhttps://arxiv.org/abs/{OTHERS[3].id}v1\n"
        report = _import(c, auth, "reading.txt", listed)
    assert report["format"] == "list of ids"
    assert report["ids"] == [GNN.id, OTHERS[3].id]


def test_the_report_names_the_collection_the_papers_went_into(sqlite_settings: Settings) -> None:
    with _api(sqlite_settings) as (c, auth):
        files = {"file": ("reading.txt", f"{GNN.id}\n".encode())}
        form = {"collection": "  Thesis  reading "}
        report = c.post("/api/me/library/import", files=files, data=form, headers=auth).json()
        nothing = c.post(
            "/api/me/library/import", files={"file": ("x.txt", b"2101.99999\n")}, headers=auth
        ).json()
        listed = c.get("/api/me/collections", headers=auth).json()
    assert report["into"]["name"] == listed[0]["name"] and report["into"]["id"] == listed[0]["id"]
    assert nothing["into"] is None
