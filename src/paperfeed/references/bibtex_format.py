"""Reading BibTeX files: entries, repeated fields and keys, LaTeX accents and escapes."""

from __future__ import annotations

import logging
import re
from typing import Any

from paperfeed.latex import plain_math
from paperfeed.references.fields import clean, field_text, tags_in, year_in
from paperfeed.references.identifiers import find_arxiv_id, find_doi
from paperfeed.references.model import Parsed, Reference, UnreadableFile, has_state_tag, keep
from paperfeed.references.names import family_name
from paperfeed.references.notes import note_text
from paperfeed.references.titles import keys_of


def read_bibtex(text: str) -> Parsed:
    """A BibTeX file's entries, and the entries it could not read."""
    import bibtexparser
    from bibtexparser.middlewares.parsestack import default_parse_stack

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    stack = [_repeats_read(), *default_parse_stack()]
    library = bibtexparser.parse_string(text, parse_stack=stack)  # type: ignore[attr-defined]  # untyped re-export
    refs: list[Reference] = []
    errors: list[str] = []
    for e in library.entries:
        f = {k.lower(): v.value for k, v in e.fields_dict.items()}
        key = e.get_parser_metadata(_KEY_AS_WRITTEN) or e.key
        keep(_bib_reference(f"@{e.entry_type}{{{key}}}", f), refs, errors)
    errors += [_unreadable(b) for b in library.failed_blocks]
    if not refs and not errors:
        raise UnreadableFile("no BibTeX entries found")
    return Parsed("bibtex", refs, errors)


def _bib_reference(where: str, f: dict[str, Any]) -> Reference:
    """An entry's fields as a reference: the id wherever an exporter put it, its notes (Zotero
    and Mendeley write `annote`, JabRef `comment`, Zotero reads `review` too), its keywords and
    JabRef's or Mendeley's groups as tags, JabRef's `readstatus` as the reading state."""
    arxiv_fields = ("eprint", "arxivid", "arxiv", "url", "howpublished", "pdf", "journal")
    arxiv = find_arxiv_id(*(f.get(k) for k in (*arxiv_fields, "note", "volume", "doi")))
    arxiv = arxiv or _old_style_eprint(f)
    raw_title = field_text(f.get("title"))
    notes = (_bib_note(field_text(f.get(k))) for k in ("annote", "comment", "review"))
    listed = (field_text(f.get(k)) for k in ("keywords", "groups", "mendeley-groups"))
    tags = _bib_tags(", ".join(t for t in listed if t))
    if field_text(f.get("readstatus")).strip().lower() == "read" and not has_state_tag(tags):
        tags = (*tags, "read")
    note = "\n\n".join(n for n in notes if n)
    return Reference(
        where,
        _title(raw_title),
        arxiv,
        find_doi(f.get("doi")),
        note,
        tags,
        _bibtex_title_keys(raw_title),
        tuple(_bib_family(n) for n in _bib_names(field_text(f.get("author")))),
        year_in(f.get("year") or f.get("date")),
    )


_OLD_NUMBER = re.compile(r"\d{7}(?:v\d+)?")


def _old_style_eprint(f: dict[str, Any]) -> str | None:
    """An old-style id split in two, as some exporters write it: eprint = {9901001} and
    primaryClass = {cs.LG} (the archive) for cs/9901001."""
    number = field_text(f.get("eprint")).strip()
    archive = field_text(f.get("primaryclass")).strip()
    prefix = field_text(f.get("archiveprefix")).strip().lower()
    if not archive or prefix not in ("", "arxiv") or not _OLD_NUMBER.fullmatch(number):
        return None
    return find_arxiv_id(f"{archive}/{number}")


def _bib_tags(listed: str) -> tuple[str, ...]:
    """Keywords as tags: BibTeX's braces dropped, but a brace the tag holds (written as the
    command that prints it, as paperfeed exports one) kept."""
    held = listed.replace(BRACE_LEFT, _HELD_LEFT).replace(BRACE_RIGHT, _HELD_RIGHT)
    tags = tags_in(_latex_accents(_unescaped(held)), bibtex=True)
    return tuple(t.replace(_HELD_LEFT, "{").replace(_HELD_RIGHT, "}") for t in tags)


_HELD_LEFT, _HELD_RIGHT = "\ue000", "\ue001"  # private-use stand-ins while braces are dropped


def _bib_names(value: str) -> list[str]:
    """A BibTeX name list's names: split at each "and" outside braces, "others" left out."""
    names, depth, start = [], 0, 0
    for m in re.finditer(r"[{}]|\s+and\s+", value, re.I):
        if m[0] in "{}":
            depth = depth + 1 if m[0] == "{" else max(depth - 1, 0)
        elif not depth:
            names.append(value[start : m.start()])
            start = m.end()
    names.append(value[start:])
    return [n for n in (" ".join(n.split()) for n in names) if n and n.lower() != "others"]


def _bib_family(name: str) -> str:
    """A BibTeX name's family name; all of a name in braces ({OpenAI Team}) is one."""
    whole = re.fullmatch(r"\{([^{}]*)\}", name)
    return _title(whole[1]) if whole else family_name(_title(name))


def _bib_note(value: str) -> str:
    """A BibTeX note field as the note's text: escapes undone and LaTeX accents decoded."""
    return note_text(_braces_back(_latex_accents(_unescaped(value))))


_KEY_AS_WRITTEN = "paperfeed_key"
# Fields that an entry may repeat and that are joined, with what: Zotero writes one `annote` per
# note; keywords and groups are lists. Of any other repeated field the last one counts.
_JOINED = {"annote": "\n\n", "comment": "\n\n", "review": "\n\n", "note": "\n\n"}
_JOINED |= dict.fromkeys(("keywords", "groups", "mendeley-groups", "mendeley-tags"), ", ")


