"""Words as the index splits them: stop words, C++ and C#, Chinese and Japanese runs."""

from __future__ import annotations

import re
import unicodedata

from paperfeed.text import CJK_LETTERS, cjk_name_joined

# Words too common to say what a query is about (Lucene's English set plus a few of papers').
# fmt: off
STOP_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "if", "in", "into",
    "is", "it", "no", "not", "of", "on", "or", "our", "such", "that", "the", "their", "then",
    "there", "these", "they", "this", "to", "via", "was", "we", "will", "with",
])
# fmt: on


_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


# Languages whose names the word splitter would cut to one letter: "C++" and "C#" are indexed
# and searched as these words (a search for "c" is no search for C++).
CODE_WORDS = {"c++": "cplusplus", "c#": "csharp", "f#": "fsharp"}
CODE_RE = re.compile(r"(?<![\w+#])(?:[cC]\+\+|[cCfF]#)(?![A-Za-z_+#])")


# Chinese and Japanese are written without spaces: a run of Han or kana is indexed and
# searched as its overlapping pairs of characters (深度学习 as 深度 度学 学习, as Lucene's CJK
# analyzer does), so a word inside a run is found; a query's run is a phrase of its pairs.
CJK_RUN_RE = re.compile(f"[{CJK_LETTERS}]{{2,}}")


def _pairs(run: re.Match[str]) -> str:
    text = run[0]
    return " " + " ".join(text[i : i + 2] for i in range(len(text) - 1)) + " "


def has_cjk_run(text: str) -> bool:
    """Whether `text` holds two or more Han or kana characters in a row."""
    return not text.isascii() and CJK_RUN_RE.search(text) is not None


def code_words(text: str) -> str:
    """`text` with "C++", "C#" and "F#" spelled as the words the index holds for them,
    Turkish "İ" as "I" (lower-cased, it is "i" with a combining dot, which no word matches),
    and runs of Chinese or Japanese characters as their pairs of characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # "o" and a combining diaeresis: "ö"
        if "İ" in text:
            text = text.replace("İ", "I")
        text = CJK_RUN_RE.sub(_pairs, text)
    if "+" not in text and "#" not in text:
        return text
    return CODE_RE.sub(lambda m: f" {CODE_WORDS[m[0].lower()]} ", text)


def name_words(name: str) -> str:
    """An author's name as the index holds it: `code_words`, with the parts of a Chinese or
    Japanese name written together ("山田 太郎" and "山田太郎" match)."""
    return code_words(cjk_name_joined(name))


def words_of(text: str) -> list[str]:
    """Lower-case alphanumeric words, the way the index splits text ("C++" is "cplusplus")."""
    return [w.lower() for w in _WORD_RE.findall(code_words(text))]
