"""The venue a paper says it appears at ("Accepted at ICML 2026"), read conservatively from its
arXiv comment or journal reference: a known venue's acronym with a year, in a sentence that does
not say the paper was only submitted, is under review, or extends another paper."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from difflib import get_close_matches

# Conferences whose acronym alone, next to a year, names them (not "RSS" or "CHI": words too).
# fmt: off
_VENUES = (
    "NeurIPS", "ICLR", "ICML", "CVPR", "ICCV", "ECCV", "ACL", "EMNLP", "NAACL", "EACL", "COLING",
    "AAAI", "IJCAI", "KDD", "SIGIR", "COLM", "AISTATS", "UAI", "CoRL", "ICRA", "IROS", "MICCAI",
    "WACV", "BMVC", "ICASSP", "INTERSPEECH", "Interspeech", "SIGGRAPH", "WSDM", "CIKM", "TMLR",
    "LREC", "ICPR", "ICME", "IJCNN", "ISBI", "AAMAS", "ECAI", "ICIP", "ICDE", "ICDM", "RecSys",
    "MIDL", "ICSE", "ACCV", "ISIT", "ECIR", "ICWSM", "ICDAR", "3DV", "PAKDD", "ITSC", "EUSIPCO",
    "ICONIP", "PRCV", "AIED", "IGARSS", "ICIAP", "RANLP", "ICAIL", "ICMR", "FAccT", "CogSci",
    "ICLP", "ASRU", "SIGDIAL", "ICAPS", "VISAPP", "EMBC", "AIES", "CoNLL", "INLG", "ESWC", "ISWC",
    "ICANN", "IJCB", "GCPR", "ICMLA", "BIBM", "IWSLT", "DASFAA", "UMAP", "ESANN",
    "EurIPS",
)
# A conference's workshops written as one word: "CVPRW 2025" is "CVPR 2025 Workshop".
_AS_WORKSHOPS = ("CVPR", "ICCV", "ECCV", "WACV")
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
_NAME_RE = "|".join([*_SPELLED.values(), *(f"{n}W" for n in _AS_WORKSHOPS), *_VENUES])
# Its year after it: "ICML 2026", "ICML-2026", "ICML '26", "CVPR'2026", "AAAI-26", "(CVPR) 2026"
# and "(AAAI), 2026" (the acronym after the full name); after the main track named ("ACL (Main)
# 2026", "EMNLP Main 2025", "KDD Datasets and Benchmarks Track 2026"); or after a track named
# after it, with at most two words between ("ACL Findings 2025", "NAACL SRW 2025", "CVPR EgoVis
# Workshop 2025", "CVPR Findings Track 2026", "CVPR workshops, 2026").
_NAMED = re.compile(
    r"(?<![\w-])(" + _NAME_RE + r")"
    r"(?:\)?,?[\s-]+(20\d\d)|\s*['\u2019]\s?(20\d\d|\d\d)|-(\d\d)|\s(\d\d)(?=\s*(?:[,.;:)]|$))"
    r"|\)?[\s-]+(?i:\(main\)|main(?:\s+(?:conference|track))?|industry\s+track"
    r"|(?:datasets\s+(?:and|&)\s+benchmarks|d&b)\s+track)[\s,-]+(20\d\d)"
    r"|\)?(?:[\s-]+[\w-]+){0,2}?[\s-]+(?i:(workshops?|findings|srw))(?i:\s+track)?,?[\s-]+(20\d\d|\d\d(?=\s*(?:[,.;:)]|$))))"
    r"(?!\w|-\d)"
)
# Its year before it: "the 2025 CVPR FGVC12 workshop", "2025 IEEE ICDM Workshop", "2026 IEEE
# International Symposium on Information Theory (ISIT)" (the acronym after the full name, in the
# same clause). Not another event named after it: "2025 AAAI/ACM Conference on", "2025 ACM
# SIGGRAPH Symposium".
_WORDS = r"[^().;:,\d]{0,100}?"
_YEAR_FIRST = re.compile(
    r"(?<![\w-])(20\d\d)\s+(?:(?:(?:IEEE|ACM)(?:/CVF)?|CVF)\s+)?(" + _NAME_RE + r")"
    r"(?![\w/-]|\s+(?:Symposium|Conference\s+on|Fall|Spring)\b)"
    r"|(?<![\w-])(20\d\d)\s+(?=[A-Z\d])" + _WORDS + r"(?:\d+(?:st|nd|rd|th)\s+" + _WORDS + ")?"
    r"\((" + _NAME_RE + r")(?:\s+(?i:findings|workshops?))?\)"
)
_WORKSHOP_WORDS = tuple(f"{n}W" for n in _AS_WORKSHOPS)
_ANY_NAME = re.compile(r"(?<![\w-])(?:" + _NAME_RE + ")")
_SPELLINGS = [(name, re.compile(spelled)) for name, spelled in _SPELLED.items()]
# A sentence saying the paper is not (yet) at that venue, or is another paper's sequel ("peer
# reviewed and presented at", "submitted and accepted to" say it is), or is at an event held
# with it that is not a track of papers (a tutorial, a doctoral consortium, AAAI's symposia).
_NOT_THERE = re.compile(
    r"\b(?:submi(?!tted\s+and\s+accepted)|(?<!peer )(?<!peer-)review|reject|previous|extend"
    r"|extension|earlier|prior|declined|not accepted"
    r"|(?:format|template|style)\b|version of our|(?:journal|full|long|conference) version"
    r"|tutorial\b|(?:phd|doctoral)\s+(?:symposium|consortium)|(?:spring|fall)\s+symposium)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n(?!\s)")  # a line break, not a wrap
_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S*", re.IGNORECASE)  # its words say nothing
_WORKSHOP = re.compile(r"workshop|bridge\s+program", re.IGNORECASE)
# An event held with the conference ("ArabicNLP 2025, co-located with EMNLP 2025"): a workshop of
# the conference named after it; a conference named before it is that event ("CoNLL 2026,
# colocated with ACL 2026").
_COLOCATED = re.compile(r"\bco-?located|\bcollocated", re.IGNORECASE)
# A challenge or competition held at the conference: its reports are not the conference's papers
# ("CVPR 2026 SoccerNet Challenge, Rank 1", "NeurIPS 2025 Competition Track").
_CHALLENGE = re.compile(r"\b(?:challenge|competition)s?\b", re.IGNORECASE)
# A word of two capitals or more, the name of an event papers write ("SICon", "BEA", "C3NLP").
_ACRONYM = r"[A-Za-z\d]*[A-Z][a-z\d]*[A-Z\d][\w-]*?"
_OTHER_NAME = re.compile(r"(?<![\w-])" + _ACRONYM + r"\s*$")  # "SICon 2025 ACL": the year is its
# A conference named with no year next to it ("Accepted at ICML", "Accepted at ACL WOAH 2025",
# "(ITSC), IEEE, 2026"): the acronym alone (not "Web Conference", which other conferences' names
# hold), not another event named after it ("AAAI/ACM", "AAAI Spring Symposium", "ACM MM Asia",
# "the ACL Anthology").
_BARE = re.compile(
    r"(?<![\w-])("
    + "|".join([*(v for k, v in _SPELLED.items() if k != "WWW"), *_WORKSHOP_WORDS, *_VENUES])
    + "|WWW"
    + r")(?![\w/-]|\s+(?i:(?:anthology|symposium|spring|fall|arr)\b|asia|\d+\s+year))"
)
_ACCEPTED = re.compile(
    r"\b(?:accept|to appear|appears? (?:in|at)|published|presented|camera[- ]ready|proceedings)",
    re.IGNORECASE,
)
# Another event named with that year ("SICon 2025", "(AIIDE 2025)", "MIG '25"): the year is its.
_OTHER_EVENT = re.compile(
    r"(?<![\w-])(?!(?:IEEE|ACM|IJCNLP|"
    + _NAME_RE
    + r")\b)"
    + _ACRONYM
    + r"\s*(?:['\u2019]\d\d|20\d\d)(?!\d)"
)
# ... or before it, held there ("C3NLP at NAACL", "LLMs4SSH 2026 at LREC", "CogInterp @ NeurIPS").
_EVENT_AT = re.compile(
    r"(?<![\w-])" + _ACRONYM + r"(?:\s*['\u2019]?(?:20)?\d\d)?\s*(?:at|@|in)\s+(?:the\s+)?$"
)
_JOURNAL_OF = re.compile(r"transactions\s+of\s+(?:the\s+)?$", re.IGNORECASE)  # TACL: a journal
_SYMPOSIUM = re.compile(r"\bsymposium\b", re.IGNORECASE)
_A_YEAR = re.compile(r"(?<![\w/.-])(20\d\d)(?![\w/-]|\.\d)")
# A word after the conference's name that names a workshop of it ("ACL WOAH", "CVPR NTIRE").
_EVENT_AFTER = re.compile(
    r"\)?\s+(?!(?:IEEE|ACM|CVF|IJCNLP|Main|Findings|SRW|Oral|Spotlight|Workshops?|Industry)\b)"
    + _ACRONYM
)
# When each conference first tells authors they are in (a month) and how many years after that
# month's its meeting is: a paper saying "Accepted at CVPR" in March 2026 is at CVPR 2026; "at
# AAAI" in December 2025 at AAAI 2026; "at ICCV" in 2026, at ICCV 2025 (held in odd years only).
# fmt: off
_DECIDED: dict[str, tuple[int, int]] = {
    "CVPR": (2, 0), "ICCV": (6, 0), "ECCV": (6, 0), "ICML": (5, 0), "NeurIPS": (9, 0),
    "ICLR": (1, 0), "AAAI": (11, 1), "ACL": (4, 0), "EMNLP": (8, 0), "NAACL": (1, 0),
    "EACL": (1, 0), "IJCAI": (4, 0), "KDD": (11, 1), "SIGIR": (4, 0), "MICCAI": (5, 0),
    "WACV": (9, 1), "ICRA": (2, 0), "IROS": (6, 0), "ACM MM": (7, 0), "WWW": (1, 0),
    "Interspeech": (5, 0), "ICASSP": (12, 1), "COLM": (7, 0), "AISTATS": (1, 0), "UAI": (5, 0),
    "TMLR": (1, 0),
}
# fmt: on
_LATEST = 2040  # "AAAI-26" is 2026; "-59" is no year
_HELD_IN = {"ICCV": 1, "ECCV": 0}  # odd years, even years
_SAID_WITHIN = 366  # days between a paper's first and latest versions for its date to tell
_FINDINGS = re.compile(r"\bfindings\b", re.IGNORECASE)
_HONOUR = re.compile(r"\b(oral|spotlight)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Venue:
    """Where a paper appears: a conference's acronym and year, and its track if not the main one."""

    name: str
    year: int
    track: str = ""  # "Workshop", "Challenge" (its challenges' reports) or "Findings" (ACL's)
    honour: str = ""  # "Oral" or "Spotlight"

    @property
    def label(self) -> str:
        """What a badge says: "ICML 2026", "ICML 2026 Workshop", "CVPR 2026 Challenge",
        "Findings of ACL 2026"."""
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


