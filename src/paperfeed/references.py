"""Reference-manager files: read BibTeX, RIS and CSL-JSON exports; write them for a list of papers.

Reading keeps what matching needs (arXiv id, DOI, title; authors' family names and the year, to
check a match by title), and the reader's own notes, tags and
reading state where the file carries them (as paperfeed, Zotero, JabRef and Mendeley write
them), and reports entries it cannot use, and why, so one malformed entry never stops the rest
of a file.
"""

from __future__ import annotations

import codecs
import itertools
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id, submitted_month
from paperfeed.latex import plain_math
from paperfeed.models import Paper, normalise_title
from paperfeed.store.papers import author_key

MAX_IMPORT_BYTES = 5_000_000
_NEW_ID = r"\d{4}\.\d{4,5}(?:v\d+)?"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?"
# "arXiv:2401.12345", "arXiv preprint arXiv:cs/0601001", "arxiv.org/abs/...", the
# `abs/2401.12345` that Semantic Scholar and DBLP write as an arXiv paper's volume, and
# Hugging Face's paper pages.
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv[:./\s]*(?:org/)?(?:abs/|pdf/)?\s*(?:preprint\s*)?(?:arxiv:\s*)?|\babs/"
    r"|huggingface\.co/papers/)"
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
# The reading state as an export writes it: a tag of its own, so that a collection named "read"
# or "to read" is not taken for it. Older exports wrote the bare "read" / "to read", which an
# entry without a tag of the new form still means.
STATE_TAGS = {"read": "paperfeed:read", "to_read": "paperfeed:to read"}
_STATE_TAG = re.compile(r"^paperfeed:\s*(read|to[\s_-]?read)$", re.I)
_BARE_STATE_TAGS = {"read": "read", "to read": "to_read", "to_read": "to_read"}


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
    authors: tuple[str, ...] = ()  # family names, as the file gives them
    year: int | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The normalised titles to look the entry up by: `title_keys`, else its title's."""
        return self.title_keys or _keys(self.title)

    @property
    def loose_keys(self) -> tuple[str, ...]:
        """Keys to try when no stored title has one of `keys`: with "&" read as "and" and
        "and" left out (a title may be written either way), and a digit set apart from the
        letters beside it (Google Scholar writes U$^2$Mamba, whose key is "u 2 mamba", as
        U2Mamba)."""
        return tuple(k for k in dict.fromkeys(_loose_keys(self.title)) if k not in self.keys)

    @property
    def state(self) -> str | None:
        """The reading state its tags give ("read" wins over "to_read"), or None."""
        states = set(_tag_states(self.tags))
        return "read" if "read" in states else "to_read" if "to_read" in states else None

    @property
    def other_tags(self) -> tuple[str, ...]:
        """Its tags but the reading state's: those collections may be named after."""
        return tuple(
            t for t, state in zip(self.tags, _tag_states(self.tags), strict=True) if state is None
        )


def _tag_states(tags: Sequence[str]) -> list[str | None]:
    """The reading state each tag names, if any: only the `STATE_TAGS` form where the entry has
    one (its bare "read" is then a collection), else the bare "read" / "to read" too."""
    if any(_STATE_TAG.match(t) for t in tags):
        found = (_STATE_TAG.match(t) for t in tags)
        return [m and ("read" if m[1].lower() == "read" else "to_read") for m in found]
    return [_BARE_STATE_TAGS.get(t.lower()) for t in tags]


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
    state: str | None = None  # "read" or "to_read"

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The tags to write: its tags, then the reading state in its own form; each once."""
        state = STATE_TAGS.get(self.state or "")
        return tuple(dict.fromkeys((*self.tags, *([state] if state else []))))


AnnotationsById = Mapping[str, Annotations]


class UnreadableFile(ValueError):
    """The file is none of BibTeX, RIS or CSL-JSON, or too big."""


def _arxiv(*texts: object) -> str | None:
    for text in texts:
        if not text:
            continue
        value = str(text).strip()
        try:
            return _no_subject_class(parse_arxiv_id(value)[0])
        except BadArxivId:
            found = _ARXIV_IN_TEXT.search(value) or _ARXIV_DOI.search(value)
            if found:
                try:  # a DOI may be written in capitals: 10.48550/ARXIV.2401.12345V2
                    return _no_subject_class(
                        parse_arxiv_id(re.sub(r"V(\d+)$", r"v\1", found[1]))[0]
                    )
                except BadArxivId:  # an old-style look-alike with a capitalised archive
                    continue
    return None


def _no_subject_class(arxiv_id: str) -> str:
    """An old-style id as arXiv names the paper: DBLP's cs.DS/0112017 is cs/0112017."""
    return re.sub(r"^([a-z\-]+)\.[A-Z]{2}/", r"\1/", arxiv_id)


