"""Authors' names: given names, particles and family names, as every export splits them."""

from __future__ import annotations

import re
from functools import lru_cache

# Words that, before a last name, are part of the family name: "van der Sommen", "De Boi"
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "dei", "degli", "di", "da", "das", "dos"}
    | {"do", "du", "des", "la", "le", "lo", "ter", "ten", "zu", "zur", "bin", "binti", "ibn"}
    | {"al", "el"}
)
_SUFFIX = re.compile(r"(?:jr|sr|[ivx]+)\.?", re.I)
# A name in Chinese, Japanese or Korean script, of more than one word: its family name comes first.
_CJK_NAME = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
    r"(?: [\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)+"
)


# A generational suffix after a name: "John Smith Jr.", "Luther King, Jr.", "Smith, John, III"
_TRAILING_SUFFIX = re.compile(r"(?P<name>.+?\S)(?:\s*,)?\s+(?P<suffix>[JS]r\.?|II|III|IV)")


def suffixed(name: str) -> tuple[str, str]:
    """A name without its generational suffix, and the suffix ("" when it has none): "John
    Smith Jr." is ("John Smith", "Jr."); a name of one word before it ("Henry IV") has none."""
    text = " ".join(name.split())
    found = _TRAILING_SUFFIX.fullmatch(text)
    if found is None or len(found["name"].replace(",", " ").split()) < 2:
        return text, ""
    return found["name"], found["suffix"]


def _is_particle(word: str) -> bool:
    return word.lower() in _PARTICLES and (word.islower() or word.istitle())


@lru_cache(maxsize=16384)  # pure, and an export of thousands of papers splits each name again
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
    if not comma and _CJK_NAME.fullmatch(text):  # family name first: 山田 太郎, 김 민수
        family, _space, given = text.partition(" ")
        return given, "", family
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


def family_name(name: str) -> str:
    """A name's family name: what comes before its comma ("van der Sommen, Fons"), else the
    last word with the particles before it; never a suffix ("Smith" of "John Smith Jr.")."""
    name = suffixed(name)[0]
    if "," in name:
        return name.partition(",")[0].strip()
    return split_name(name)[0]
