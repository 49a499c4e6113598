"""A paper's keyphrases, extracted from its title and abstract with YAKE (no model, offline).

YAKE (yake-rust, MIT) scores candidate phrases of up to three words by statistics of the text
alone; the rules here keep phrases a reader would search for: no stop word inside one, no
lone common word, no phrase repeating another ("model" and "models"), the casing the abstract
uses. About 3 ms a paper (bench/keyphrases.py), so they are computed when shown and kept.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from yake_rust import Yake

from paperfeed.latex import plain
from paperfeed.models import Paper

MOST = 6  # keyphrases shown, as Hugging Face shows about as many
_CANDIDATES = 30  # YAKE's best phrases read to find MOST good ones
_KEPT = 4096  # papers whose keyphrases each process keeps (a few MB)
# Characters of a title and of an abstract read (arXiv allows 1,920 in an abstract): a page's
# abstract may hold 200,000, and 200 KB of "<script " took 89 s to strip
_READ = 5000
# Words no keyphrase starts or ends with, beside YAKE's English stop words: what an abstract
# says it does ("we propose", "outperforms") rather than what it is about.
_WORDS = """
    propose proposes proposed proposing present presents presented presenting introduce
    introduces introduced introducing show shows showed shown showing demonstrate demonstrates
    demonstrated achieve achieves achieved achieving enable enables enabled enabling leverage
    leverages leveraged leveraging outperform outperforms outperformed outperforming improve
    improves improved improving address addresses addressed addressing develop develops
    developed investigate investigates investigated study studies studied explore explores
    explored evaluate evaluates evaluated evaluating identify identifies identifying measure
    measuring generating formulate formulates formulated require requires required remain
    remains reveal reveals revealed yield yields paper work approach approaches method
    methods framework frameworks technique techniques existing extensive experiment experiments
    experimental result results state-of-the-art significantly substantially effectively
    efficiently recent recently key main previous prior various multiple typically towards
    toward via based leading high highest large-scale simple effective efficient benchmarking
    estimating enhancing reconstructing maintain maintains represent represents handle handles
    compress compresses comprising covering consist consists resulting remarkable substantial
    separate successful success significant novel promising crucial critical widely creating
    constructing extracting distinguishing bridging train trains trained generate generates
    current modern diverse accurate reliable real-world downstream performance
