"""Reference-manager files: read BibTeX, RIS and CSL-JSON exports; write them for a list of papers.

Reading keeps what matching needs (arXiv id, DOI, title), and the reader's own note and tags
where the file carries them (as paperfeed, Zotero and JabRef write them), and reports entries it
cannot use, so one malformed entry never stops the rest of a file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id, submitted_month
from paperfeed.latex import plain_math
from paperfeed.models import Paper, normalise_title

MAX_IMPORT_BYTES = 5_000_000
_NEW_ID = r"\d{4}\.\d{4,5}(?:v\d+)?"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?"
# "arXiv:2401.12345", "arXiv preprint arXiv:cs/0601001", "arxiv.org/abs/...", and the
# `abs/2401.12345` that Semantic Scholar and DBLP write as an arXiv paper's volume.
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:./\s]*(?:org/)?(?:abs/|pdf/)?\s*(?:preprint\s*)?(?:arxiv:\s*)?|\babs/)"
    rf"({_NEW_ID}|{_OLD_ID})\b",
    re.I,
)
# arXiv's own DOI for every paper (DataCite): 10.48550/arXiv.2401.12345
_ARXIV_DOI = re.compile(rf"10\.48550/arxiv\.({_NEW_ID}|{_OLD_ID})", re.I)
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.I)
# Lines of a note field that only say where the paper is (paperfeed's RIS writes "arXiv:ID" as a
# note, Zotero's RIS "arXiv:ID [cs.LG]", its CSL-JSON and BibTeX "arXiv: ID" and its citation key).
_NOT_A_NOTE = re.compile(
    rf"^\s*(?:arxiv:?\s*(?:{_NEW_ID}|{_OLD_ID})(?:\s*\[[^\]]*\])?|citation key:.*|_eprint:.*)\s*$",
    re.I,
)
NO_KEY = "no title, DOI or arXiv id"


@dataclass(frozen=True)
class Reference:
    """One entry of an imported file: where it was and how it may be matched."""

    where: str
    title: str = ""
    arxiv_id: str | None = None
    doi: str | None = None
    note: str = ""
    tags: tuple[str, ...] = ()
    title_keys: tuple[str, ...] = ()  # the title's match keys, the likeliest first

    @property
    def keys(self) -> tuple[str, ...]:
        """The normalised titles to look the entry up by: `title_keys`, else its title's."""
        return self.title_keys or _keys(self.title)


@dataclass(frozen=True)
class Parsed:
    """An import file's usable entries and the entries that could not be read."""

    format: str
    references: list[Reference]
    errors: list[str]


@dataclass(frozen=True)
class Annotations:
    """What a reader added to a paper, exported with it: their note, and tags (the collections
    it is in, its reading state), which Zotero, JabRef and Mendeley read as notes and tags."""

    note: str = ""
    tags: tuple[str, ...] = ()


AnnotationsById = Mapping[str, Annotations]


class UnreadableFile(ValueError):
    """The file is none of BibTeX, RIS or CSL-JSON, or too big."""


def _arxiv(*texts: object) -> str | None:
    for text in texts:
        if not text:
            continue
        value = str(text).strip()
        try:
            return parse_arxiv_id(value)[0]
        except BadArxivId:
            found = _ARXIV_IN_TEXT.search(value) or _ARXIV_DOI.search(value)
            if found:
                try:  # a DOI may be written in capitals: 10.48550/ARXIV.2401.12345V2
                    return parse_arxiv_id(re.sub(r"V(\d+)$", r"v\1", found[1]))[0]
                except BadArxivId:  # an old-style look-alike with a capitalised archive
                    continue
    return None


def _doi(text: object) -> str | None:
    found = _DOI.search(str(text or ""))
    return found[0].rstrip(".").lower() if found else None


