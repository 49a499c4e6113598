"""The shared vocabulary: pure data, no I/O."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from paperfeed.text import KEY_WORD, key_folded

LOCAL_PREFIX = "local-"


@dataclass(frozen=True)
class Version:
    """One arXiv version of a paper and the date it was submitted."""

    number: int
    created: datetime | None = None


@dataclass(frozen=True)
class Signals:
    """Community signals carried by a source (Hugging Face daily papers)."""

    upvotes: int = 0
    submitted_by: str | None = None
    github_repo: str | None = None
    github_stars: int | None = None


@dataclass(frozen=True)
class Paper:
    """One paper as every part of paperfeed sees it."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first
    version: int | None = None
    versions: tuple[Version, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    code_links: tuple[str, ...] = ()
    source: str = ""
    listing_date: date | None = None
    withdrawn: bool = False
    signals: Signals | None = None
    first_seen: datetime | None = field(default=None, compare=False)

    @property
    def is_arxiv(self) -> bool:
        """True when the id is an arXiv id rather than a local one."""
        return not self.id.startswith(LOCAL_PREFIX)

    @property
    def revision(self) -> Version | None:
        """The paper's latest version when it was revised (v2 on), with its date if known."""
        if (self.version or 0) < 2:
            return None
        dated = {v.number: v.created for v in self.versions}
        return Version(self.version or 0, dated.get(self.version or 0) or self.updated)

    @property
    def abs_url(self) -> str | None:
        """The arXiv abstract page."""
        return f"https://arxiv.org/abs/{self.id}" if self.is_arxiv else None

    @property
    def pdf_url(self) -> str | None:
        """The arXiv PDF."""
        return f"https://arxiv.org/pdf/{self.id}" if self.is_arxiv else None


@dataclass(frozen=True)
class RecordError:
    """A record that could not be read: where it was and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class TrendingRow:
    """What the trending score needs to know about one candidate paper (plain data)."""

    id: str
    day: date
    upvotes: int
    github_stars: int | None
    has_code: bool
    featured: bool
    new_upvotes: int = 0  # of `upvotes`, those by accounts still new (see trending.py)


_TEX = re.compile(r"\\[a-zA-Z]+|[{}$\\]")  # a LaTeX command, braces and maths signs
# A Greek letter or two alone is a symbol ("α-Divergences", "π0"), as "$\\alpha$", whose command
# a key leaves out: both spellings of such a title share a key (Greek words stay in it).
_SYMBOL = re.compile("[\u0370-\u03ff\u1f00-\u1fff]{1,2}")


def normalise_title(title: str) -> str:
    """Fold a title to a key that matches across sources (case, accents, LaTeX, spacing): its
    words as `text.key_folded` writes them ("Łódź" is "lodz", "Нейронные сети" "нейронные
    сети"), Greek symbols left out as LaTeX commands are; a title without a letter or digit
    ("???") is its own key, never an empty one."""
    text = title.lower() if title.isascii() else key_folded(title)
    words = " ".join(w for w in KEY_WORD.findall(_TEX.sub(" ", text)) if not _SYMBOL.fullmatch(w))
    return words or " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def local_id(title: str) -> str:
    """A stable id for a paper that is not on arXiv, derived from its normalised title."""
    digest = hashlib.sha1(normalise_title(title).encode()).hexdigest()[:12]
    return LOCAL_PREFIX + digest


def clean_text(text: str | None) -> str:
    """Collapse arXiv's hard wraps and runs of whitespace."""
    return " ".join((text or "").split())


# arXiv's notice of a withdrawal, as its new version's comment or replaced abstract opens (or a
# comment's sentence does): "This paper has been withdrawn by the authors.", "This submission has
# been withdrawn by arXiv administrators because …", "Withdrawn due to an error in Eq. 3".
# A sentence that merely mentions the word ("compared with withdrawn results") is no notice.
_WORK = r"(?:this|the|our) (?:paper|submission|article|manuscript|preprint|work)"
_START = r"(?:^|(?<=[.;!?] )|(?<=arxiv admin note: ))"  # a field's or a sentence's start
_NOTICE = re.compile(
    rf"{_START}(?:{_WORK} (?:has|have|is|was)(?: (?:now|hereby|been|being))* "
    rf"(?:withdrawn|removed by arxiv)"
    rf"|(?:we|i|the authors?) (?:have |has )?(?:withdraw|withdrew|withdrawn) {_WORK}\b)",
    re.IGNORECASE,
)
_BARE = re.compile(r"(?:arxiv admin note: )?(?:paper )?withdrawn\b", re.IGNORECASE)


def is_withdrawn(comment: str | None, abstract: str | None = None) -> bool:
    """True when a record's comment or abstract carries arXiv's withdrawal notice: the comment
    opens with it or has a sentence of it; the abstract (which arXiv replaced) opens with it."""
    said, summary = clean_text(comment), clean_text(abstract)
    opens = _BARE.match(said) or _BARE.match(summary) or _NOTICE.match(summary)
    return bool(opens or _NOTICE.search(said))


_SPLIT_INITIALS = re.compile(r"\.\s+-(?=\w)")


def name_from_parts(*parts: str | None) -> str:
    """An author's name from arXiv's parsed parts (forenames, keyname, suffix), as arXiv prints
    it: its parser writes the forenames "C.-P." as "C. -P.", which is "C.-P." again."""
    return _SPLIT_INITIALS.sub(".-", clean_text(" ".join(p for p in parts if p)))