def _doi(text: object) -> str | None:
    found = _DOI.search(_text(text))
    return found[0].rstrip(".").lower() if found else None


def read(data: bytes) -> Parsed:
    """Parse an export, guessing its format from its content."""
    if len(data) > MAX_IMPORT_BYTES:
        raise UnreadableFile(f"the file is over {MAX_IMPORT_BYTES // 1_000_000} MB")
    text = _decode(data)
    if "\x00" in text or len(_CONTROL.findall(text[:100_000])) > len(text[:100_000]) // 100:
        raise UnreadableFile(
            "the file is not text: a BibTeX, RIS or CSL-JSON export in UTF-8, UTF-16 or "
            "Windows-1252"
        )
    try:
        return _parse(text)
    except RecursionError as exc:  # e.g. a JSON array in a JSON array, a hundred thousand deep
        raise UnreadableFile("the file nests too deeply to be a library export") from exc


_CONTROL = re.compile(r"[\x01-\x08\x0e-\x19\x1b-\x1f]")
# JabRef's first line, "% Encoding: windows-1252", names the file's encoding.
_DECLARED = re.compile(rb"^%\s*Encoding:\s*([\w.-]+)", re.I | re.M)


def _decode(data: bytes) -> str:
    """The file's text: UTF-16 with its BOM, UTF-8 (with or without one), the encoding JabRef
    declares, else Windows-1252 (Latin-1 for the bytes it leaves undefined), as reference
    managers on Windows write; decoding never fails."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    codecs_to_try = ["utf-16"] if utf16 else []
    declared = _DECLARED.search(data[:500])
    codecs_to_try += ["utf-8-sig", *([declared[1].decode()] if declared else []), "cp1252"]
    for codec in codecs_to_try:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


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
    from bibtexparser.middlewares.parsestack import default_parse_stack

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    stack = [_repeats_read(), *default_parse_stack()]
    library = bibtexparser.parse_string(text, parse_stack=stack)  # type: ignore[attr-defined]  # untyped re-export
    refs: list[Reference] = []
    errors: list[str] = []
    for e in library.entries:
        f = {k.lower(): v.value for k, v in e.fields_dict.items()}
        key = e.get_parser_metadata(_KEY_AS_WRITTEN) or e.key
        _keep(_bib_reference(f"@{e.entry_type}{{{key}}}", f), refs, errors)
    errors += [_unreadable(b) for b in library.failed_blocks]
    if not refs and not errors:
        raise UnreadableFile("no BibTeX entries found")
    return Parsed("bibtex", refs, errors)


def _bib_reference(where: str, f: dict[str, Any]) -> Reference:
    """An entry's fields as a reference: the id wherever an exporter put it, its notes (Zotero
    and Mendeley write `annote`, JabRef `comment`, Zotero reads `review` too), its keywords and
    JabRef's or Mendeley's groups as tags, JabRef's `readstatus` as the reading state."""
    arxiv_fields = ("eprint", "arxivid", "arxiv", "url", "howpublished", "pdf", "journal")
    arxiv = _arxiv(*(f.get(k) for k in (*arxiv_fields, "note", "volume", "doi")))
    raw_title = _text(f.get("title"))
    notes = (_bib_note(_text(f.get(k))) for k in ("annote", "comment", "review"))
    listed = (_text(f.get(k)) for k in ("keywords", "groups", "mendeley-groups"))
    tags = _tags(_latex_accents(_unescaped(", ".join(t for t in listed if t))), bibtex=True)
    if _text(f.get("readstatus")).strip().lower() == "read" and not _has_state_tag(tags):
        tags = (*tags, "read")
    note = "\n\n".join(n for n in notes if n)
    return Reference(
        where,
        _title(raw_title),
        arxiv,
        _doi(f.get("doi")),
        note,
        tags,
        _bibtex_title_keys(raw_title),
        tuple(_bib_family(n) for n in _bib_names(_text(f.get("author")))),
        _year(f.get("year") or f.get("date")),
    )


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
    return _title(whole[1]) if whole else _family(_title(name))


def _family(name: str) -> str:
    """A name's family name: what comes before its comma ("van der Sommen, Fons"), else the
    last word with the particles before it."""
    if "," in name:
        return name.partition(",")[0].strip()
    return split_name(name)[0]


def _year(value: object) -> int | None:
    """The first year a date's text holds (BibTeX's `year` or `date`, RIS's "2017/06/12/")."""
    found = re.search(r"(?<!\d)(\d{4})(?!\d)", _text(value))
    return int(found[1]) if found else None


