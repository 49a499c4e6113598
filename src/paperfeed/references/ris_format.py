"""RIS files: records read, and papers written as records."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from paperfeed.models import Paper
from paperfeed.references.dates import issued
from paperfeed.references.fields import one_line, rich_text_stripped, tags_in, year_in
from paperfeed.references.identifiers import NEW_ID, OLD_ID, find_arxiv_id, find_doi
from paperfeed.references.model import Annotations, AnnotationsById, Parsed, Reference, keep
from paperfeed.references.names import family_name, split_name, suffixed
from paperfeed.references.notes import note_text

# A record's first and last lines; like every tag line, with one space before the dash or two.
_RIS_START = re.compile(r"^TY {1,2}-")
_RIS_END = re.compile(r"^ER {1,2}-")
# A file of RIS records: one of its lines starts a record.
RIS_FILE = re.compile(r"^TY {1,2}- ", re.M)


def _ris_records(text: str) -> list[str]:
    """The file's records, each from its `TY  -` line to its `ER  -` line; a record whose
    `ER  -` is missing ends where the next `TY  -` starts. Lines outside records are skipped."""
    records: list[str] = []
    lines: list[str] | None = None
    for line in text.splitlines():
        if _RIS_START.match(line):
            if lines:
                records.append("\n".join(lines))
            lines = [line]
        elif lines is not None:
            if _RIS_END.match(line):
                records.append("\n".join(lines))
                lines = None
            else:
                lines.append(line)
    if lines:
        records.append("\n".join(lines))
    return records


# A tag line: "TI  - text" (Zotero reads one space before the dash too).
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_RIS_MULTILINE = {"N1", "RN", "AB", "N2", "KW"}  # the tags whose values keep their line breaks


def _ris_fields(record: str) -> dict[str, list[str]]:
    """A record's values by tag. A line without a tag continues the value before it: on a line
    of its own in a note, an abstract or keywords (a note's lines keep their indentation),
    after a space elsewhere (a long title)."""
    fields: dict[str, list[str]] = {}
    last: list[str] | None = None
    multiline = False
    for line in record.splitlines():
        tagged = _RIS_LINE.match(line)
        if tagged:
            multiline = tagged[1] in _RIS_MULTILINE
            value = tagged[2] or ""
            last = fields.setdefault(tagged[1], [])
            last.append(value.rstrip() if multiline else value.strip())
        elif last is not None and multiline:  # a note's line that reads as a tag is indented
            last[-1] += "\n" + (line[1:] if _RIS_LINE.match(line[1:]) else line).rstrip()
        elif last is not None:
            last[-1] = f"{last[-1]} {line.strip()}".strip()
    return fields


def read_ris(text: str) -> Parsed:
    """A RIS file's records, and the records it could not use."""
    refs: list[Reference] = []
    errors: list[str] = []
    for n, record in enumerate(_ris_records(text), start=1):
        f = _ris_fields(record)

        def values(*tags: str, f: dict[str, list[str]] = f) -> list[str]:
            return [v for tag in tags for v in f.get(tag, []) if v.strip()]

        notes = f.get("N1", []) + f.get("RN", [])
        arxiv = find_arxiv_id(
            *values("UR", "L1", "L2", "L3", "L4", "LK", "AN", "M1", "M3", "DO"),
            *notes,
            *values("JO", "JF", "JA", "J2", "T2", "VL", "N2"),
        )
        ref = Reference(
            f"entry {n}",
            rich_text_stripped(one_line((values("TI", "T1", "CT") or [""])[0])),
            arxiv,
            find_doi((values("DO", "M3") or [""])[0]),
            _ris_note(notes),
            tags_in([t for v in values("KW") for t in v.splitlines()]),
            authors=tuple(family_name(one_line(n)) for n in values("AU", "A1")),
            year=year_in((values("PY", "Y1", "DA") or [""])[0]),
        )
        keep(ref, refs, errors)
    return Parsed("ris", refs, errors)


# paperfeed's RIS before one N1 per note: the id as the first N1, then the note's lines
_LINE_PER_N1 = re.compile(rf"^arxiv:(?:{NEW_ID}|{OLD_ID})$", re.I)


def _ris_note(notes: list[str]) -> str:
    """A record's N1 values as one note: each is a note, a blank line apart (Zotero writes one
    N1 per note, in HTML), but where the record is an older paperfeed export's, whose N1 lines
    were one note's lines (a blank line an empty N1, after an "arXiv:ID" N1)."""
    if any(not n.strip() for n in notes) or (notes and _LINE_PER_N1.match(notes[0].strip())):
        return note_text("\n".join(notes))
    return "\n\n".join(n for n in map(note_text, notes) if n)


def ris_name(name: str) -> str:
    """An author as RIS writes one: "Family, Given" (and ", Suffix")."""
    base, suffix = suffixed(name)
    family, given = split_name(base)
    if not given:
        return " ".join(name.split())
    return ", ".join(part for part in (family, given, suffix) if part)


def ris(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Papers as RIS records (with a reader's notes and tags, when given)."""
    return _ris_text([_ris_record(p, (annotated or {}).get(p.id)) for p in papers])


def _ris_record(p: Paper, extra: Annotations | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type_of_reference": "JOUR" if p.journal_ref else "GEN",
        "title": " ".join(p.title.split()),
        "authors": [ris_name(a) for a in p.authors],
        "abstract": " ".join(p.abstract.split()),
    }
    if p.journal_ref:
        record["journal_name"] = " ".join(p.journal_ref.split())  # JO
    # The arXiv id goes where Zotero keeps an identifier: the abs page as UR (its URL field)
    # and arXiv's DOI as DO (its DOI field, as Zotero's own arXiv import sets it). N1 would be
    # a note to it, AN a location in an archive, M1 "extra" or, in a JOUR, the issue.
    if p.is_arxiv:
        record["urls"] = [p.abs_url]
    doi = p.doi or (f"10.48550/arXiv.{p.id}" if p.is_arxiv else None)
    if doi:
        record["doi"] = doi
    parts = issued(p)
    if parts:
        record["year"] = str(parts[0])
    if extra and extra.note:
        record["notes"] = [_ris_note_value(extra.note)]
    if extra and extra.all_tags:
        record["keywords"] = list(extra.all_tags)
    return record


def _ris_note_value(note: str) -> str:
    """A note as one N1 value, its lines after the first on lines of their own (as Zotero writes
    and reads them), blank lines and indentation kept; a line that reads as a tag is indented."""
    lines = [line.rstrip() for line in note.strip().splitlines()]
    return "\n".join(" " + line if _RIS_LINE.match(line) else line for line in lines)


def _ris_text(records: list[dict[str, Any]]) -> str:
    import rispy

    class _Writer(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records ("1."), which RIS readers do not expect

    return str(rispy.dumps(records, implementation=_Writer))
