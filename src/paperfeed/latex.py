"""LaTeX in titles and abstracts as readable plain text, for feeds and email where KaTeX cannot run.

Only math ($...$, \\(...\\), \\[...\\], $$...$$, equation-like environments) goes through
pylatexenc's LatexNodes2Text; the prose around it keeps its characters (a bare % in an abstract
is a percent sign, not a LaTeX comment), with the common text macros and escapes unwrapped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

_ENVS = r"equation|align|gather|multline|eqnarray|displaymath|math"
_MATH_RE = re.compile(
    r"\$\$(?P<dd>.+?)\$\$|\$(?P<d>[^$]+?)\$|\\\((?P<p>.+?)\\\)|\\\[(?P<b>.+?)\\\]"
    rf"|\\begin\{{(?P<env>(?:{_ENVS})\*?)\}}(?P<e>.+?)\\end\{{(?P=env)\}}",
    re.S,
)
_TEXT_MACRO_RE = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textrm|textsf|textsc|textsl|underline|text)\{([^{}]*)\}"
)
_CITE_RE = re.compile(
    r"~?\\(?:cite[a-z]*|ref|eqref|autoref|cref|Cref)\*?(?:\[[^\]]*\])*\{([^{}]*)\}"
)
_ESCAPE_RE = re.compile(r"\\([%&#_${}])")
_BARE_PERCENT_RE = re.compile(r"(?<!\\)%")


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text")


def plain_math(source: str) -> str:
    """One math expression as Unicode text (\\alpha -> α, \\frac{a}{b} -> a/b)."""
    try:
        text = _converter().latex_to_text(_BARE_PERCENT_RE.sub(r"\\%", source))
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


def _prose(text: str) -> str:
    cited = _CITE_RE.sub(lambda m: f" [{m[1]}]", text)
    return _ESCAPE_RE.sub(r"\1", _TEXT_MACRO_RE.sub(r"\1", cited))
