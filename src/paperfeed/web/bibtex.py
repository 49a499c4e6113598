"""BibTeX for one paper or any list of papers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from pylatexenc.latexencode import unicode_to_latex
from slugify import slugify

from paperfeed.models import Paper, normalise_title
from paperfeed.references import (
    AT_SIGN,
    BACKSLASH,
    BRACE_LEFT,
    BRACE_RIGHT,
    Annotations,
    AnnotationsById,
    issued,
    listed_tag,
    split_name,
    suffixed,
)
from paperfeed.text import fold_accents

_SPECIAL = re.compile(r"(?<!\\)([&%#])")
# In text (titles, names, notes, keywords): maths as written, and outside it what LaTeX would
# read as markup escaped, as `&`, `%` and `#` are everywhere (`~` stays: arXiv's titles are
# LaTeX, where it is a tie).
_MATH = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\]")
_TEXT_SPECIAL = re.compile(r"(?<!\\)([_$^])")
# pylatexenc spells these for text; in maths they have commands of their own (√ is \surd: its
# \sqrt{} would root nothing).
_MATH_COMMANDS = {
    "×": r"\times",
    "·": r"\cdot",
    "→": r"\rightarrow",
    "←": r"\leftarrow",
    "√": r"\surd",
    "°": r"^{\circ}",
    "†": r"\dagger",
    "‡": r"\ddagger",
    "′": "'",
    "∘": r"\circ",
}
_ENSUREMATH = re.compile(r"\\ensuremath\{(.*)\}", re.S)
_STOPWORDS = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "via"}
MEDIA_TYPE = "application/x-bibtex; charset=utf-8"


def paper_year(paper: Paper) -> int | None:
    """The year to cite: an arXiv paper's first version (as arXiv's own BibTeX does), else its
    publication; None when only the day it was listed here is known."""
    parts = issued(paper)
    return parts[0] if parts else None


def cite_key(paper: Paper) -> str:
    """A readable key: first author's surname, year and first significant title word."""
    first = split_name(suffixed(paper.authors[0])[0])[0] if paper.authors else ""
    # A name in another script is transliterated (张伟 is zhangwei, Иванов ivanov), as
    # reference managers make keys, rather than left out of the key.
    # Latin letters NFKD keeps whole as their letters (Groß is gross, Işık isik, Ærø aero).
    surname = _ascii_words(first)[-1:] or [slugify(first, separator="")]
    words = [w for w in _ascii_words(paper.title) if w not in _STOPWORDS]
    year = paper_year(paper)
    parts = [*surname, str(year) if year else "", *words[:1]]
    key = "".join(parts) or re.sub(r"[^A-Za-z0-9]", "", paper.id)
    return key or "paper"


def _ascii_words(text: str) -> list[str]:
    """The words of a text's title key written in ASCII letters and digits (a key keeps other
    scripts' words, which a cite key leaves out)."""
    return [w for w in normalise_title(fold_accents(text)).split() if w.isascii() and w.isalnum()]


def _text_field(text: str) -> str:
    """A field of text: as `_field`, with `_`, `$` and `^` escaped outside maths too, and each
    @ braced (a reader took "@misc{" in a note for an entry of its own, and lost the paper)."""
    out, last = [], 0
    for math in _MATH.finditer(text):
        out += [
            _plain_part(text[last : math.start()]),
            _math_in_ascii(math[0]).replace("@", AT_SIGN),
        ]
        last = math.end()
    return _field("".join([*out, _plain_part(text[last:])]))


def _plain_part(text: str) -> str:
    return _TEXT_SPECIAL.sub(_escape, text).replace("@", AT_SIGN)


def _math_in_ascii(math: str) -> str:
    """Maths with its Greek letters and symbols as LaTeX commands (`$φ$` is `${\\varphi}$`):
    pdfLaTeX stops at a Unicode letter in maths, as arXiv's titles sometimes have one."""
    return "".join(ch if ch.isascii() else _math_command(ch) for ch in math)


@lru_cache(maxsize=1024)
def _math_command(ch: str) -> str:
    """One character's maths command, braced (`φx` must not read as `\\varphix`); a letter
    with no such command, as written."""
    spelled = _MATH_COMMANDS.get(ch) or _ENSUREMATH.fullmatch(unicode_to_latex(ch))
    if spelled is None:
        return ch
    return "{" + (spelled if isinstance(spelled, str) else spelled[1]) + "}"


def _escape(special: re.Match[str]) -> str:
    return r"\^{}" if special[1] == "^" else "\\" + special[1]


def _field(text: str) -> str:
    # Keep the LaTeX arXiv uses, but never emit unbalanced braces or bare & % #.
    text = " ".join(text.split())
    if "{" not in text and "}" not in text:  # most fields: nothing to balance
        return _SPECIAL.sub(r"\\\1", text.rstrip("\\"))
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    # A trailing backslash would escape the brace that closes the field.
    return _SPECIAL.sub(r"\\\1", "".join(out).rstrip("\\") + "}" * depth)


