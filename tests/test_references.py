"""Reading reference-manager exports: where each tool writes an arXiv paper's id."""

from __future__ import annotations

import re

import pytest

from paperfeed import references
from paperfeed.models import Paper, normalise_title


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # Google Scholar
        ("@article{g, title={T}, journal={arXiv preprint arXiv:2401.12345}}", "2401.12345"),
        ("@article{g, title={T}, journal={arXiv preprint cs/0601001}}", "cs/0601001"),
        (
            "@article{g, title={T}, journal={arXiv preprint arXiv:hep-th/9901001v2}}",
            "hep-th/9901001",
        ),
        # Semantic Scholar and DBLP
        ("@article{s, title={T}, journal={ArXiv}, volume={abs/2401.12345}}", "2401.12345"),
        ("@article{d, title={T}, journal={CoRR}, volume={abs/2401.1234}}", "2401.1234"),
        # arXiv's DataCite DOI, as Zotero and Mendeley keep it
        ("@misc{z, title={T}, doi={10.48550/arXiv.2401.12345}}", "2401.12345"),
        ("@misc{z, title={T}, doi={10.48550/ARXIV.2401.12345V3}}", "2401.12345"),
        # arXiv's own export
        ("@misc{a, title={T}, eprint={2401.12345}, archivePrefix={arXiv}}", "2401.12345"),
        # not arXiv
        ("@article{j, title={T}, journal={Phys. Rev. D}, volume={12}}", None),
        ("@article{j, title={T}, doi={10.1103/PhysRevD.12.345}}", None),
        ("@article{j, title={T}, journal={Abs. Algebra}, volume={abs/12}}", None),
        ("@article{j, title={T}, note={2401.123456 is not an id}}", None),
    ],
)
def test_bibtex_arxiv_ids(entry: str, expected: str | None) -> None:
    [ref] = references.read(entry.encode()).references
    assert ref.arxiv_id == expected


def test_ris_and_csl_json_read_the_arxiv_doi_and_volume() -> None:
    ris = b"TY  - JOUR\nTI  - T\nJO  - ArXiv\nVL  - abs/2401.12345\nER  - \n"
    ris_doi = b"TY  - PREP\nTI  - T\nDO  - 10.48550/arXiv.2402.00001\nER  - \n"
    csl = b'[{"title": "T", "DOI": "10.48550/arXiv.2403.00002"}]'
    found = [references.read(x).references[0].arxiv_id for x in (ris, ris_doi, csl)]
    assert found == ["2401.12345", "2402.00001", "2403.00002"]


@pytest.mark.parametrize(
    ("bibtex_title", "stored_title"),
    [
        (r"Schr{\"o}dinger Bridges for {GNN}s", "Schrödinger Bridges for GNNs"),
        (r"Poincar{\'e} Maps: 50\% Faster", "Poincaré Maps: 50% Faster"),
        (r"On $\alpha$-Divergences", r"On $\alpha$-Divergences"),
    ],
)
def test_bibtex_titles_written_in_latex_match_the_stored_title(
    bibtex_title: str, stored_title: str
) -> None:
    # Reference managers write accents and escapes in LaTeX; a DOI-less entry is matched by title.
    [ref] = references.read(f"@misc{{k, title={{{bibtex_title}}}}}".encode()).references
    assert normalise_title(ref.title) == normalise_title(stored_title)
    assert "\\" not in ref.title and "{" not in ref.title


def test_ris_export_is_plain_records_from_ty_to_er() -> None:
    """Each record starts at `TY  -` and ends at `ER  -` (no "1." numbering before it); a note
    is one N1, its further lines on lines of their own, as Zotero writes and reads a note (it
    made each N1 line a note of its own, and the arXiv id, once an N1, a note too); authors are
    "Family, Given" and the journal reference is the JO, as RIS specifies."""
    papers = [
        Paper(id="2401.12345", title="First", authors=("Ada Lovelace",)),
        Paper(id="2402.00001", title="Second", journal_ref="J. Test 1 (2024)"),
    ]
    note = references.Annotations(note="Key idea: a.\n\nCheck the appendix, #3.", tags=("x",))
    text = references.ris(papers, {"2401.12345": note})

    assert "\nN1  - Key idea: a.\n\nCheck the appendix, #3.\n" in text
    assert text.count("N1  -") == 1 and "arXiv:2401.12345" not in text
    records = [r for r in re.split(r"^ER  - *$", text, flags=re.M) if r.strip()]
    assert [r.strip().splitlines()[0] for r in records] == ["TY  - GEN", "TY  - JOUR"]
    assert "AU  - Lovelace, Ada" in records[0] and "JO  - J. Test 1 (2024)" in records[1]
    assert "UR  - https://arxiv.org/abs/2401.12345" in records[0]
    assert "DO  - 10.48550/arXiv.2401.12345" in records[0]  # Zotero's DOI field: an identifier
    first, second = references.read(text.encode()).references
    assert (first.title, first.arxiv_id, first.note) == ("First", "2401.12345", note.note)
    assert (second.title, second.arxiv_id, second.note) == ("Second", "2402.00001", "")


