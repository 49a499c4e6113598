"""A message ready for the outbox: its MIME headers, checked and folded, and its two bodies."""

from __future__ import annotations

import base64
import functools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache

from paperfeed import mailwire
from paperfeed.settings import Settings

_CRLF = mailwire.CRLF


@dataclass(frozen=True)
class Mail:
    """A message ready for the outbox: its Message-ID, header lines, MIME boundary and two
    bodies (plain text and HTML, UTF-8); `wire` is its text as sent (ASCII, MIME), made
    when first asked for (the outbox keeps the `packed` form and makes it at sending)."""

    message_id: str
    head: str
    boundary: str
    bodies: tuple[bytes, bytes]

    @functools.cached_property
    def wire(self) -> str:
        """The message as sent."""
        return mailwire.wire(self.head, self.boundary, self.bodies)

    def packed(self) -> bytes:
        """The message as the outbox keeps it."""
        return mailwire.pack(self.head, self.boundary, self.bodies)

    def parsed(self) -> EmailMessage:
        """The message parsed back (for previews and checks)."""
        return message_from_string(self.wire, policy=policy.default)


def build_message(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    unsubscribe_url: str | None,
) -> Mail:
    """A multipart/alternative message; header values with line breaks are refused.

    Written out directly rather than through `email.message`, which is ~20x slower and
    dominated the cost of a 100k-subscriber run.
    """
    utf8 = text.encode("utf-8"), html.encode("utf-8")
    return _assemble(settings, to, subject, utf8, now, unsubscribe_url)


def _assemble(
    settings: Settings,
    to: str,
    subject: str,
    bodies: tuple[bytes, bytes],  # the plain-text and HTML bodies in UTF-8
    now: datetime,
    unsubscribe_url: str | None,
) -> Mail:
    message_id = make_msgid("digest", domain=sender_domain(settings))
    headers = [
        ("From", _from_header(settings.mail_from)),
        ("To", to),
        ("Subject", _encoded(subject)),
        ("Date", _date(now)),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
    ]
    if unsubscribe_url:
        headers += [
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Precedence", "bulk"),  # an automatic mailing: out-of-office replies skip it
        ]
    boundary = f"=_pf_{secrets.token_hex(12)}"
    headers += [
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    head = _CRLF.join(f"{name}: {_folded(name, _checked(value))}" for name, value in headers)
    return Mail(message_id, head, boundary, bodies)


def _checked(value: str) -> str:
    # The one guard against header injection: no header value may start a new line.
    if "\r" in value or "\n" in value or not value.isascii():
        raise ValueError(f"refusing a header value with a line break or raw non-ASCII: {value!r}")
    return value


_FOLD = "\r\n "
_LINE = 78  # RFC 5322's recommended longest header line, CRLF not counted


def _folded(name: str, value: str) -> str:
    """A header value folded at its spaces so no line passes 78 characters where it can."""
    if len(name) + 2 + len(value) <= _LINE or " " not in value:
        return value  # most headers, and each digest's own unsubscribe and message ids
    return _fold(name, value)


@lru_cache(maxsize=4096)  # long subjects repeat within a run
def _fold(name: str, value: str) -> str:
    lines: list[str] = []
    line = ""
    width = _LINE - len(name) - 2  # the first line holds "Name: " too
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line, width = word, _LINE - 1  # a continuation line starts with its space
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return _FOLD.join(lines)


@lru_cache(maxsize=4096)  # a run's subjects repeat (same lead paper, same count)
def _encoded(text: str) -> str:
    """A header value as RFC 2047 encoded-words when it is not plain ASCII."""
    if "\r" in text or "\n" in text:
        raise ValueError(f"refusing a header value with a line break: {text!r}")
    if text.isascii():
        return text
    # 11 characters are at most 44 UTF-8 bytes: each encoded-word stays under 75 characters.
    words = (text[i : i + 11].encode() for i in range(0, len(text), 11))
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _date(now: datetime) -> str:
    # Keyed by its text, offset included: equal instants in two time zones are equal
    # datetimes, and their Date headers differ. A naive time is the store's UTC (written
    # "-0000" it would say "zone unknown").
    return _date_of((now if now.tzinfo else now.replace(tzinfo=UTC)).isoformat())


@lru_cache(maxsize=4)
def _date_of(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


@lru_cache(maxsize=4)
def _from_header(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    if not address or "\n" in mail_from or "\r" in mail_from:
        raise ValueError(f"PAPERFEED_MAIL_FROM is not an address: {mail_from!r}")
    return formataddr((name, address), charset="utf-8")


def _base64_lines(body: str) -> str:
    """The body in base64, in lines of 76 characters (RFC 2045) each ending in CRLF."""
    return mailwire.base64_block(body.encode("utf-8"))


def sender_domain(settings: Settings) -> str:
    """The domain of the From address (Message-IDs use it)."""
    address = sender_address(settings)
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"


def sender_address(settings: Settings) -> str:
    """The bare envelope sender."""
    return _address(settings.mail_from)


@lru_cache(maxsize=4)
def _address(mail_from: str) -> str:
    return parseaddr(mail_from)[1] or "paperfeed@localhost"
