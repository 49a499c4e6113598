"""The demo's mailbox: the messages a demo without a mail server "sent", ready to read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string, policy
from email.message import EmailMessage
from html import escape
from urllib.parse import urlsplit

from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.store import digests as db

_LINK = re.compile(r"https?://[^\s<>\"]+")
_SENTENCE_END = ".,;:!?'"  # "…subscribed at http://host/." links http://host/, not the "."


@dataclass(frozen=True)
class Letter:
    """One message as the mailbox page shows it: headers and its text cut around its links."""

    recipient: str
    subject: str
    kind: str
    queued: datetime | None
    parts: tuple[tuple[str, str | None], ...]  # (text, href or None)
    html: str | None = None  # the HTML part, its links to this site relative and opening here


def read_mailbox(engine: Engine, settings: Settings, limit: int = 50) -> list[Letter]:
    """The newest messages kept in the mailbox, newest first."""
    with engine.connect() as conn:
        rows = db.sent_messages(conn, limit)
    return [_letter(row, settings.public_url) for row in rows]


def _letter(row: db.OutboxRow, site: str) -> Letter:
    message = message_from_string(row.message, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage objects
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    subject = str(message["Subject"] or "(no subject)")
    html = message.get_body(("html",))
    shown = _html_here(str(html.get_content()), site) if html is not None else None
    return Letter(row.recipient, subject, row.kind, row.created_at, _parts(text, site), shown)


def _html_here(html: str, site: str) -> str:
    """An email's HTML as the mailbox frames it: links to this site relative (they open at the
    address the mailbox was reached at) and every link opening in the page, not the frame."""
    here = re.escape(escape(site.rstrip("/")))
    root = escape(urlsplit(site).path.rstrip("/"))  # the path the site is served under, if any
    html = re.sub(rf'href="{here}(?=[/"?#])/?', lambda _: f'href="{root}/', html)
    return re.sub(r"<a\b", '<a target="_top"', html)


def _parts(text: str, site: str) -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    last = 0
    for match in _LINK.finditer(text):
        out.append((text[last : match.start()], None))
        url = _without_punctuation(match.group(0))
        # Links to this site open here, whichever address the mailbox was reached at.
        here = url == site or url.startswith(site + "/")
        href = (url[len(site) :] or "/") if here else url
        out.append((url, href))
        last = match.start() + len(url)
    out.append((text[last:], None))
    return tuple(out)


def _without_punctuation(url: str) -> str:
    """The URL without the punctuation of the sentence around it (a closing parenthesis too,
    unless the URL opened it, as in https://en.wikipedia.org/wiki/Set_(mathematics))."""
    while url[-1] in _SENTENCE_END or (url[-1] == ")" and url.count(")") > url.count("(")):
        url = url[:-1]
    return url
