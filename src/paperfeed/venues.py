"""The venue a paper says it appears at ("Accepted at ICML 2026"), read conservatively from its
arXiv comment or journal reference: a known venue's acronym with a year, in a sentence that does
not say the paper was only submitted, is under review, or extends another paper."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches

# Conferences whose acronym alone, next to a year, names them (not "RSS" or "CHI": words too).
# fmt: off
_VENUES = (
    "NeurIPS", "ICLR", "ICML", "CVPR", "ICCV", "ECCV", "ACL", "EMNLP", "NAACL", "EACL", "COLING",
    "AAAI", "IJCAI", "KDD", "SIGIR", "COLM", "AISTATS", "UAI", "CoRL", "ICRA", "IROS", "MICCAI",
    "WACV", "BMVC", "ICASSP", "INTERSPEECH", "Interspeech", "SIGGRAPH", "WSDM", "CIKM", "TMLR",
    "LREC", "ICPR", "ICME", "IJCNN", "ISBI", "AAMAS", "ECAI", "ICIP", "ICDE", "ICDM", "RecSys",
    "MIDL", "ICSE", "ACCV", "ISIT", "ECIR", "ICWSM", "ICDAR", "3DV", "PAKDD", "ITSC", "EUSIPCO",
    "ICONIP", "PRCV",
)
# Conferences written in several ways, some of several words: the name kept, and how papers write
# it ("ACM Multimedia 2026", "ACMMM 2026"; "The ACM Web Conference 2026", "WWW '26").
_SPELLED = {
    "ACM MM": r"ACM\s*(?:MM|Multimedia)",
    "SIGGRAPH Asia": r"SIGGRAPH\s+Asia",
    "AACL": r"(?:IJCNLP-)?AACL",
    "WWW": r"WWW|TheWebConf|(?:ACM\s+)?Web\s+Conference",
    "ECML PKDD": r"ECML(?:[\s/-]*PKDD)?",
}
# fmt: on
_NAMES = (*_VENUES, *_SPELLED)
# Its year after it ("ICML 2026", "ICML '26"), or after a track named after it, with at most
# two words between ("ACL Findings 2025", "NAACL SRW 2025", "CVPR EgoVis Workshop 2025").
_NAMED = re.compile(
    r"(?<![\w-])(" + "|".join([*_SPELLED.values(), *_VENUES]) + r")"
    r"(?:[\s-]+(20\d\d)|\s*['\u2019](\d\d)"
    r"|(?:[\s-]+[\w-]+){0,2}?[\s-]+(?i:(workshops?|findings|srw))[\s-]+(20\d\d))(?![\w-])"
)
_SPELLINGS = [(name, re.compile(spelled)) for name, spelled in _SPELLED.items()]
# A sentence saying the paper is not (yet) at that venue, or is another paper's sequel.
_NOT_THERE = re.compile(
    r"\b(?:submi|review|reject|previous|extend|extension|earlier|prior|declined|not accepted"
    r"|(?:format|template|style)\b|version of our|(?:journal|full|long|conference) version)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n")
_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S*", re.IGNORECASE)  # its words say nothing
_WORKSHOP = re.compile(r"workshop|co-located|colocated", re.IGNORECASE)
_FINDINGS = re.compile(r"\bfindings\b", re.IGNORECASE)
_HONOUR = re.compile(r"\b(oral|spotlight)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Venue:
    """Where a paper appears: a conference's acronym and year, and its track if not the main one."""

    name: str
    year: int
    track: str = ""  # "Workshop" or "Findings" (ACL's)
    honour: str = ""  # "Oral" or "Spotlight"

    @property
    def label(self) -> str:
        """What a badge says: "ICML 2026", "ICML 2026 Workshop", "Findings of ACL 2026"."""
        base = f"{self.name} {self.year}"
        if self.track == "Findings":
            return f"Findings of {base}"
        return f"{base} {self.track}".rstrip()

    @property
    def slug(self) -> str:
        """Its page's address part: "icml-2026", "icml-2026-workshop", "acl-2026-findings"."""
        track = f"-{self.track.lower()}" if self.track else ""
        return f"{self.name.lower().replace(' ', '-')}-{self.year}{track}"

    @property
    def kept(self) -> Venue:
        """The venue as the store keeps it, without the paper's honour (a venue's page lists
        its orals and its posters alike)."""
        return Venue(self.name, self.year, self.track)


_TRACKS = ("Workshop", "Findings")
_SLUG = re.compile(
    r"(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<year>\d{4})(?:-(?P<track>workshop|findings))?"
)
_LABEL = re.compile(
    r"(?:(?P<f>Findings) of )?(?P<name>\w+(?: \w+)?) (?P<year>\d{4})(?: (?P<w>Workshop))?"
)
_SLUG_NAMES = {n.lower().replace(" ", "-"): n for n in _NAMES if n != "INTERSPEECH"}


def from_slug(slug: str) -> Venue | None:
    """The venue a page's address names ("icml-2026", "acl-2026-findings", "acm-mm-2026"), or
    None."""
    found = _SLUG.fullmatch(slug)
    names = _SLUG_NAMES
    if found is None or found["name"] not in names:
        return None
    track = (found["track"] or "").capitalize()
    return Venue(names[found["name"]], int(found["year"]), track)


def from_label(label: str) -> Venue | None:
    """The venue a stored label names ("Findings of ACL 2026", "ICML 2026 Workshop"), or None."""
    found = _LABEL.fullmatch(label)
    if found is None or found["name"] not in _NAMES or (found["f"] and found["w"]):
        return None
    return Venue(found["name"], int(found["year"]), found["f"] or found["w"] or "")