def disagreement(ref: Reference, paper: Paper) -> str:
    """How an entry matched to a paper by title alone contradicts it ("authors", "year",
    "authors and year"), or "" when it does not: none of its family names is among the
    paper's authors (case and accents aside), or its year is before the paper's first
    version's but one (a preprint may come years before its venue, not after)."""
    wrong = []
    names = [f" {author_key(a)} " for a in paper.authors]
    families = [key for key in map(author_key, ref.authors) if key]
    if names and families and not any(f" {f} " in n for f in families for n in names):
        wrong.append("authors")
    appeared = issued(paper)
    if ref.year and appeared and ref.year < appeared[0] - 1:
        wrong.append("year")
    return " and ".join(wrong)


def _has_state_tag(tags: Sequence[str]) -> bool:
    return any(_STATE_TAG.match(t) for t in tags)


def _bib_note(value: str) -> str:
    """A BibTeX note field as the note's text: escapes undone and LaTeX accents decoded."""
    return _note(_braces_back(_latex_accents(_unescaped(value))))


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
    where = f"line {(block.start_line or 0) + 1}: {_first_line(block.raw or '')}"
    return f"{where} cannot be read ({why})"


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


def _braces_back(text: str) -> str:
    return text.replace(BRACE_LEFT, "{").replace(BRACE_RIGHT, "}")


def _keep(ref: Reference, refs: list[Reference], errors: list[str]) -> None:
    """Add an entry to `refs`, or, when nothing can match it, say so in `errors`."""
    if ref.title or ref.arxiv_id or ref.doi:
        refs.append(ref)
    else:
        errors.append(f"{ref.where}: {NO_KEY}")


def _keys(*titles: str) -> tuple[str, ...]:
    """The distinct, non-empty normalised forms of titles, in order."""
    return tuple(dict.fromkeys(k for k in map(normalise_title, titles) if k))


# A digit beside a letter in a key's word: where a title's markup may have put a space (U$^2$Mamba)
_DIGIT_EDGE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_MOST_CHOICES = 5  # beyond this many places to vary, each kind varies all at once
_LEFT_OUT = -1  # a place (word, _LEFT_OUT): the word "and", left out


def _loose_keys(title: str) -> list[str]:
    """A title's keys with "&" read as "and", each "and" kept or left out, and a space put or
    not at each place where a digit meets a letter."""
    words = normalise_title(re.sub(r"\\?&", " and ", title)).split()
    ands = [(i, _LEFT_OUT) for i, w in enumerate(words) if w == "and"]
    edges = [(i, m.start()) for i, w in enumerate(words) for m in _DIGIT_EDGE.finditer(w)]
    places = ands + edges
    if len(places) > _MOST_CHOICES:
        choices = [[], ands, edges, places]
    else:
        choices = [
            list(c) for n in range(len(places) + 1) for c in itertools.combinations(places, n)
        ]
    return [_varied(words, set(chosen)) for chosen in choices]


def _varied(words: list[str], chosen: set[tuple[int, int]]) -> str:
    """`words` as a key, without the "and"s and with a space at the digit edges `chosen`."""
    out = []
    for i, word in enumerate(words):
        if (i, _LEFT_OUT) in chosen:
            continue
        cuts = [0, *sorted(at for n, at in chosen if n == i), len(word)]
        out.append(" ".join(word[a:b] for a, b in itertools.pairwise(cuts)))
    return " ".join(out)


def _bibtex_title_keys(raw: str) -> tuple[str, ...]:
    """A BibTeX title's match keys: of its text with the LaTeX converted, as the store's titles
    from other sources are written; of the title as written (arXiv keeps a title's LaTeX, and
    converting math changes its key: U$^2$Mamba is not U²Mamba); and as written without the
    braces BibTeX adds to protect capitals ({GNN}s, {U$^2$Mamba})."""
    written = " ".join(raw.split())
    return _keys(_title(written), written, written.replace("{", "").replace("}", ""))


def _note(text: str) -> str:
    """A note field's text (Markdown, where the file holds HTML) without the lines that only
    name the paper."""
    plain = _markdown(text) if _HTML_NOTE.search(text) else text
    lines = [line.rstrip() for line in plain.splitlines() if not _NOT_A_NOTE.match(line)]
    return "\n".join(lines).strip()


# A note in HTML, as Zotero keeps them: a block element, which no Markdown note starts with.
_HTML_NOTE = re.compile(r"<(?:p|div|h[1-6]|ul|ol|li|br|blockquote|pre|table)\b[^>]*>", re.I)
_INLINE_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "s": "~~"}


