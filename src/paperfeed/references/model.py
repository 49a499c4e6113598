"""What an import yields and an export adds: entries, parsed files, a reader's annotations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from paperfeed.references.titles import keys_of, loose_keys_of

NO_KEY = "no title, DOI or arXiv id"
# The reading state as an export writes it: a tag of its own, so that a collection named "read"
# or "to read" is not taken for it. Older exports wrote the bare "read" / "to read", which an
# entry without a tag of the new form still means.
STATE_TAGS = {"read": "paperfeed:read", "to_read": "paperfeed:to read"}
_STATE_TAG = re.compile(r"^paperfeed:\s*(read|to[\s_-]?read)$", re.I)
_BARE_STATE_TAGS = {"read": "read", "to read": "to_read", "to_read": "to_read"}
# The reader's 👍 / 👎 as an export writes it: a tag, which Zotero, JabRef and Mendeley keep
# and this import reads back (so a round trip keeps it), never a collection's name.
RATING_TAGS = {1: "paperfeed:liked", -1: "paperfeed:disliked"}
_RATING_TAG = re.compile(r"^paperfeed:\s*(liked|disliked)$", re.I)


@dataclass(frozen=True)
class Reference:
    """One entry of an imported file: where it was and how it may be matched."""

    where: str
    title: str = ""
    arxiv_id: str | None = None
    doi: str | None = None
    note: str = ""
    tags: tuple[str, ...] = ()
    title_keys: tuple[str, ...] = ()  # the title's match keys, the likeliest first
    authors: tuple[str, ...] = ()  # family names, as the file gives them
    year: int | None = None
    rating: int | None = None  # 1 (👍) or -1 (👎), where the file rates the paper
    section: str = ""  # the programme heading a pasted page lists it under ("Oral 1")
    source_id: str = ""  # the entry's own id in the file (a CSL-JSON item's "id")

    @property
    def keys(self) -> tuple[str, ...]:
        """The normalised titles to look the entry up by: `title_keys`, else its title's."""
        return self.title_keys or keys_of(self.title)

    @property
    def loose_keys(self) -> tuple[str, ...]:
        """Keys to try when no stored title has one of `keys`: with "&" read as "and" and
        "and" left out (a title may be written either way), and a digit set apart from the
        letters beside it (Google Scholar writes U$^2$Mamba, whose key is "u 2 mamba", as
        U2Mamba)."""
        return tuple(k for k in dict.fromkeys(loose_keys_of(self.title)) if k not in self.keys)

    @property
    def state(self) -> str | None:
        """The reading state its tags give ("read" wins over "to_read"), or None."""
        states = set(_tag_states(self.tags))
        return "read" if "read" in states else "to_read" if "to_read" in states else None

    @property
    def other_tags(self) -> tuple[str, ...]:
        """Its tags but the reading state's: those collections may be named after."""
        states = _tag_states(self.tags)
        return tuple(
            t
            for t, state in zip(self.tags, states, strict=True)
            if state is None and not _RATING_TAG.match(t)
        )


def _tag_states(tags: Sequence[str]) -> list[str | None]:
    """The reading state each tag names, if any: only the `STATE_TAGS` form where the entry has
    one (its bare "read" is then a collection), else the bare "read" / "to read" too."""
    if any(_STATE_TAG.match(t) for t in tags):
        found = (_STATE_TAG.match(t) for t in tags)
        return [m and ("read" if m[1].lower() == "read" else "to_read") for m in found]
    return [_BARE_STATE_TAGS.get(t.lower()) for t in tags]


@dataclass(frozen=True)
class Parsed:
    """An import file's usable entries and the entries that could not be read."""

    format: str
    references: list[Reference]
    errors: list[str]
    reading: str = ""  # how the file's values were read, where a reader would not guess it


@dataclass(frozen=True)
class Annotations:
    """What a reader added to a paper, exported with it: their note, and tags (the collections
    it is in, its reading state), which Zotero, JabRef and Mendeley read as notes and tags."""

    note: str = ""
    tags: tuple[str, ...] = ()
    state: str | None = None  # "read" or "to_read"
    rating: int | None = None  # 1 (👍) or -1 (👎)

    @property
    def all_tags(self) -> tuple[str, ...]:
        """The tags to write: its tags, then the reading state and the rating in their own
        forms; each once."""
        state = STATE_TAGS.get(self.state or "")
        rating = RATING_TAGS.get(self.rating or 0)
        return tuple(dict.fromkeys((*self.tags, *(t for t in (state, rating) if t))))


AnnotationsById = Mapping[str, Annotations]


class UnreadableFile(ValueError):
    """The file is none of BibTeX, RIS or CSL-JSON, or too big."""


def has_state_tag(tags: Sequence[str]) -> bool:
    """Whether a tag gives the reading state in the form exports write (`STATE_TAGS`)."""
    return any(_STATE_TAG.match(t) for t in tags)


def tag_rating(tags: Sequence[str]) -> int | None:
    """The 👍 (1) or 👎 (-1) a `RATING_TAGS` tag gives (the last such tag), or None."""
    found = [m[1].lower() for m in map(_RATING_TAG.match, tags) if m]
    return None if not found else 1 if found[-1] == "liked" else -1


def keep(ref: Reference, refs: list[Reference], errors: list[str]) -> None:
    """Add an entry to `refs` (rated as its tags say, where it gives no rating else), or, when
    nothing can match it, say so in `errors`."""
    if ref.rating is None and (rating := tag_rating(ref.tags)) is not None:
        ref = replace(ref, rating=rating)
    if ref.title or ref.arxiv_id or ref.doi:
        refs.append(ref)
    else:
        errors.append(f"{ref.where}: {NO_KEY}")
