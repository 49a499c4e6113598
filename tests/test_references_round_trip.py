"""Library files as Zotero, JabRef, Mendeley and EndNote write them, and paperfeed's own exports
read back: repeated fields, encodings, HTML notes, the reading state, escapes and ids."""

from __future__ import annotations

import json

import bibtexparser
import pytest

from paperfeed import references
from paperfeed.models import Paper, normalise_title
from paperfeed.web.bibtex import entries, entry


def _one(text: str | bytes) -> references.Reference:
    [ref] = references.read(text.encode() if isinstance(text, str) else text).references
    return ref


# --- an entry that repeats a field -----------------------------------------------------------

ZOTERO_TWO_NOTES = """@Misc{zot2,
  title = {See \\& Sniff: Learning Visuo-Olfactory Representations},
  annote = {First Zotero note},
  annote = {Second Zotero note},
}
"""


def test_an_entry_repeating_a_field_is_read() -> None:
    """Zotero writes one `annote` per note: the entry was dropped as "cannot be read"."""
    zotero = _one(ZOTERO_TWO_NOTES)
    assert zotero.title == "See & Sniff: Learning Visuo-Olfactory Representations"
    assert zotero.note == "First Zotero note\n\nSecond Zotero note"
    twice = _one("@misc{a, title = {Old}, title = {New}, keywords={x, y}, keywords={y, z}}")
    assert (twice.title, twice.tags) == ("New", ("x", "y", "z"))


def test_an_entry_whose_key_an_earlier_one_has_is_read_and_a_broken_one_says_why() -> None:
    parsed = references.read(
        b"@misc{k, title={One}, eprint={2401.00001}}\n"
        b"@misc{k, title={Two}, eprint={2401.00002}}\n"
        b"@misc{broken, title={Never closed\n"
        b"@misc{after, title={Three}}\n"
    )
    assert [(r.where, r.arxiv_id) for r in parsed.references] == [
        ("@misc{k}", "2401.00001"),
        ("@misc{k}", "2401.00002"),
        ("@misc{after}", None),
    ]
    [error] = parsed.errors
    assert error.startswith("line 3: cannot be read (") and "Unexpected block start" in error
    assert error.endswith(": @misc{broken, title={Never closed"), error


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "@misc{w, title={Résumé “quoted” – x}}".encode("cp1252"),
        "@misc{w, title={Résumé “quoted” – x}}".encode("utf-16"),
        "\ufeff@misc{w, title={Résumé “quoted” – x}}".encode(),
        b"% Encoding: ISO-8859-1\n@misc{w, title={R\xe9sum\xe9 x}}",
    ],
    ids=["windows-1252", "utf-16-bom", "utf-8-bom", "declared-latin-1"],
)
def test_files_in_the_encodings_reference_managers_write_are_read(data: bytes) -> None:
    assert _one(data).title.startswith("Résumé")


def test_no_file_fails_to_decode_but_binary_is_refused() -> None:
    # 0x81 is undefined in Windows-1252: such a byte is read as Latin-1.
    assert _one(b"TY  - JOUR\nTI  - Caf\xe9 \x81\nER  - \n").title == "Café \x81"
    with pytest.raises(references.UnreadableFile, match="not text"):
        references.read(b"\xff\xfe\x00")


# --- notes -----------------------------------------------------------------------------------

ZOTERO_RIS = (
    "TY  - PREP\nTI  - T\n"
    "N1  - <p>Comment: 12 pages</p>\n"
    "N1  - <h1>My Zotero note</h1><p>Key idea: <strong>CRB</strong> &amp; MSL &lt;tradeoff&gt;"
    '</p><ul><li>one</li><li>two <a href="https://x.org/a">link</a></li></ul>\n'
    "ER  - \n"
)


def test_html_notes_become_markdown_and_each_n1_is_a_note() -> None:
    assert _one(ZOTERO_RIS).note == (
        "Comment: 12 pages\n\n# My Zotero note\n\nKey idea: **CRB** & MSL <tradeoff>\n\n"
        "- one\n- two [link](https://x.org/a)"
    )
    two = _one("TY  - JOUR\nTI  - T\nN1  - first note\nN1  - second note\nER  - \n")
    assert two.note == "first note\n\nsecond note"