# A conference's tracks other than its main one, in the order its pages list them.
TRACKS = ("Findings", "Workshop", "Challenge")
_SLUG = re.compile(
    r"(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<year>\d{4})"
    r"(?:-(?P<track>" + "|".join(t.lower() for t in TRACKS) + "))?"
)
_LABEL = re.compile(  # "Findings of ACL 2026"; the other tracks after the year
    r"(?:(?P<f>Findings) of )?(?P<name>\w+(?: \w+)?) (?P<year>\d{4})"
    r"(?: (?P<w>" + "|".join(t for t in TRACKS if t != "Findings") + "))?"
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


def stored_venue(
    journal_ref: str | None, comments: str | None, said: date | None = None
) -> str | None:
    """The label the store keeps for a paper (None: it names no venue): `Venue.kept`'s. `said`:
    the day the paper said it (`said_on`), which dates a conference named without its year."""
    found = venue_of(journal_ref, comments, said=said)
    return None if found is None else found.kept.label


def said_on(
    published: date | None, updated: date | None, listed: date | None = None
) -> date | None:
    """The day a paper's comment was written, as far as its dates tell: its latest version's
    (else its first's, else its listing's). None where its versions lie more than a year apart:
    "Accepted at ICML" in an old paper's new version may mean an old ICML."""
    last, first = updated or published or listed, published or listed
    if last is None or first is None:
        return None
    last, first = _day(last), _day(first)
    return last if (last - first).days <= _SAID_WITHIN else None


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def venue_of(*texts: str | None, said: date | None = None) -> Venue | None:
    """The first venue the texts (a journal reference, then a comment) say the paper is at;
    `said` dates a conference named without its year."""
    found = _first(texts, said)
    return found[0] if found else None


def venue_sentence(*texts: str | None, said: date | None = None) -> str:
    """The sentence that venue was read from ("Accepted at ICML 2026"); empty for none."""
    found = _first(texts, said)
    return found[1] if found else ""


def _first(texts: tuple[str | None, ...], said: date | None) -> tuple[Venue, str] | None:
    for text in texts:
        # most comments name none: one search, no split
        if not text or not _ANY_NAME.search(text):
            continue
        sentences = _SENTENCE.split(text)
        for n, sentence in enumerate(sentences):
            words = " ".join(sentence.split())  # arXiv wraps long comments: "\n  " is a space
            found = _in_sentence(words, said)
            if found is not None:
                beside = sentences[:n] + sentences[n + 1 :]
                if not found.track and _workshop_beside(beside, found.name):
                    found = replace(found, track="Workshop", honour="")
                return found, words
    return None


def _workshop_beside(others: list[str], name: str) -> bool:
    """Whether another sentence of the comment says the paper is at a workshop of the venue
    ("ICCV 2025; OpenSUN3D Workshop", "Second Workshop on Test-Time Adaptation! at ICML 2025"):
    one naming a workshop (not in an address), no other conference, and no other paper."""
    for sentence in others:
        words = _ADDRESS.sub(" ", sentence)
        if not _WORKSHOP.search(words) or _NOT_THERE.search(words):
            continue
        if {_name(m) for m in _ANY_NAME.findall(words)} <= {name}:
            return True
    return False


def _in_sentence(sentence: str, said: date | None) -> Venue | None:
    sentence = _ADDRESS.sub(" ", sentence)
    if _NOT_THERE.search(sentence):
        return None
    found = _named_in(sentence) or _unyeared(sentence, said)
    if found is None:
        return None
    written, year, named, start = found
    name = _name(written)
    named = named or ("workshop" if written in _WORKSHOP_WORDS else "")  # "CVPRW 2025"
    at = sentence[:start].rstrip().endswith("@")  # "KG-LLM @ LREC 2026": a workshop's
    held_with = _COLOCATED.search(sentence, 0, start)
    track = "Workshop" if at or held_with or _WORKSHOP.search(sentence) else ""
    track = track or ("Challenge" if _CHALLENGE.search(sentence) else "")
    track = track or ("Findings" if _FINDINGS.search(sentence) else "")
    if named:  # "ACL Findings 2025", "NAACL SRW 2025" (a student workshop)
        track = "Findings" if named.lower() == "findings" else "Workshop"
    honour = _HONOUR.search(sentence)
    return Venue(name, year, track, honour.group(1).capitalize() if honour and not track else "")


def _named_in(sentence: str) -> tuple[str, int, str, int] | None:
    """The conference a sentence names with its year: its name as written, the year, the track word
    written between them ("" for none) and where the name starts; or None."""
    match = _NAMED.search(sentence)
    if match is not None:
        full, quoted, hyphened, spaced, main, named, after = match.group(2, 3, 4, 5, 6, 7, 8)
        year = full or quoted or hyphened or spaced or main or after
        if _year(year) <= _LATEST:  # not "ICML 99"
            return match[1], _year(year), named or "", match.start()
    for match in _YEAR_FIRST.finditer(sentence):
        if not _OTHER_NAME.search(sentence, 0, match.start()):  # not "SICon 2025 ACL"
            year, name = (match[1], match[2]) if match[1] else (match[3], match[4])
            return name, _year(year), "", match.start()
    return None


def _unyeared(sentence: str, said: date | None) -> tuple[str, int, str, int] | None:
    """A conference a sentence says the paper is at with no year next to its name: the year
    elsewhere in the sentence ("Accepted at CVPR Workshop on Driving 2026"), else the year its
    decisions of `said`'s time were for (`_DECIDED`); None where neither tells."""
    match = _BARE.search(sentence)
    if match is None or not _ACCEPTED.search(sentence):
        return None
    before = sentence[: match.start()]
    if _JOURNAL_OF.search(before):
        return None
    name = _name(match[1])  # its decisions' month is by the name kept
    years = set(_A_YEAR.findall(sentence))
    if len(years) == 1:
        year = int(years.pop())
    elif years or said is None or name not in _DECIDED or _SYMPOSIUM.search(sentence):
        return None
    else:
        month, after = _DECIDED[name]
        year = (said.year if said.month >= month else said.year - 1) + after
        if name in _HELD_IN and year % 2 != _HELD_IN[name]:
            year -= 1
    held_at = _EVENT_AT.search(before) or _EVENT_AFTER.match(sentence, match.end())
    named = "workshop" if held_at else ""
    at = "@" in sentence or _WORKSHOP.search(sentence) or _COLOCATED.search(before)
    if not named and not at and _OTHER_EVENT.search(sentence):  # "SICon 2025 ACL": not ACL's
        return None
    return match[1], year, named, match.start()


def _year(written: str) -> int:
    """A year as written after a conference's name: "2026", or "26" for 2026."""
    return int(written) if len(written) == 4 else 2000 + int(written)


def _name(written: str) -> str:
    """The name a conference is kept under, as a paper wrote it ("ACMMM": "ACM MM")."""
    if written == "INTERSPEECH":
        return "Interspeech"
    if written in _WORKSHOP_WORDS:  # "CVPRW": CVPR's workshops
        return written[:-1]
    return next((name for name, spelled in _SPELLINGS if spelled.fullmatch(written)), written)


_TYPED_YEAR = re.compile(r"(?<!\d)(?:((?:19|20)\d\d)|['\u2019](\d\d))(?!\d)")
# A track typed with the conference: "findings", "workshop(s)", "challenge(s)".
_TYPED_TRACK = re.compile(r"\b(" + "|".join(f"{t}s?" for t in TRACKS) + r")\b", re.IGNORECASE)


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
    typed_track = track_found[1].lower() if track_found else ""
    track = next((t for t in TRACKS if typed_track in (t.lower(), f"{t.lower()}s")), "")
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