class _HtmlToMarkdown(HTMLParser):
    """A note's HTML as Markdown: headings, paragraphs, lists, emphasis and links kept,
    entities decoded, everything else its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[int] = []  # each open list's next number; 0 for bullets
        self.links: list[tuple[int, str]] = []
        self.pre = False

    def _break(self, newlines: int) -> None:
        """End the line, and leave at least `newlines - 1` blank lines after it."""
        text = "".join(self.out).rstrip(" ")
        had = len(text) - len(text.rstrip("\n"))
        self.out = [text.rstrip("\n") + "\n" * max(had, newlines)] if text.strip() else []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._break(2)
            self.out.append("#" * int(tag[1]) + " ")
        elif tag in ("ul", "ol"):
            self._break(1 if self.lists else 2)
            self.lists.append(1 if tag == "ol" else 0)
        elif tag == "li" and self.lists:
            self._break(1)
            number = self.lists[-1]
            self.lists[-1] = number + 1 if number else 0
            self.out.append("   " * (len(self.lists) - 1) + (f"{number}. " if number else "- "))
        elif tag in ("p", "div", "blockquote", "table", "tr", "pre") and not self.lists:
            self._break(2)
            self.pre = tag == "pre"
            self.out.append("```\n" if self.pre else "")
        elif tag == "br":
            self.out.append("\n")
        elif tag in _INLINE_MARKS:
            self.out.append(_INLINE_MARKS[tag])
        elif tag == "a":
            self.links.append((len(self.out), dict(attrs).get("href") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._break(1 if self.lists else 2)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "blockquote", "table"):
            self._break(1 if self.lists else 2)
        elif tag == "pre":
            self.out.append("\n```")
            self.pre = False
            self._break(2)
        elif tag in _INLINE_MARKS:
            self.out.append(_INLINE_MARKS[tag])
        elif tag == "a" and self.links:
            at, href = self.links.pop()
            text = "".join(self.out[at:])
            self.out[at:] = [f"[{text}]({href})" if href and text and text != href else text]

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.out.append(data)
            return
        text = " ".join(data.split()) + (" " if data[-1:].isspace() and data.strip() else "")
        if not self.out or self.out[-1].endswith(("\n", " ")):
            text = text.lstrip()
        elif data[:1].isspace():
            text = " " + text
        self.out.append(text)


def _markdown(html: str) -> str:
    parser = _HtmlToMarkdown()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.rstrip() for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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


def _ris(text: str) -> Parsed:
    refs: list[Reference] = []
    errors: list[str] = []
    for n, record in enumerate(_ris_records(text), start=1):
        f = _ris_fields(record)

        def values(*tags: str, f: dict[str, list[str]] = f) -> list[str]:
            return [v for tag in tags for v in f.get(tag, []) if v.strip()]

        notes = f.get("N1", []) + f.get("RN", [])
        arxiv = _arxiv(
            *values("UR", "L1", "L2", "L3", "L4", "LK", "AN", "M1", "M3", "DO"),
            *notes,
            *values("JO", "JF", "JA", "J2", "T2", "VL", "N2"),
        )
        ref = Reference(
            f"entry {n}",
            _rich_text_stripped(_one_line((values("TI", "T1", "CT") or [""])[0])),
            arxiv,
            _doi((values("DO", "M3") or [""])[0]),
            _ris_note(notes),
            _tags([t for v in values("KW") for t in v.splitlines()]),
            authors=tuple(_family(_one_line(n)) for n in values("AU", "A1")),
            year=_year((values("PY", "Y1", "DA") or [""])[0]),
        )
        _keep(ref, refs, errors)
    return Parsed("ris", refs, errors)


# paperfeed's RIS before one N1 per note: the id as the first N1, then the note's lines
_LINE_PER_N1 = re.compile(rf"^arxiv:(?:{_NEW_ID}|{_OLD_ID})$", re.I)


def _ris_note(notes: list[str]) -> str:
    """A record's N1 values as one note: each is a note, a blank line apart (Zotero writes one
    N1 per note, in HTML), but where the record is an older paperfeed export's, whose N1 lines
    were one note's lines (a blank line an empty N1, after an "arXiv:ID" N1)."""
    if any(not n.strip() for n in notes) or (notes and _LINE_PER_N1.match(notes[0].strip())):
        return _note("\n".join(notes))
    return "\n\n".join(n for n in map(_note, notes) if n)