def _ending_kept(line: str) -> str:
    """A note's line with the backslashes it ends in written as the command that prints one
    (a field drops them: one would escape the brace that closes it)."""
    bare = line.rstrip("\\")
    return bare + BACKSLASH * (len(line) - len(bare))


def _braces_matched(text: str) -> str:
    """A note's line with each brace that has no partner written as the LaTeX command that
    prints it (a field must balance its braces; the import reads them back)."""
    opened: list[int] = []
    lone: set[int] = set()
    for i, ch in enumerate(text):
        if ch == "{":
            opened.append(i)
        elif ch == "}":
            if opened:
                opened.pop()
            else:
                lone.add(i)
    lone.update(opened)
    spelled = {"{": BRACE_LEFT, "}": BRACE_RIGHT}
    return "".join(spelled[ch] if i in lone else ch for i, ch in enumerate(text))


def bib_name(name: str) -> str:
    """An author as "Surname, Given names" (or "Surname, Jr., Given names"); a name that cannot
    be split, in braces (BibTeX would otherwise split it at its last word)."""
    base, suffix = suffixed(name)
    family, given = split_name(base)
    if given:
        return ", ".join(part for part in (family, suffix, given) if part)
    family = " ".join(name.split())
    return "{" + family + "}" if " " in family else family


def entry(paper: Paper, key: str | None = None, extra: Annotations | None = None) -> str:
    """One entry for a paper (@article once arXiv records its journal reference, else @misc);
    every field value is escaped, so none can close early.
    A reader's note goes in `annote`, their tags in `keywords`, as Zotero and JabRef read
    them, and a paper read in JabRef's `readstatus` too."""
    fields: list[tuple[str, str]] = [("title", "{" + _text_field(paper.title) + "}")]
    if paper.authors:
        names = " and ".join(bib_name(a) for a in paper.authors)
        fields.append(("author", _text_field(names)))
    year = paper_year(paper)
    if year:
        fields.append(("year", str(year)))
    if paper.is_arxiv:
        fields += [("eprint", _field(paper.id)), ("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryClass", _field(paper.categories[0])))
        fields.append(("url", _field(paper.abs_url or "")))
    if paper.doi:
        fields.append(("doi", _field(paper.doi)))
    if paper.journal_ref:
        fields.append(("journal", _text_field(paper.journal_ref)))
    if extra:
        fields += _annotation_fields(extra)
    body = ",\n".join(f"  {name:<13} = {{{value}}}" for name, value in fields)
    kind = "article" if paper.journal_ref else "misc"  # styles print `journal` only for these
    return f"@{kind}{{{key or cite_key(paper)},\n{body}\n}}\n"


def _annotation_fields(extra: Annotations) -> list[tuple[str, str]]:
    fields = []
    if extra.note:  # line by line: the note keeps its paragraphs
        lines = extra.note.splitlines()
        kept = (_ending_kept(_braces_matched(ln)) for ln in lines)
        fields.append(("annote", "\n".join(_text_field(ln) for ln in kept)))
    if extra.all_tags:
        spelled = {"{": BRACE_LEFT, "}": BRACE_RIGHT}  # a tag's own braces read back as such
        tags = ("".join(spelled.get(ch, ch) for ch in t) for t in extra.all_tags)
        fields.append(("keywords", _text_field(", ".join(listed_tag(t, True) for t in tags))))
    if extra.state == "read":
        fields.append(("readstatus", "read"))
    return fields


def entries(papers: Sequence[Paper], annotated: AnnotationsById | None = None) -> str:
    """Entries for a list of papers, with keys made unique (a, b, ... suffixes), and a reader's
    notes and tags when given."""
    extra = annotated or {}
    keys = _unique_keys(papers)
    return "\n".join(entry(p, k, extra.get(p.id)) for p, k in zip(papers, keys, strict=True))


def _unique_keys(papers: Sequence[Paper]) -> list[str]:
    """Each paper's key; papers sharing one are told apart by a, b, ... in the order of their ids,
    not of the list, so a paper keeps its key whoever exports the list and in whatever order."""
    bases = [cite_key(p) for p in papers]
    keys, taken = list(bases), set(bases)
    next_suffix: dict[str, int] = {}
    for i in sorted(range(len(papers)), key=lambda i: (bases[i], papers[i].id)):
        n = next_suffix.get(bases[i], 0)
        while n and bases[i] + _suffix(n) in taken:  # never another paper's own key
            n += 1
        if n:
            keys[i] = bases[i] + _suffix(n)
            taken.add(keys[i])
        next_suffix[bases[i]] = n + 1
    return keys


def _suffix(n: int) -> str:
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def header(title: str, when: date) -> str:
    """A comment line naming the list and when it was made."""
    # An @ outside an entry would start one, so a user-typed title must not carry it.
    clean = " ".join(title.replace("@", " ").split())
    return f"% {clean} — paperfeed, {when.isoformat()}\n\n"