"""
_ABSTRACT_WORDS = frozenset(_WORDS.split())
ABSTRACT_WORDS = _ABSTRACT_WORDS  # also not what a list of papers is about (paperfeed.topics)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_WORD = re.compile(r"[\w-]+")
_MACRO = re.compile(r"\\[A-Za-z]+\*?(?:\{\})?")
_MARKDOWN = re.compile(r"[*`#]+|\]\([^()\s]*\)")  # emphasis, code, headings, a link's address
# "-ly" adverbs (anatomically, widely, rigorously), not "family" or "anomaly"
_ADVERB = re.compile(r"(?:ally|ely|ously|ively|ently|antly|edly|ingly|ctly|ily)$(?<!family)")
_ACRONYM = re.compile(r"[A-Z].*[A-Z0-9]|\d.*[A-Za-z]")  # LLMs, RECIST, CutFEM, 3D


def keyphrases(paper: Paper) -> tuple[str, ...]:
    """Up to MOST keyphrases of a paper, best first, as plain text (never markup)."""
    return _keyphrases(paper.title, paper.abstract)


@lru_cache(maxsize=_KEPT)
def _keyphrases(title: str, abstract: str) -> tuple[str, ...]:
    body = _prose(abstract[:_READ])
    text = f"{_prose(title[:_READ])}.\n{body}"
    chosen = _choose([phrase.split() for phrase in _ranked(text)], text.lower())
    tokens = _WORD.findall(body)
    return tuple(_cased(words, tokens) for words in chosen)


def _ranked(text: str) -> list[str]:
    """YAKE's best candidates, best first, the same at every run: its scores differ in their
    last bits from run to run (a sum's order), so near-equal ones are put in word order."""
    try:
        scored = _extractor().get_n_best(text, n=_CANDIDATES + 10)
    except BaseException as exc:  # yake-rust panics (no Exception) where a regex of its
        if type(exc).__name__ != "PanicException":  # sentence splitter gives up ('{{{…')
            raise
        return []
    ranked = sorted(scored, key=lambda kv: (round(kv[1], 9), kv[0].lower(), kv[0]))
    return [phrase for phrase, _ in ranked[:_CANDIDATES]]


def _prose(text: str) -> str:
    """Words as a reader sees them: no tags, entities, Markdown marks or LaTeX commands."""
    unescaped = html.unescape(text)  # "&lt;b&gt;" is a tag too
    text = plain(_MARKDOWN.sub(" ", _TAG.sub(" ", _SCRIPT.sub(" ", unescaped))))
    return _MACRO.sub(" ", text)  # an author's own macro (\\openbiorq{}) is no word


@lru_cache(maxsize=1)
def _extractor() -> Yake:
    # One per process; yake-rust releases the GIL while it works, so threads share it.
    return Yake(
        stopwords=set(_stop_words()),
        ngrams=3,
        only_alphanumeric_and_hyphen=True,
        minimum_chars=3,
        deduplication_threshold=0.8,
    )


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    return frozenset(Yake(language="en").stopwords | _ABSTRACT_WORDS)


def _choose(candidates: Sequence[list[str]], lowered: str) -> list[list[str]]:
    """The best readable candidates, each saying something the ones before it do not; a
    phrase YAKE cut at three words is joined to its other part where the text has the whole."""
    chosen: list[list[str]] = []
    for words in filter(_readable, candidates):
        if not _merged(chosen, words, lowered) and len(chosen) < MOST:
            chosen.append(words)
    return chosen


def _merged(chosen: list[list[str]], words: list[str], lowered: str) -> bool:
    """Whether a chosen phrase says `words` already (a phrase within it, or two words of it),
    or now does, joined with it; `chosen` is changed in place."""
    for i, kept in enumerate(chosen):
        joined = _joined(kept, words, lowered)
        if joined:
            chosen[i] = joined
            return True
        if len(set(_stems(kept)) & set(_stems(words))) >= 2:
            return True
    return False


def _joined(kept: list[str], words: list[str], lowered: str) -> list[str] | None:
    """One phrase of two that overlap at their ends, where the text writes it whole (at most
    five words); a phrase within the other is the longer one."""
    a, b = _stems(kept), _stems(words)
    if _within(b, a):
        return kept
    if _within(a, b):
        return words
    for first, second, w1, w2 in ((a, b, kept, words), (b, a, words, kept)):
        for n in range(min(len(first), len(second)) - 1, 0, -1):
            if first[-n:] == second[:n] and len(first) + len(second) - n <= 5:
                whole = w1 + w2[n:]
                stems = _stems(whole)
                if len(set(stems)) == len(stems) and " ".join(whole).lower() in lowered:
                    return whole
    return None


def _readable(words: list[str]) -> bool:
    """No stop word or adverb in it, and one word only when an acronym or a compound."""
    stop = _stop_words()
    for word in words:
        lower = word.lower()
        if lower in stop or _ADVERB.search(lower) or not any(c.isalpha() for c in word):
            return False
    return len(words) > 1 or bool(_ACRONYM.fullmatch(words[0])) or "-" in words[0].strip("-")


def _stems(words: list[str]) -> tuple[str, ...]:
    """Each word lowercased with a plural's s dropped, so "Models" and "model" are one."""
    return tuple(_stem(w.lower()) for w in words)


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether `part` is `whole` or a run of its words."""
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def _cased(words: list[str], tokens: list[str]) -> str:
    """The phrase as the abstract (its `tokens`) most often writes it; else (a title's phrase)
    each word in lower case but for names and acronyms."""
    n, wanted = len(words), [w.lower() for w in words]
    lowered = [t.lower() for t in tokens]
    found = (" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    forms = Counter(f for i, f in enumerate(found) if lowered[i : i + n] == wanted)
    if forms:
        return forms.most_common(1)[0][0]
    parts = [part for t in tokens for part in t.split("-")]
    return " ".join("-".join(_lowered(part, parts) for part in w.split("-")) for w in words)


def _lowered(word: str, parts: list[str]) -> str:
    """A title's Capitalised word in lower case, unless the abstract writes it only as a name
    (Gaussian, Nash); an acronym or a mixed-case name (RECIST, CutFEM) as written."""
    lower = word.lower()
    if not word or word[1:] != word[1:].lower():
        return word
    written = [p for p in parts if p.lower() == lower]
    return word if written and lower not in written else lower