def _repeats_read() -> Any:
    """A parse step that reads an entry repeating a field, or one whose key an earlier entry
    has, as any other (bibtexparser sets both aside as failed blocks)."""
    from bibtexparser.middlewares.middleware import BlockMiddleware
    from bibtexparser.model import (
        Block,
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ParsingFailedBlock,
    )

    class _Repeats(BlockMiddleware):
        again = 0

        def transform_failed_block(self, block: ParsingFailedBlock, library: Any) -> Block:
            entry = block.ignore_error_block
            if not isinstance(entry, Entry):
                return block
            if isinstance(block, DuplicateFieldKeyBlock):
                entry.fields = _merged(entry.fields)
            elif isinstance(block, DuplicateBlockKeyBlock):
                # a key of its own, for the library; the report says the one written
                self.again += 1
                entry.set_parser_metadata(_KEY_AS_WRITTEN, entry.key)
                entry.key = f"{entry.key} {self.again}"
            else:
                return block
            return entry

    return _Repeats(allow_inplace_modification=True)


def _merged(fields: list[Any]) -> list[Any]:
    """An entry's fields with each repeated one once: joined (`_JOINED`), else the last."""
    from bibtexparser.model import Field

    kept: dict[str, Any] = {}
    for field in fields:
        name = field.key.lower()
        before = kept.get(name)
        if before is not None and name in _JOINED:
            value = _JOINED[name].join((_unenclosed(before.value), _unenclosed(field.value)))
            field = Field(field.key, "{" + value + "}", before.start_line)
        kept[name] = field
    return list(kept.values())


def _unenclosed(value: object) -> str:
    text = str(value).strip()
    return text[1:-1] if text[:1] + text[-1:] in ("{}", '""') else text


def _unreadable(block: Any) -> str:
    """Where an entry that cannot be read is, and why."""
    why = getattr(block.error, "abort_reason", None) or str(block.error) or "a syntax error"
    line, first = (block.start_line or 0) + 1, _first_line(block.raw or "")
    return f"line {line}: cannot be read ({why}): {first}"


# BibTeX's escapes, as paperfeed and Zotero write them: \& \% \# \_ \$ and \^{}
_BIB_ESCAPE = re.compile(r"\\([&%#_$])|\\\^\{\}")


def _unescaped(text: str) -> str:
    return _BIB_ESCAPE.sub(lambda m: m[1] or "^", text)


# LaTeX accents and letters as reference managers write them in notes: {\"{u}}, \'e, {\ss}
_LETTER = r"(?:\{[A-Za-z]\}|[A-Za-z])"
_ACCENT_CMD = (
    rf"(?:[`'^\"~=.]\s*{_LETTER}|[cvuHkrdb](?:\{{[A-Za-z]\}}|\s+[A-Za-z])"
    r"|(?:ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\{\})?)"
)
_ACCENT = re.compile(
    rf"\{{\\{_ACCENT_CMD}\}}|\\(?:[`'^\"~=.]{_LETTER}|[cvuHkrdb]\{{[A-Za-z]\}}"
    r"|(?:ss|ae|AE|oe|OE|aa|AA)\{\})"
)


def _latex_accents(text: str) -> str:
    """Text with its LaTeX accents and letters decoded, and nothing else of its LaTeX (a note
    may hold LaTeX of its own, and braces, that an export wrote and an import reads back)."""
    return _ACCENT.sub(lambda m: plain_math(m[0]), text)


# A note's unmatched brace, which no BibTeX field can hold, as paperfeed writes it (a command
# that LaTeX prints as the brace).
BRACE_LEFT, BRACE_RIGHT = "\\textbraceleft{}", "\\textbraceright{}"
# An @ in a field as paperfeed writes it: braced, so that no reader takes "@misc{" in a note
# for the start of an entry; and a note's line ending in a backslash (which would escape the
# brace closing the field) as the command that prints one.
AT_SIGN, BACKSLASH = "{@}", "\\textbackslash{}"


def _braces_back(text: str) -> str:
    text = text.replace(BRACE_LEFT, "{").replace(BRACE_RIGHT, "}").replace(AT_SIGN, "@")
    return text.replace(BACKSLASH, "\\")


def _bibtex_title_keys(raw: str) -> tuple[str, ...]:
    """A BibTeX title's match keys: of its text with the LaTeX converted, as the store's titles
    from other sources are written; of the title as written (arXiv keeps a title's LaTeX, and
    converting math changes its key: U$^2$Mamba is not U²Mamba); and as written without the
    braces BibTeX adds to protect capitals ({GNN}s, {U$^2$Mamba})."""
    written = " ".join(raw.split())
    return keys_of(_title(written), written, written.replace("{", "").replace("}", ""))


def _title(value: object) -> str:
    """A BibTeX title as text: accents and escapes written in LaTeX (Schr{\\"o}dinger,
    50\\%), as reference managers export them, become the characters the store holds."""
    text = str(value) if value else ""
    return clean(plain_math(text) if _LATEX.search(clean(text)) else text)


# What LaTeX would change in a title or name besides its braces; text without it reads the same,
# and skipping the LaTeX parser for it (most titles and names) made a large import's parse faster.
_LATEX = re.compile(r"[\\$%&~^_#`\"]|--|''")


def _first_line(raw: str) -> str:
    return raw.strip().splitlines()[0][:80] if raw.strip() else "an entry"