def test_a_paper_is_cited_by_its_first_version_not_by_the_day_it_was_listed() -> None:
    from datetime import date, datetime

    from paperfeed.models import Version
    from paperfeed.web.bibtex import entry, paper_year

    listed = date(2026, 3, 2)
    late = Paper(id="2512.10359", title="Tool use", authors=("Ann Fan",), listing_date=listed,
                 published=datetime(2026, 3, 1))  # fmt: skip
    assert paper_year(late) == 2025 and references.issued(late) == (2025, 12)
    assert "year          = {2025}" in entry(late) and "fan2025tool" in entry(late)
    first = Version(1, datetime(2025, 12, 11, 9, 0))
    dated = Paper(id="2512.10359", title="Tool use", versions=(first,), listing_date=listed)
    assert references.issued(dated) == (2025, 12, 11)
    assert '"date-parts": [\n    [\n     2025,\n     12,\n     11' in references.csl_json([dated])
    assert "PY  - 2025" in references.ris([dated])
    assert paper_year(Paper(id="hep-th/9901001", title="Old")) == 1999
    assert paper_year(Paper(id="math/0211159", title="Ricci flow")) == 2002
    # A paper from a plain page has only the day it was listed here: no year is better than 2026.
    local = Paper(id="local-fdbe49ac6c2d", title="CBNet", listing_date=listed)
    assert paper_year(local) is None and "year" not in entry(local)
    journal = Paper(id="local-1", title="J", published=datetime(2019, 5, 1), listing_date=listed)
    assert paper_year(journal) == 2019


@pytest.mark.parametrize("kind", ["bibtex", "csl-json"])
def test_tags_with_separators_and_notes_with_lone_braces_come_back_whole(kind: str) -> None:
    """A collection named "Vision, Language; Robotics" came back as two; a note's lone brace
    was dropped and another added (BibTeX fields must balance their braces)."""
    from paperfeed.web.bibtex import entries

    paper = Paper("2606.30840", "A title", "An abstract.", authors=("Ada Lovelace",))
    note = "50% of {cases} \\cite{x} and a lone } brace; @misc{\n\nSecond paragraph."
    tags = ("Vision, Language; Robotics", "to read", "a;b", 'say "hi", ok', 'just "quoted"')
    extra = {paper.id: references.Annotations(note, tags)}
    text = entries([paper], extra) if kind == "bibtex" else references.csl_json([paper], extra)
    [ref] = references.read(text.encode()).references
    # CSL-JSON quotes such a tag and doubles a quote in it (it came back with a single quote).
    assert ref.tags == tags
    assert ref.note == note
    if kind == "bibtex":
        assert text.count("{") == text.count("}")  # every field balances


def test_a_name_in_cjk_script_puts_its_family_name_first() -> None:
    from paperfeed.references.names import split_name

    assert split_name("山田 太郎") == ("山田", "太郎")
    assert split_name("김 민수") == ("김", "민수")
    assert split_name("张伟") == ("张伟", "")  # one word: the whole name
    assert split_name("Taro Yamada") == ("Yamada", "Taro")
    ris = references.ris([Paper("2606.30841", "T", "A.", authors=("山田 太郎",))])
    assert "AU  - 山田, 太郎" in ris


@pytest.mark.parametrize("name", ["John Smith Jr.", "John Smith, Jr.", "Smith, John, Jr."])
def test_a_name_with_jr_keeps_its_family_name_in_every_export(name: str) -> None:
    """ "John Smith Jr." was exported as the family name "Jr." with the given names "John Smith"
    (BibTeX "Jr., John Smith", cited as "J. S. Jr."; RIS "Jr., John Smith"; the key "jr…")."""
    from paperfeed.web.bibtex import bib_name, cite_key, entry

    paper = Paper("2606.30841", "Turbulence in stars", authors=(name, "Ada Lovelace"))
    assert bib_name(name) == "Smith, Jr., John"
    assert cite_key(paper).startswith("smith")
    assert references.ris_name(name) == "Smith, John, Jr."
    [first, _] = references.csl_item(paper)["author"]
    assert first == {"family": "Smith", "given": "John", "suffix": "Jr."}
    # and each reads back with Smith as the family name
    [ref] = references.read(entry(paper).encode()).references
    assert ref.authors == ("Smith", "Lovelace")
    [ref] = references.read(references.ris([paper]).encode()).references
    assert ref.authors == ("Smith", "Lovelace")
    [ref] = references.read(references.csl_json([paper]).encode()).references
    assert ref.authors == ("Smith", "Lovelace")


@pytest.mark.parametrize("name", ["Jing Xi", "Henry IV", "Vi Tran", "Hao Li"])
def test_a_last_name_that_looks_like_a_numeral_stays_the_family_name(name: str) -> None:
    family = name.split()[-1]
    assert references.split_name(name) == (family, name.split()[0])


def test_tex_logos_and_angle_brackets_in_a_bibtex_title_are_kept() -> None:
    """Zotero writes < and > as {\\textless} and {\\textgreater}; a JabRef title holds \\LaTeX:
    each was dropped ("The {\\TeX}book" was reported as "The book")."""
    bib = r"@book{k, title={The {\TeX}book: \LaTeX{} and Bib\TeX, {\textless}3 {\textgreater}}}"
    [ref] = references.read(bib.encode()).references
    assert ref.title == "The TeXbook: LaTeX and BibTeX, <3 >"


@pytest.mark.parametrize(
    ("name", "start"),
    [("张伟", "zhangwei2026"), ("Иван Иванов", "ivanov2026"), ("Paul Erdős", "erdos2026")],
)
def test_a_cite_key_spells_a_name_of_another_script_in_latin_letters(name: str, start: str) -> None:
    """A first author written in Chinese or Cyrillic gave the key "2026" (then 2026a, 2026b):
    valid, but no reader could tell whose paper it was."""
    from paperfeed.web.bibtex import cite_key

    paper = Paper("2606.30841", "Turbulence in stars", authors=(name,))
    assert cite_key(paper) == start + "turbulence"