def _csl(text: str) -> Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"the CSL-JSON is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from exc
    items = _csl_items(data)
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
            _rich_text_stripped(_one_line(item.get("title"))),
            arxiv,
            _doi(item.get("DOI")),
            _note(_text(item.get("note"))),
            _tags(item.get("keyword")),
            authors=_csl_families(item.get("author")),
            year=_csl_year(item.get("issued")),
        )
        _keep(ref, refs, errors)
    return Parsed("csl-json", refs, errors)


def _csl_families(value: object) -> tuple[str, ...]:
    """The family names of a CSL item's authors (with their particles), or their literal
    names' families."""
    names = value if isinstance(value, list) else []
    found = (
        _one_line(f"{n.get('non-dropping-particle') or ''} {_text(n.get('family'))}")
        or _family(_one_line(n.get("literal")))
        for n in names
        if isinstance(n, dict)
    )
    return tuple(n for n in found if n)


def _csl_year(value: object) -> int | None:
    """The year a CSL date gives: its first date part, else its raw or literal text."""
    if not isinstance(value, dict):
        return _year(value)
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return _year(parts[0][0])
    return _year(value.get("raw") or value.get("literal"))


_CSL_ITEM_KEYS = {"type", "title", "id", "DOI", "URL", "author", "number", "arxiv"}


def _csl_items(data: object) -> list[Any]:
    """The items of a CSL-JSON file: a list of them, as Zotero and pandoc write; also an object
    holding the list under "items", one item alone, or items by id (citeproc-js's form)."""
    if isinstance(data, dict):
        if "items" in data:
            data = data["items"]
        elif data.keys() & _CSL_ITEM_KEYS:
            data = [data]
        elif data and all(isinstance(v, dict) for v in data.values()):
            data = list(data.values())
    if not isinstance(data, list):
        raise UnreadableFile("CSL-JSON must be a list of items")
    if not data:
        raise UnreadableFile("the CSL-JSON has no items")
    return data


# The rich text that CSL (and Zotero in titles) allows: <i>, <b>, <sup>, <sub>, <span class=...>
_RICH_TEXT = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^<>]*)?>", re.I)


def _rich_text_stripped(title: str) -> str:
    return " ".join(_RICH_TEXT.sub("", title).split())


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


# Words that, before a last name, are part of the family name: "van der Sommen", "De Boi"
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "dei", "degli", "di", "da", "das", "dos"}
    | {"do", "du", "des", "la", "le", "lo", "ter", "ten", "zu", "zur", "bin", "binti", "ibn"}
    | {"al", "el"}
)
_SUFFIX = re.compile(r"(?:jr|sr|[ivx]+)\.?", re.I)


def _is_particle(word: str) -> bool:
    return word.lower() in _PARTICLES and (word.islower() or word.istitle())


def name_parts(name: str) -> tuple[str, str, str]:
    """An author's (given names, particles, last name). A name written "Family, Given" keeps
    its parts; a name of one word, one with a suffix after its comma, or several people that
    an arXiv listing joined by ";", is its last name alone, given names and particles empty."""
    text = " ".join(name.split())
    family, comma, given = (part.strip() for part in text.partition(","))
    if ";" in text or (
        comma and (not family or not given or "," in given or _SUFFIX.fullmatch(given))
    ):
        return "", "", text
    if not comma:
        words = text.split(" ")
        start = len(words) - 1
        while start > 1 and _is_particle(words[start - 1]):  # one given name stays given
            start -= 1
        given, family = " ".join(words[:start]), " ".join(words[start:])
    if not given:
        return "", "", text
    words = family.split(" ")
    n = next(i for i, word in enumerate(words) if i == len(words) - 1 or not _is_particle(word))
    return given, " ".join(words[:n]), " ".join(words[n:])


def split_name(name: str) -> tuple[str, str]:
    """An author's (family name with its particles, given names); the given names are empty
    for a name of one word, or of several people joined by ";". Every export splits names here."""
    given, particles, last = name_parts(name)
    return " ".join(w for w in (particles, last) if w), given


def _csl_name(name: str) -> dict[str, str]:
    given, particles, last = name_parts(name)
    if not given:
        return {"literal": name}
    parts = {"family": last, "given": given}
    return parts | {"non-dropping-particle": particles} if particles else parts


def ris_name(name: str) -> str:
    """An author as RIS writes one: "Family, Given"."""
    family, given = split_name(name)
    return f"{family}, {given}" if given else family


def csl_json(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Papers as a CSL-JSON array (with a reader's notes and tags, when given)."""
    items = []
    for p in papers:
        item, extra = csl_item(p), (annotated or {}).get(p.id)
        if extra and extra.note:
            item["note"] = extra.note
        if extra and extra.all_tags:
            item["keyword"] = ", ".join(listed_tag(t, bibtex=False) for t in extra.all_tags)
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


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