def test_an_older_paperfeed_ris_export_keeps_its_notes_lines() -> None:
    """paperfeed wrote a note's lines as N1 lines, after an "arXiv:ID" N1."""
    old = "TY  - GEN\nTI  - T\nN1  - arXiv:2401.12345\nN1  - List:\nN1  - - one\nN1  - - two\n"
    assert _one(old + "ER  - \n").note == "List:\n- one\n- two"
    blank = "TY  - GEN\nTI  - T\nN1  - One.\nN1  - \nN1  - Two.\nER  - \n"
    assert _one(blank).note == "One.\n\nTwo."


def test_latex_accents_in_notes_are_decoded_as_in_titles() -> None:
    mendeley = r"@article{m, title={T}, annote = {with {\"{u}}mlaut, {\ss} and \'e \cite{x}}}"
    assert _one(mendeley).note == r"with ümlaut, ß and é \cite{x}"


# --- the reading state and collections named like it ----------------------------------------

PAPER = Paper("2606.30840", "A title", "An abstract.", authors=("Ada Lovelace",))


def _export(fmt: str, extra: references.Annotations) -> str:
    write = {"bib": entries, "ris": references.ris, "json": references.csl_json}[fmt]
    return write([PAPER], {PAPER.id: extra})


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
@pytest.mark.parametrize("state", ["read", "to_read"])
def test_a_collection_named_read_is_not_the_reading_state(fmt: str, state: str) -> None:
    extra = references.Annotations("n", ("read", "to read", "Group"), state)
    text = _export(fmt, extra)
    ref = _one(text)
    assert (ref.state, ref.other_tags) == (state, ("read", "to read", "Group"))
    assert text.count("paperfeed:") == 1  # no tag twice


@pytest.mark.parametrize("fmt", ["bib", "ris", "json"])
def test_an_older_export_s_bare_read_tag_is_still_the_state(fmt: str) -> None:
    ref = _one(_export(fmt, references.Annotations("n", ("Group", "read"))))
    assert (ref.state, ref.other_tags) == ("read", ("Group",))
    ref = _one(_export(fmt, references.Annotations("n", ("to read",))))
    assert (ref.state, ref.other_tags) == ("to_read", ())


def test_jabref_groups_readstatus_and_comment() -> None:
    jabref = _one(
        "@Article{Ma2026, title = {T}, eprint = {2606.23154}, groups = {Antennas, Thesis},"
        " readstatus = {read}, comment = {JabRef comment field note}, keywords = {kw}}"
    )
    assert (jabref.tags, jabref.state) == (("kw", "Antennas", "Thesis", "read"), "read")
    assert jabref.note == "JabRef comment field note"
    assert "readstatus    = {read}" in entry(PAPER, extra=references.Annotations(state="read"))


# --- BibTeX escapes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Bengal-HP_RU: A Corpus", r"{Bengal-HP\_RU: A Corpus}"),
        ("Meet UD_Czech-PDTC, costs $5 #1 x^2", r"{Meet UD\_Czech-PDTC, costs \$5 \#1 x\^{}2}"),
        (r"U$^2$Mamba on $\mathbb{F}_q$ & co", r"{U$^2$Mamba on $\mathbb{F}_q$ \& co}"),
        (r"Already \_ escaped", r"{Already \_ escaped}"),
    ],
)
def test_bibtex_escapes_what_latex_reads_as_markup_outside_maths(title: str, written: str) -> None:
    paper = Paper("2606.24122", title, authors=("Ada Lovelace",))
    text = entry(paper, extra=references.Annotations(note=f"see {title}", tags=(title,)))
    assert f"title         = {{{written}}}" in text
    [parsed] = bibtexparser.parse_string(text).entries  # type: ignore[attr-defined]
    assert parsed.fields_dict["title"].value == written
    ref = _one(text)
    assert normalise_title(title) in ref.keys
    unescaped = title.replace(r"\_", "_")
    assert (ref.note, ref.tags) == (f"see {unescaped}", (unescaped,))  # braces kept


