"""Template parts rendered once with markers for their values, filled per message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import escape

from paperfeed.digest.render.environment import _env

_MARK = "\x1e"  # brackets a slot's name in a skeleton; markupsafe leaves it as it is
_PARTS = ("head", "item", "rated", "section", "more", "foot")  # "rated": an item with 👍 / 👎 links
_ITEM = ("index", "item.title", "item.title_text", "item.url", "item.byline",
         "item.byline_text", "item.why", "item.why_text", "item.snippet",
         "item.snippet_text", "item.note", "item.note_text", "item.extras",
         "item.extras_text")  # fmt: skip
_SLOTS = {
    "head": ("subject", "preheader", "home_url", "heading"),
    "section": ("section", "section_text"),
    "more": ("more_text", "more_url"),
    "item": _ITEM,
    "rated": (*_ITEM, "rate_url", "item.paper"),
    "foot": ("frequency", "home_url", "manage_url", "unsubscribe_url"),
}


@dataclass(frozen=True)
class _Skeleton:
    """A template part rendered once with markers for its values: literal text and slots,
    filled per message without running the template (each part holds plain slots only)."""

    pieces: tuple[str, ...]  # literal, slot, literal, … (the literals at even positions)
    autoescape: bool

    @classmethod
    def of(cls, part: str, autoescape: bool) -> _Skeleton:
        """The skeleton of one part (digest_head, digest_item, digest_foot) of the digest."""
        slots = {slot: f"{_MARK}{slot}{_MARK}" for slot in _SLOTS[part]}
        marks: dict[str, object] = {"rate_url": ""}  # an item without 👍 / 👎 links
        marks |= {k: v for k, v in slots.items() if "." not in k}
        marks["item"] = {k.removeprefix("item."): v for k, v in slots.items() if "." in k}
        ext = "html" if autoescape else "txt"
        name = "item" if part == "rated" else part
        text = _env(autoescape).get_template(f"digest_{name}.{ext}").render(**marks)
        return cls(tuple(text.split(_MARK)), autoescape)

    def filled(self, values: Mapping[str, object]) -> _Skeleton:
        """The skeleton with these slots filled in (escaped as the template would), the
        others kept."""
        out = [self.pieces[0]]
        for i in range(1, len(self.pieces), 2):
            slot, after = self.pieces[i], self.pieces[i + 1]
            if slot in values:
                value = values[slot]
                out[-1] += (str(escape(value)) if self.autoescape else str(value)) + after
            else:
                out += [slot, after]
        return _Skeleton(tuple(out), self.autoescape)


@dataclass(frozen=True)
class _Utf8:
    """A skeleton as UTF-8: its literal pieces as bytes and its slots between them, filled
    by joining bytes (the bodies go to base64 as they are, never through `str`)."""

    literals: tuple[bytes, ...]
    slots: tuple[str, ...]

    @classmethod
    def of(cls, skeleton: _Skeleton) -> _Utf8:
        """The skeleton's pieces, its literals encoded."""
        pieces = skeleton.pieces
        return cls(tuple(p.encode("utf-8") for p in pieces[0::2]), pieces[1::2])

    def extend(self, out: list[bytes], values: Mapping[str, bytes]) -> None:
        """Add the part with its slots filled (values escaped and encoded already) to out."""
        literals = self.literals
        out.append(literals[0])
        for i, slot in enumerate(self.slots, 1):
            out += values[slot], literals[i]