def read(data: bytes) -> Parsed:
    """Parse an export, guessing its format from its content."""
    if len(data) > MAX_IMPORT_BYTES:
        raise UnreadableFile(f"the file is over {MAX_IMPORT_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("the file is not UTF-8 text") from exc
    try:
        return _parse(text)
    except RecursionError as exc:  # e.g. a JSON array in a JSON array, a hundred thousand deep
        raise UnreadableFile("the file nests too deeply to be a library export") from exc


def _parse(text: str) -> Parsed:
    head = text.lstrip()[:1]
    if head in "[{" and head:
        return _csl(text)
    if re.search(r"^TY  - ", text, re.M):
        return _ris(text)
    if "@" in text:
        return _bibtex(text)
    raise UnreadableFile("the file is not BibTeX, RIS or CSL-JSON")


def _bibtex(text: str) -> Parsed:
    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    library = bibtexparser.parse_string(text)  # type: ignore[attr-defined]  # untyped re-export
    refs: list[Reference] = []
    errors: list[str] = []
    for e in library.entries:
        f = {k.lower(): v.value for k, v in e.fields_dict.items()}
        arxiv = _arxiv(
            f.get("eprint"),
            f.get("arxiv"),
            f.get("url"),
            f.get("journal"),
            f.get("note"),
            f.get("volume"),
            f.get("doi"),
        )
        raw_title = _text(f.get("title"))
        ref = Reference(
            f"@{e.entry_type}{{{e.key}}}",
            _title(raw_title),
            arxiv,
            _doi(f.get("doi")),
            _note(_braces_back(_BIB_ESCAPE.sub(r"\1", str(f.get("annote") or "")))),
            _tags(_KEYWORD_ESCAPE.sub(r"\1", _text(f.get("keywords"))), bibtex=True),
            _bibtex_title_keys(raw_title),
        )
        _keep(ref, refs, errors)
    errors += [
        f"line {(b.start_line or 0) + 1}: {_first_line(b.raw or '')} cannot be read"
        for b in library.failed_blocks
    ]
    if not refs and not errors:
        raise UnreadableFile("no BibTeX entries found")
    return Parsed("bibtex", refs, errors)


_BIB_ESCAPE = re.compile(r"\\([&%#_])")  # as paperfeed and Zotero escape them
# A note's unmatched brace, which no BibTeX field can hold, as paperfeed writes it (a command
# that LaTeX prints as the brace).
BRACE_LEFT, BRACE_RIGHT = "\\textbraceleft{}", "\\textbraceright{}"


def _braces_back(text: str) -> str:
    return text.replace(BRACE_LEFT, "{").replace(BRACE_RIGHT, "}")


# ... and, in keywords (collection names), the dollar that Zotero escapes too
_KEYWORD_ESCAPE = re.compile(r"\\([&%#_$])")


def _keep(ref: Reference, refs: list[Reference], errors: list[str]) -> None:
    """Add an entry to `refs`, or, when nothing can match it, say so in `errors`."""
    if ref.title or ref.arxiv_id or ref.doi:
        refs.append(ref)
    else:
        errors.append(f"{ref.where}: {NO_KEY}")


def _keys(*titles: str) -> tuple[str, ...]:
    """The distinct, non-empty normalised forms of titles, in order."""
    return tuple(dict.fromkeys(k for k in map(normalise_title, titles) if k))


def _bibtex_title_keys(raw: str) -> tuple[str, ...]:
    """A BibTeX title's match keys: of its text with the LaTeX converted, as the store's titles
    from other sources are written; of the title as written (arXiv keeps a title's LaTeX, and
    converting math changes its key: U$^2$Mamba is not U²Mamba); and as written without the
    braces BibTeX adds to protect capitals ({GNN}s, {U$^2$Mamba})."""
    written = " ".join(raw.split())
    return _keys(_title(written), written, written.replace("{", "").replace("}", ""))


def _note(text: str) -> str:
    """A note field's text without the lines that only name the paper."""
    lines = [line.rstrip() for line in text.splitlines() if not _NOT_A_NOTE.match(line)]
    return "\n".join(lines).strip()


def _tags(value: object, bibtex: bool = False) -> tuple[str, ...]:
    """Tags (keywords) as a tuple, from a list or a comma- or semicolon-separated text; braces
    are kept, but in BibTeX, where they are the file's syntax."""
    items = value if isinstance(value, list) else _split_tags(_text(value), bibtex)
    tags = (_clean(t) if bibtex else _one_line(t) for t in items)
    return tuple(dict.fromkeys(t for t in tags if t))


def _split_tags(text: str, bibtex: bool) -> list[str]:
    """A keyword list split at its commas and semicolons, but not those inside braces (BibTeX)
    or double quotes (CSL-JSON): how `listed_tag` writes a tag that holds one."""
    parts: list[str] = []
    part: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if bibtex and ch in "{}":
            depth = depth + 1 if ch == "{" else max(depth - 1, 0)
        elif not bibtex and ch == '"':
            quoted = not quoted
            continue
        elif ch in ",;" and not depth and not quoted:
            parts.append("".join(part))
            part = []
            continue
        part.append(ch)
    return [*parts, "".join(part)]


def listed_tag(tag: str, bibtex: bool) -> str:
    """A tag as a comma-separated keyword list holds it: one with a comma or semicolon in
    braces (BibTeX) or double quotes (CSL-JSON), so that it reads back as one tag."""
    if not any(sep in tag for sep in ",;"):
        return tag
    return "{" + tag + "}" if bibtex else '"' + tag.replace('"', "'") + '"'


def _title(value: object) -> str:
    """A BibTeX title as text: accents and escapes written in LaTeX (Schr{\\"o}dinger,
    50\\%), as reference managers export them, become the characters the store holds."""
    return _clean(plain_math(str(value))) if value else ""


def _first_line(raw: str) -> str:
    return raw.strip().splitlines()[0][:80] if raw.strip() else "an entry"


_RIS_START = re.compile(r"^TY  -")
_RIS_END = re.compile(r"^ER  -")


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


def _ris_parser() -> type[Any]:
    """rispy's reader, keeping the indentation of note (N1) lines: a note's nested lists."""
    import rispy

    class _Parser(rispy.RisParser):  # type: ignore[misc]  # rispy has no type hints
        def parse_line(self, line: str) -> tuple[str | None, str]:
            tag, content = super().parse_line(line)
            return (tag, line[6:].rstrip()) if tag == "N1" else (tag, content)

    return _Parser


def _ris(text: str) -> Parsed:
    import rispy

    parser = _ris_parser()
    refs: list[Reference] = []
    errors: list[str] = []
    for n, record in enumerate(_ris_records(text), start=1):
        try:
            [entry] = rispy.loads(record + "\nER  - \n", implementation=parser)
        except Exception as exc:  # rispy raises plain Exceptions on bad lines
            errors.append(f"entry {n}: {exc}")
            continue
        urls = entry.get("urls", [])
        notes = [str(line) for line in entry.get("notes", [])]
        arxiv = _arxiv(
            *urls,
            entry.get("notes_abstract"),
            *notes,
            entry.get("journal_name") or entry.get("secondary_title"),
            entry.get("volume"),
            entry.get("doi"),
        )
        ref = Reference(
            f"entry {n}",
            _one_line(entry.get("title") or entry.get("primary_title")),
            arxiv,
            _doi(entry.get("doi")),
            # N1 lines are a note's lines (paperfeed writes a blank line as an empty N1)
            _note("\n".join(notes)),
            _tags(entry.get("keywords")),
        )
        _keep(ref, refs, errors)
    return Parsed("ris", refs, errors)


def _csl(text: str) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"the CSL-JSON is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc
    items = data if isinstance(data, list) else data.get("items", [data])
    refs: list[Reference] = []
    errors: list[str] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(f"item {n}: not an object")
            continue
        arxiv = _arxiv(
            item.get("arxiv"),
            item.get("URL"),
            item.get("number"),
            item.get("note"),
            item.get("container-title"),
            item.get("volume"),
            item.get("DOI"),
        )
        ref = Reference(
            f"item {n}",
            _one_line(item.get("title")),
            arxiv,
            _doi(item.get("DOI")),
            _note(_text(item.get("note"))),
            _tags(item.get("keyword")),
        )
        _keep(ref, refs, errors)
    return Parsed("csl-json", refs, errors)


def _text(value: object) -> str:
    """A field's value as text: a list's items joined by spaces (CSL-JSON allows a title as a
    list), nothing for a missing value or an object."""
    if isinstance(value, list):
        return " ".join(t for t in map(_text, value) if t)
    if value is None or isinstance(value, dict):
        return ""
    return str(value)


def _one_line(value: object) -> str:
    """A field's text on one line, as written (RIS and CSL-JSON have no brace syntax)."""
    return " ".join(_text(value).split())


def _clean(value: object) -> str:
    """A BibTeX field's text on one line, without the braces that are BibTeX's syntax."""
    return _one_line(value).replace("{", "").replace("}", "")


# --- export -----------------------------------------------------------------------------------


def csl_item(paper: Paper) -> dict[str, Any]:
    """A paper as a CSL-JSON item."""
    item: dict[str, Any] = {
        "id": paper.id,
        "type": "article",
        "title": " ".join(paper.title.split()),
        "author": [_csl_name(a) for a in paper.authors],
        "abstract": " ".join(paper.abstract.split()),
    }
    if paper.is_arxiv:
        item |= {"URL": paper.abs_url, "number": f"arXiv:{paper.id}", "publisher": "arXiv"}
    if paper.doi:
        item["DOI"] = paper.doi
    parts = issued(paper)
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    return item


def issued(paper: Paper) -> tuple[int, ...] | None:
    """When a paper appeared, to cite: an arXiv paper's first version (its id gives the year
    and month; the day too when a stored date agrees with them), else its publication date.
    The day it was listed here is not a publication date: a paper with nothing else has none."""
    first = paper.versions[0].created if paper.versions else None
    day: date | None = first or paper.published
    month = submitted_month(paper.id) if paper.is_arxiv else None
    if month is not None:
        return (*month, day.day) if day and (day.year, day.month) == month else month
    if day is None and paper.is_arxiv:
        day = paper.listing_date  # an arXiv id of no known shape: the listing is near enough
    return (day.year, day.month, day.day) if day else None


def _csl_name(name: str) -> dict[str, str]:
    parts = name.rsplit(" ", 1)
    return {"family": parts[-1], "given": parts[0]} if len(parts) == 2 else {"literal": name}


def csl_json(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Papers as a CSL-JSON array (with a reader's notes and tags, when given)."""
    items = []
    for p in papers:
        item, extra = csl_item(p), (annotated or {}).get(p.id)
        if extra and extra.note:
            item["note"] = extra.note
        if extra and extra.tags:
            item["keyword"] = ", ".join(listed_tag(t, bibtex=False) for t in extra.tags)
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def ris(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Papers as RIS records (with a reader's notes and tags, when given)."""
    records = []
    for p in papers:
        record: dict[str, Any] = {
            "type_of_reference": "JOUR" if p.journal_ref else "GEN",
            "title": " ".join(p.title.split()),
            "authors": list(p.authors),
            "abstract": " ".join(p.abstract.split()),
        }
        if p.is_arxiv:
            record["urls"] = [p.abs_url]
            record["notes"] = [f"arXiv:{p.id}"]
        if p.doi:
            record["doi"] = p.doi
        parts = issued(p)
        if parts:
            record["year"] = str(parts[0])
        extra = (annotated or {}).get(p.id)
        if extra and extra.note:
            record["notes"] = [*record.get("notes", []), *_note_lines(extra.note)]
        if extra and extra.tags:
            record["keywords"] = list(extra.tags)
        records.append(record)
    return _ris_text(records)


def _note_lines(note: str) -> list[str]:
    """A note as N1 lines, one per line (a RIS line cannot hold a line break): blank lines and
    indentation kept, so the note reads back as written, its lists tight or loose as they were."""
    return [line.rstrip() for line in note.strip().splitlines()]


def _ris_text(records: list[dict[str, Any]]) -> str:
    import rispy

    class _Writer(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
        def set_header(self, count: int) -> str:
            return ""  # rispy numbers records ("1."), which RIS readers do not expect

    return str(rispy.dumps(records, implementation=_Writer))