# --- where an arXiv id is ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@article{K, arxivId = {2606.27307}, title = {{See {\\&} Sniff}}}", "2606.27307"),
        (
            "@misc{b, title={y}, howpublished={\\url{https://arxiv.org/abs/2606.22472}}}",
            "2606.22472",
        ),
        ("@misc{e, title={v}, pdf={https://arxiv.org/pdf/2606.20282.pdf}}", "2606.20282"),
        ("@article{d, title={t}, journal={CoRR}, volume={cs.DS/0112017}}", "cs/0112017"),
        ("TY  - JOUR\nT1  - S\nL1  - https://arxiv.org/pdf/2606.21596v1\nER  -\n", "2606.21596"),
        ("TY  - JOUR\nTI  - O\nLK  - http://arxiv.org/abs/2606.22472\nER  -\n", "2606.22472"),
        ("TY  - ELEC\nTI  - T\nM1  - arXiv:2606.21425\nER  - \n", "2606.21425"),
        ("TY  - JOUR\nTI  - S\nAN  - arXiv:2606.24347\nER  - \n", "2606.24347"),
    ],
    ids=["mendeley", "howpublished", "pdf", "dblp-old", "L1", "LK", "M1", "AN"],
)
def test_arxiv_ids_where_reference_managers_put_them(text: str, expected: str) -> None:
    assert _one(text).arxiv_id == expected


# --- CSL-JSON --------------------------------------------------------------------------------


def test_csl_titles_lose_their_rich_text_markup() -> None:
    title = '<i>Fabric</i> Image <span class="nocase">Demoiréing</span> x<sup>2</sup>'
    ref = _one(json.dumps([{"type": "article-journal", "title": title}]))
    assert ref.title == "Fabric Image Demoiréing x2"


def test_csl_json_in_an_object_is_read_or_refused_clearly() -> None:
    item = {"type": "article", "title": "T"}
    assert _one(json.dumps({"items": [item]})).title == "T"
    assert _one(json.dumps({"ITEM-1": item})).title == "T"  # citeproc-js's items by id
    with pytest.raises(references.UnreadableFile, match="CSL-JSON must be a list of items"):
        references.read(json.dumps({"items": {"a": 1}}).encode())
    with pytest.raises(references.UnreadableFile, match="no items"):
        references.read(b'{"items": []}')


# --- names with particles --------------------------------------------------------------------

JOINED = "Antonio de Sousa Leitão Filho; Allan Kardec Vieira Sousa"  # an arXiv listing's artefact


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("Fons van der Sommen", "van der Sommen", "Fons"),
        ("Sam Van der Jeught", "Van der Jeught", "Sam"),
        ("Ivan De Boi", "De Boi", "Ivan"),
        ("Max Van Puyvelde", "Van Puyvelde", "Max"),
        ("Jean-Baptiste  le Roux", "le Roux", "Jean-Baptiste"),
        ("Le Song", "Song", "Le"),  # a given name that looks like a particle stays given
        ("Ada Augusta Lovelace", "Lovelace", "Ada Augusta"),
        ("Mark DE Berg", "Berg", "Mark DE"),  # a particle is lower or title case
        ("van der Sommen, Fons", "van der Sommen", "Fons"),  # "Family, Given" as given
        ("Plato", "Plato", ""),
        (JOINED, JOINED, ""),
    ],
)
def test_split_name_keeps_particles_with_the_family_name(
    name: str, family: str, given: str
) -> None:
    assert references.split_name(name) == (family, given)


def test_every_export_cites_a_family_name_with_its_particles() -> None:
    paper = Paper(
        id="2606.19908",
        title="T",
        authors=("Ivan De Boi", "Fons van der Sommen", "Sam Van der Jeught", JOINED),
    )
    bib = entry(paper)
    assert (
        "author        = {De Boi, Ivan and van der Sommen, Fons and Van der Jeught, Sam and "
        f"{{{JOINED}}}}}" in bib
    )
    ris = references.ris([paper])
    assert "AU  - van der Sommen, Fons\n" in ris and f"AU  - {JOINED}\n" in ris
    [item] = json.loads(references.csl_json([paper]))
    assert item["author"] == [
        {"family": "Boi", "given": "Ivan", "non-dropping-particle": "De"},
        {"family": "Sommen", "given": "Fons", "non-dropping-particle": "van der"},
        {"family": "Jeught", "given": "Sam", "non-dropping-particle": "Van der"},
        {"literal": JOINED},
    ]
    families = ("De Boi", "van der Sommen", "Van der Jeught", JOINED)
    for text in (bib, ris, references.csl_json([paper])):  # and read back
        assert _one(text).authors == families


