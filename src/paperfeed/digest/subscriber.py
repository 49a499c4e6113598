"""Subscribers and their preferences: the digest vocabulary, and checking what people send."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from paperfeed.arxiv_ids import BadArxivId, parse_arxiv_id
from paperfeed.categories import checked

FREQUENCIES = ("daily", "weekly", "none")  # none: no digests, the address takes notices only
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_PAPERS = 50
MAX_INTERESTS = 10  # of each kind
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class BadInput(ValueError):
    """Something a person sent that we cannot accept; the message says what to fix."""


@dataclass(frozen=True)
class Preferences:
    """What a subscriber wants, when and how much."""

    frequency: str = "daily"
    send_time: str = "08:00"
    timezone: str = "UTC"
    weekday: int = 0  # weekly digests go out on this day (0 = Monday)
    skip_weekends: bool = True
    max_papers: int = 10
    include_trending: bool = True
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # keyword saved searches
    searches: tuple[str, ...] = ()  # semantic saved searches
    authors: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()  # "papers like these": arXiv ids


@dataclass(frozen=True)
class Subscriber:
    """One address on the list, with its preferences."""

    id: int
    email: str
    status: str
    nonce: str
    prefs: Preferences = field(default_factory=Preferences)
    covered_until: date | None = None
    user_id: int | None = None  # the account it belongs to: its digest ranks with that user's model
    stored_until: datetime | None = None  # when its latest digest read the store (None: never)


def normalise_email(text: object) -> tuple[str, str]:
    """A checked address and the key it is stored under; BadInput when it is not an address."""
    email = _ascii_domain(str(text or "").strip())
    if not email:
        raise BadInput("Please enter an email address.")
    if len(email) > 254 or not _EMAIL.fullmatch(email) or len(email.split("@")[0]) > 64:
        raise BadInput(f"{_clip(email)!r} is not a valid email address (like name@example.org).")
    return email, email.lower()


def _ascii_domain(email: str) -> str:
    """An address whose domain is internationalised ("例え.jp") with that domain as mail
    servers take it (punycode: "xn--r8jz45g.jp"); any other text as it is."""
    local, at, domain = email.rpartition("@")
    if not at or domain.isascii():
        return email
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return email  # not a domain: refused as an address below


def mailbox_key(key: str) -> str:
    """The mailbox an address reaches: plus-addressed variants (a+1@x, a+2@x) are one."""
    local, _, domain = key.rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


def parse_preferences(data: Mapping[str, object], base: Preferences | None = None) -> Preferences:
    """Preferences from JSON or form data (lists or comma/newline-separated text)."""
    old = base or Preferences()
    return Preferences(
        frequency=_choice(data.get("frequency", old.frequency), FREQUENCIES, "frequency"),
        send_time=_send_time(data.get("send_time", old.send_time)),
        timezone=_timezone(data.get("timezone", old.timezone)),
        weekday=_weekday(data.get("weekday", old.weekday)),
        skip_weekends=_flag(data, "skip_weekends", old.skip_weekends),
        max_papers=_count(data.get("max_papers", old.max_papers)),
        include_trending=_flag(data, "include_trending", old.include_trending),
        categories=_categories(_items(data, "categories", old.categories)),
        keywords=_texts(_items(data, "keywords", old.keywords, r"[\n;]"), "keyword search"),
        searches=_texts(_items(data, "searches", old.searches, r"[\n;]"), "saved search"),
        authors=_texts(_items(data, "authors", old.authors, r"[\n;]"), "author"),
        seeds=_seeds(_items(data, "seeds", old.seeds)),
    )


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _choice(value: object, allowed: tuple[str, ...], name: str) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise BadInput(f"{name} must be one of {', '.join(allowed)}.")
    return text


def _send_time(value: object) -> str:
    text = str(value).strip()
    if not _TIME.fullmatch(text):
        raise BadInput("send_time must look like 08:00 (24-hour HH:MM).")
    return text


def _timezone(value: object) -> str:
    text = str(value).strip()
    if text not in available_timezones():
        raise BadInput(f"unknown time zone {_clip(text)!r} (use a name like Europe/Berlin).")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(f"unknown time zone {_clip(text)!r}.") from exc
    return text


def _weekday(value: object) -> int:
    text = str(value).strip().lower()
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    if re.fullmatch(r"[0-6]", text):  # isdigit() also takes "²", which int() refuses
        return int(text)
    raise BadInput("weekday must be a day name (monday…sunday) or 0-6.")


def _flag(data: Mapping[str, object], name: str, default: bool) -> bool:
    if name not in data:
        return default
    value = data[name]
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no", ""):
        return False
    raise BadInput(f"{name} must be true or false.")


def _count(value: object) -> int:
    if isinstance(value, float) and value.is_integer():  # JSON's 20.0 is the whole number 20
        value = int(value)
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise BadInput(f"max_papers must be a whole number from 1 to {MAX_PAPERS}.") from exc
    if not 1 <= number <= MAX_PAPERS:
        raise BadInput(f"max_papers must be a whole number from 1 to {MAX_PAPERS}.")
    return number


def _items(
    data: Mapping[str, object], name: str, default: tuple[str, ...], split: str = r"[\n,;]"
) -> list[str]:
    if name not in data:
        return list(default)
    value = data[name]
    if value is None:
        return []
    raw = value if isinstance(value, list | tuple) else re.split(split, str(value))
    items = list(dict.fromkeys(" ".join(str(v).split()) for v in raw if str(v).strip()))
    for item in items:
        if not item.isprintable():  # control, format or lone surrogate characters
            raise BadInput(f"{name}: {_clip(ascii(item))} holds characters that are not text.")
    return items


def _texts(values: list[str], name: str) -> tuple[str, ...]:
    if len(values) > MAX_INTERESTS:
        raise BadInput(f"too many {name} entries ({MAX_INTERESTS} at most).")
    for value in values:
        if len(value) > 200:
            raise BadInput(f"{name} {_clip(value)!r} is too long (200 characters at most).")
    return tuple(values)


def _categories(values: list[str]) -> tuple[str, ...]:
    known = []
    for value in values:
        try:
            known.append(checked(value))
        except ValueError as exc:
            raise BadInput(str(exc)) from None
    return _texts(list(dict.fromkeys(known)), "category")


def _seeds(values: list[str]) -> tuple[str, ...]:
    ids = []
    for value in values:
        try:
            ids.append(parse_arxiv_id(value)[0])
        except BadArxivId as exc:
            raise BadInput(f"seed paper: {exc}") from exc
    return _texts(list(dict.fromkeys(ids)), "seed paper")