def typed_venue(text: str) -> Venue | None:
    """The conference a reader names, by its page's address ("icml-2026"), as its page calls
    it ("ICML 2026", "icml 2026", "Findings of ACL 2026") or as papers write it ("ICML '26",
    "ACL Findings 2026", "ACMMM 2026"), or None."""
    said = " ".join(text.split())
    if not said:
        return None
    named = from_slug(said.lower().replace(" ", "-")) or from_label(said)
    if named is None and (written := venue_of(said)) is not None:
        named = written.kept
    return named


def stored_venue(journal_ref: str | None, comments: str | None) -> str | None:
    """The label the store keeps for a paper (None: it names no venue): `Venue.kept`'s."""
    found = venue_of(journal_ref, comments)
    return None if found is None else found.kept.label


def venue_of(*texts: str | None) -> Venue | None:
    """The first venue the texts (a journal reference, then a comment) say the paper is at."""
    found = _first(texts)
    return found[0] if found else None


def venue_sentence(*texts: str | None) -> str:
    """The sentence that venue was read from ("Accepted at ICML 2026"); empty for none."""
    found = _first(texts)
    return found[1] if found else ""


def _first(texts: tuple[str | None, ...]) -> tuple[Venue, str] | None:
    for text in texts:
        if not text or not _NAMED.search(text):  # most comments name none: one search, no split
            continue
        for sentence in _SENTENCE.split(text):
            found = _in_sentence(sentence)
            if found is not None:
                return found, sentence.strip()
    return None


def _in_sentence(sentence: str) -> Venue | None:
    sentence = _ADDRESS.sub(" ", sentence)
    match = _NAMED.search(sentence)
    if match is None or _NOT_THERE.search(sentence):
        return None
    name = _name(match.group(1))
    full, short, named, after = match.group(2, 3, 4, 5)
    year = int(full or after) if full or after else 2000 + int(short)
    at = sentence[: match.start()].rstrip().endswith("@")  # "KG-LLM @ LREC 2026": a workshop's
    track = "Workshop" if at or _WORKSHOP.search(sentence) else ""
    track = track or ("Findings" if _FINDINGS.search(sentence) else "")
    if named:  # "ACL Findings 2025", "NAACL SRW 2025" (a student workshop)
        track = "Findings" if named.lower() == "findings" else "Workshop"
    honour = _HONOUR.search(sentence)
    said = honour.group(1).capitalize() if honour and not track else ""
    return Venue(name, year, track, said)


def _name(written: str) -> str:
    """The name a conference is kept under, as a paper wrote it ("ACMMM": "ACM MM")."""
    if written == "INTERSPEECH":
        return "Interspeech"
    return next((name for name, spelled in _SPELLINGS if spelled.fullmatch(written)), written)


_TYPED_YEAR = re.compile(r"(?<!\d)(?:((?:19|20)\d\d)|['\u2019](\d\d))(?!\d)")
_TYPED_TRACK = re.compile(r"\b(findings|workshops?)\b", re.IGNORECASE)


def _name_key(text: str) -> str:
    """A conference's name as compared with what a reader typed: letters and digits, lower."""
    return "".join(c for c in text.lower() if c.isalnum())


def _held(counts: Mapping[str, int]) -> list[tuple[Venue, int]]:
    """Each stored label that names a venue, as that venue, with its papers."""
    return [(v, n) for v, n in ((from_label(label), n) for label, n in counts.items()) if v]


def meant(typed: str, counts: Mapping[str, int], most: int = 4) -> list[Venue]:
    """The conferences held here (`counts`: each stored label and its papers) that a reader
    most likely meant by text naming none: "ICML" (no year), "iclr 2019" (a year nobody here
    names), "NeurIPS2026", "neurps 2025" (misspelt). The conference typed, or the one spelt
    closest; the year typed first, then the newest; the track typed (or the main one) first."""
    year_found = _TYPED_YEAR.search(typed)
    year = None
    if year_found:
        year = int(year_found[1] or f"20{year_found[2]}")
    track_found = _TYPED_TRACK.search(typed)
    track = "Findings" if track_found and track_found[1].lower() == "findings" else ""
    track = "Workshop" if track_found and not track else track
    rest = _TYPED_TRACK.sub(" ", _TYPED_YEAR.sub(" ", typed))
    key = _name_key(re.sub(r"\bof\b", " ", rest, flags=re.IGNORECASE))
    held = _held(counts)
    by_key: dict[str, list[tuple[Venue, int]]] = {}
    for venue, n in held:
        by_key.setdefault(_name_key(venue.name), []).append((venue, n))
    if key:
        names = [key] if key in by_key else get_close_matches(key, by_key, n=2, cutoff=0.7)
        found = [pair for name in names for pair in by_key[name]]
    else:  # only a year: that year's conferences, most papers first
        found = [(v, n) for v, n in held if v.year == year]
    found.sort(key=lambda p: (p[0].year != year, p[0].track != track, -p[0].year, -p[1]))
    return [venue for venue, _ in found[:most]]


def offered(counts: Mapping[str, int], most: int = 120) -> list[Venue]:
    """The conferences a search's Conference field offers as it is typed in: those of the two
    newest years papers here name (`counts`: each stored label and its papers), newest year
    first, main tracks first, most papers first; at most `most`."""
    held = _held(counts)
    if not held:
        return []
    newest = max(v.year for v, _ in held)
    held = [(v, n) for v, n in held if v.year >= newest - 1]
    held.sort(key=lambda p: (-p[0].year, p[0].track != "", -p[1], p[0].label))
    return [venue for venue, _ in held[:most]]
