"""LaTeX in titles, abstracts and names: TeX accents as Unicode, and plain text for feeds and email.

arXiv writes accented letters in TeX (P\\'eter, Erd\\H{o}s, {\\O}bro): `tex_accents` turns them into
characters, `decode_prose` does so outside a title's or abstract's math (which KaTeX reads as
written), and `decode_name` for an author's name, with its grouping braces dropped.

For feeds and email, only math ($...$, \\(...\\), \\[...\\], $$...$$, equation-like
environments) goes through pylatexenc's LatexNodes2Text; the prose around it keeps its
characters (a bare % in an abstract is a percent sign, not a LaTeX comment), with the common
text macros and escapes unwrapped and its accents decoded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexwalker import LatexMacroNode

_ENVS = r"equation|align|gather|multline|eqnarray|displaymath|math"
_MATH_RE = re.compile(
    r"\$\$(?P<dd>.+?)\$\$|\$(?P<d>[^$]+?)\$|\\\((?P<p>.+?)\\\)|\\\[(?P<b>.+?)\\\]"
    rf"|\\begin\{{(?P<env>(?:{_ENVS})\*?)\}}(?P<e>.+?)\\end\{{(?P=env)\}}",
    re.S,
)
_GROUP = r"((?:[^{}]|\{[^{}]*\})*)"  # a group's text, one level of braces within
_TEXT_MACRO_RE = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textrm|textsf|textsc|textsl|underline|text)\{" + _GROUP + r"\}"
    r"|\\textcolor\{[^{}]*\}\{" + _GROUP + r"\}|\{\\(?:em|it|bf|sl|sc|tt)\s+([^{}]*)\}"
)
# \url{u} and \href{u}{text}, as a reader of plain text wants them: u, and "text (u)".
_LINK_RE = re.compile(r"\\url\{([^{}\s]*)\}|\\href\{([^{}\s]*)\}\{" + _GROUP + r"\}")
# TeX's small spaces (0.50\,m, ACL\,2026), and a group of punctuation alone (15{,}729).
_SPACING_RE = re.compile(r"\\[,;: ]")
_PUNCT_GROUP_RE = re.compile(r"\{([^\w\s{}\\]?)\}")
_CITE_RE = re.compile(
    r"~?\\(?:cite[a-z]*|ref|eqref|autoref|cref|Cref)\*?(?:\[[^\]]*\])*\{([^{}]*)\}"
)
_ESCAPE_RE = re.compile(r"\\([%&#_${}])")
_BARE_PERCENT_RE = re.compile(r"(?<!\\)%")
_URL_RE = re.compile(r"((?:https?://|www\.)[^\s$]+)")
# An accent's letter: a letter, or a dotless i or j (\'\i is í); a letter already accented
# too (Nguy\~ên is Nguyễn).
_BASE = r"[A-Za-z]|\\[ij](?![A-Za-z])|[^\W\d_\x00-\x7f]"
# A backslash before a letter no TeX command starts with (St\ütz): a slip, not a command.
_STRAY_BACKSLASH_RE = re.compile(r"\\(?=[^\W\d_\x00-\x7f])")
# \'e \'{e} {\'e} {\'{e}} \v{S} \v S {\v S}; then \ss \o{} {\O} (a control word eats the
# spaces after it: Bj\o rn is Bjørn).
_ACCENT_RE = re.compile(
    r"(?P<open>\{\s*)?"
    r"(?:\\(?P<sym>['`^\"~=.])|\\(?P<word>[vHcukrdb])(?:\s+|(?=\{)))"
    rf"(?:\{{\s*(?P<inner>{_BASE})\s*\}}|(?P<bare>{_BASE}))"
    r"(?(open)\s*\})"
    r"|(?P<lopen>\{\s*)?\\(?P<letter>ss|SS|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j)(?![A-Za-z])"
    r"(?:\{\}|[ \t]*)(?(lopen)\s*\})"
)
_MARKS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "H": "\u030b", "v": "\u030c", "u": "\u0306", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
_LETTERS = {
    "ss": "ß", "SS": "SS", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip


# Text that pylatexenc drops, as Zotero and JabRef write it in titles: TeX's logos, < and >
_TEXT_SYMBOLS = {"TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX"}
_TEXT_SYMBOLS |= {"textless": "<", "textgreater": ">"}
_FUNCTIONS = ("log", "ln", "exp", "sin", "cos", "tan", "max", "min", "arg", "det", "lim", "sup")
# A super- or subscript group of more than one word's characters ("n^{1/2}", "e^{-x^2}").
_SCRIPT_GROUP_RE = re.compile(r"([_^])\{([^{}]*[^\w{}][^{}]*)\}")
_ATOM_RE = re.compile(r"[\w.]+|\S")
# A control word ends at the first character that is not an ASCII letter (\mathbfβ is \mathbf β).
_WORD_THEN_UNICODE_RE = re.compile(r"(\\[A-Za-z]+)(?=[^\x00-\x7f])")


def _frac(node: LatexMacroNode, l2tobj: LatexNodes2Text) -> str:
    """\\frac{a+b}{c} as "(a+b)/c": what a fraction groups, kept grouped."""
    args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    parts = [l2tobj.nodelist_to_text([a]).strip() for a in args[-2:]]
    if len(parts) != 2:
        return "/"
    return "/".join(p if _ATOM_RE.fullmatch(p) else f"({p})" for p in parts)


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db().filter_context()  # a copy to add to
    macros = [MacroTextSpec(name, simplify_repl=_frac) for name in ("frac", "dfrac", "tfrac")]
    macros += [MacroTextSpec(name, simplify_repl=f" {name} ") for name in _FUNCTIONS]
    macros += [MacroTextSpec(name, simplify_repl=text) for name, text in _TEXT_SYMBOLS.items()]
    context.add_context_category("paperfeed", prepend=True, macros=macros)
    return LatexNodes2Text(latex_context=context, math_mode="text")


@lru_cache(maxsize=4096)  # pure: a feed of 100 abstracts converted the same maths each view
def plain_math(source: str) -> str:
    """One math expression as Unicode text (\\alpha -> α, \\frac{a+b}{c} -> (a+b)/c,
    n^{1/2} -> n^(1/2), \\log\\sum -> log ∑)."""
    ended = _WORD_THEN_UNICODE_RE.sub(r"\1 ", source)
    grouped = _SCRIPT_GROUP_RE.sub(lambda m: f"{m[1]}{{({m[2]})}}", ended)
    try:
        text = _converter().latex_to_text(_BARE_PERCENT_RE.sub(r"\\%", grouped))
    except Exception:  # a malformed expression reads better as written than not at all
        return " ".join(source.split())
    return " ".join(text.split())


def plain(text: str) -> str:
    """Text with its LaTeX made readable: math converted, text macros unwrapped, one line."""
    parts: list[str] = []
    last = 0
    for match in _MATH_RE.finditer(text):
        parts.append(_prose(text[last : match.start()]))
        inner = next(g for k, g in match.groupdict().items() if g is not None and k != "env")
        parts.append(plain_math(inner))
        last = match.end()
    parts.append(_prose(text[last:]))
    return " ".join("".join(parts).split())


def math_spans(text: str) -> list[tuple[int, int]]:
    """Where a title's or abstract's formulas are, in order: (start, end) of each, delimiters
    included."""
    return [m.span() for m in _MATH_RE.finditer(text)] if "$" in text or "\\" in text else []


def tex_accents(text: str) -> str:
    """Text with its TeX accents and special letters as Unicode (P\\'eter -> Péter, {\\O}bro ->
    Øbro, Erd\\H{o}s -> Erdős, {\\ss} -> ß); an accent with no single character for it (\\"q)
    and everything else stay as written. For text with no math in it: see `decode_prose`."""
    return _ACCENT_RE.sub(_accented, text) if "\\" in text else text


def _accented(match: re.Match[str]) -> str:
    if match["letter"]:
        return _LETTERS[match["letter"]]
    base = match["inner"] or match["bare"]
    mark = _MARKS[match["sym"] or match["word"]]
    char = unicodedata.normalize("NFC", base[-1] + mark)  # \i under an accent is a plain i
    return char if len(char) == 1 else match[0]


def decode_prose(text: str) -> str:
    """A title or abstract with the TeX accents outside its math decoded (Gr\\"obner ->
    Gröbner); math ($\\hat{x}$, \\(...\\), environments) stays exactly as written, for KaTeX."""
    if "\\" not in text:
        return text
    parts: list[str] = []
    last = 0
    for match in _MATH_RE.finditer(text):
        parts += [_outside_urls(text[last : match.start()]), match[0]]
        last = match.end()
    parts.append(_outside_urls(text[last:]))
    return "".join(parts)


def _outside_urls(text: str) -> str:
    """Accents decoded, but not in a link (http://host/\\~name keeps its tilde)."""
    pieces = _URL_RE.split(text)  # odd pieces are links
    return "".join(p if i % 2 else tex_accents(p) for i, p in enumerate(pieces))


def tex_dashes(text: str) -> str:
    """TeX's dashes as the typeset text shows them: "---" an em dash, "--" an en dash
    ("1.2--1.4 dB", "models -- which"; one arXiv abstract in five writes one), except in a
    link's address."""
    if "--" not in text:
        return text
    pieces = _URL_RE.split(text)  # odd pieces are links
    return "".join(p if i % 2 else _dashed(p) for i, p in enumerate(pieces))


def _dashed(text: str) -> str:
    return text.replace("---", "\u2014").replace("--", "\u2013")


def decode_name(name: str) -> str:
    """An author's name as arXiv's TeX means it: accents decoded, grouping braces and ties
    dropped, spaces collapsed (Mikkel {\\O}bro -> Mikkel Øbro). Names hold no math."""
    if "\\" not in name and "{" not in name:
        return name
    text = _STRAY_BACKSLASH_RE.sub("", tex_accents(name.replace("\\\\", " ")))  # \\: a line break
    text = text.replace("{", "").replace("}", "").replace("~", " ")
    return " ".join(text.split())


def _prose(text: str) -> str:
    text = tex_dashes(_outside_urls(_LINK_RE.sub(_link, text)))
    cited = _CITE_RE.sub(lambda m: f" [{m[1]}]", text)
    unwrapped = cited
    for _ in range(4):  # \underline{\textbf{Fed}}erated: a level a pass
        unwrapped, found = _TEXT_MACRO_RE.subn(_unwrapped, unwrapped)
        if not found:
            break
    spaced = _PUNCT_GROUP_RE.sub(r"\1", _SPACING_RE.sub(" ", unwrapped))
    return _ESCAPE_RE.sub(r"\1", spaced)


def _unwrapped(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None)


def _link(match: re.Match[str]) -> str:
    if match[1] is not None:
        return match[1]
    url, text = match[2], " ".join(match[3].split())
    return url if text in ("", url) else f"{text} ({url})"
