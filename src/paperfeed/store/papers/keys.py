"""Lookup keys: an author's name key and a title's folded key."""

from __future__ import annotations

import re
from functools import lru_cache

from paperfeed.latex import decode_name, tex_accents
from paperfeed.models import normalise_title
from paperfeed.text import KEY_WORD, key_folded, name_parts_joined

_LATEX = re.compile(r"[{}$\\]")
_WORD = re.compile(r"[a-z0-9]+")
_CONTROL_WORD = re.compile(r"\\[A-Za-z]+")  # a TeX command left in a name: not a word of it


def author_key(name: str) -> str:
    """The key an author is looked up by: TeX accents decoded (Erd\\H{o}s is Erdős), Latin
    letters case- and accent-insensitive with ł, ø, ß transliterated (Łukasz Søren Işık İnce is
    "lukasz soren isik ince"), other scripts' letters kept, NFKC and case-folded (张伟 and 章伟,
    both Zhang Wei in pinyin, are two authors; Мария is мария), the parts of a Chinese,
    Japanese or Korean name written together (山田 太郎 is 山田太郎, 김 민수 is 김민수; Kim Minsu
    stays another author). A key's key is itself."""
    if name.isascii() and not _LATEX.search(name):
        return " ".join(_WORD.findall(name.lower()))
    # The same names recur across an ingest's papers; a long one (a URL's) is not kept.
    return _remembered_key(name) if len(name) <= _REMEMBERED else _script_key(name)


_REMEMBERED = 200


@lru_cache(maxsize=16_384)
def _remembered_key(name: str) -> str:
    return _script_key(name)


def _script_key(name: str) -> str:
    text = key_folded(decode_name(_CONTROL_WORD.sub(" ", tex_accents(name))))
    # 山田 太郎, 山田太郎 and 山田・太郎: one author; 김 민수 and 김민수 too
    return name_parts_joined(" ".join(KEY_WORD.findall(text)))


def _fold(text: str) -> str:
    # normalise_title's result for plain ASCII without LaTeX, at a fraction of its cost.
    if text.isascii() and not _LATEX.search(text) and (words := _WORD.findall(text.lower())):
        return " ".join(words)
    return normalise_title(text)