@pytest.mark.parametrize("tag", ["Set {A}", "odd { one", "closing } first", "a, {b}; c"])
def test_a_tag_or_collection_name_with_braces_reads_back_whole_from_bibtex(tag: str) -> None:
    paper = Paper("2606.24122", "A title", authors=("Ada Lovelace",))
    text = entry(paper, extra=references.Annotations(tags=(tag, "plain")))
    assert bibtexparser.parse_string(text).entries  # type: ignore[attr-defined]
    assert _one(text).tags == (tag, "plain")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("eprint = {9901001}, archivePrefix = {arXiv}, primaryClass = {cs.LG}", "cs/9901001"),
        ("eprint = {0601001v2}, primaryClass = {math.AG}", "math/0601001"),
        ("eprint = {9901001}, archivePrefix = {PMC}, primaryClass = {cs.LG}", None),
        ("eprint = {9901001}", None),
    ],
)
def test_an_old_style_id_split_between_eprint_and_primary_class_is_read(
    fields: str, expected: str | None
) -> None:
    assert _one(f"@misc{{k, title = {{Old}}, {fields}}}").arxiv_id == expected


def test_a_bibtex_note_holding_a_ris_line_is_still_read_as_bibtex() -> None:
    """A note with a line "TY  - JOUR" made the whole .bib one RIS record (nothing matched), on
    another site's file and on this one's own export read back; a RIS note with "@article{" is
    still RIS."""
    typed = (
        "@misc{x,\n  title = {Generating in the Limit},\n  eprint = {2606.28354},\n"
        "  annote = {my summary:\nTY - JOUR means journal in RIS}\n}\n"
        "@misc{y, title = {Second}, eprint = {2606.28355}}\n"
    )
    parsed = references.read(typed.encode())
    assert [r.arxiv_id for r in parsed.references] == ["2606.28354", "2606.28355"]
    assert parsed.references[0].note.endswith("TY - JOUR means journal in RIS")
    papers = [Paper(f"2606.2412{n}", f"Title {n}", authors=("Ada Lovelace",)) for n in (1, 2)]
    note = "Unbalanced } brace\nER - x\nTY - JOUR\nTI - injected title"
    ours = entries(papers, {p.id: references.Annotations(note=note) for p in papers})
    back = references.read(ours.encode()).references
    assert [(r.arxiv_id, r.title, r.note) for r in back] == [(p.id, p.title, note) for p in papers]
    ris = "TY  - JOUR\nTI  - A RIS paper\nN1  - cite as @article{k, title={x}}\nER  - \n"
    assert _one(ris).title == "A RIS paper"


NOTES = [
    "}\n@misc{evil, title={pwned}}",  # an entry planted by a note
    "see @misc{x,\n@article{y, and $@misc{z}$",
    "ends with backslash \\",
    "two at the end \\\\\nand C:\\path in the middle",
    'Zotero <p>html</p> & "quotes"',  # text that shows a tag is not a Zotero HTML note
    "{@} as typed, and user@example.org",
]


@pytest.mark.parametrize("note", NOTES)
def test_a_note_reads_back_as_written_from_every_format(note: str) -> None:
    """A note holding "@misc{" made BibTeX readers (bibtexparser, and this site's import) take it
    for an entry of its own, and lose the paper; a note's last backslash was dropped; a note
    showing a tag was read as HTML. Each paper is one entry, and its note comes back whole."""
    papers = [
        Paper(f"2606.2412{n}", f"Title {n}: write to a@misc.org", authors=("Ada Lovelace",))
        for n in (1, 2)
    ]
    extra = {p.id: references.Annotations(note=note, tags=("@misc{tag,", "plain")) for p in papers}
    for text in (
        entries(papers, extra),
        references.ris(papers, extra),
        references.csl_json(papers, extra),
    ):
        back = references.read(text.encode())
        assert not back.errors, back.errors
        got = [(r.arxiv_id, r.note, r.tags) for r in back.references]
        assert got == [(p.id, note, ("@misc{tag,", "plain")) for p in papers]
        assert [normalise_title(r.title) for r in back.references] == [
            normalise_title(p.title) for p in papers
        ]
    library = bibtexparser.parse_string(entries(papers, extra))  # type: ignore[attr-defined]
    assert len(library.entries) == 2 and not library.failed_blocks
    assert all("evil" not in e.key for e in library.entries)
