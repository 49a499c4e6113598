"""Digests as a mail client shows them: headers, the inbox preview, the plain text read alone,
and Gmail's clipping size; sent through a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.digest.subscriber import MAX_PAPERS, Preferences, Subscriber
from paperfeed.settings import Settings
from paperfeed.store import get_papers, open_store
from tests.digest_support import Sink, copy_newest_papers

BASE = "http://paperfeed.test"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GMAIL_CLIPS_AT = 102_000  # bytes of HTML past which Gmail shows "[Message clipped]"


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(
        update={
            "smtp_port": sink.port,
            "digest_send_rate": 0,
            "digest_retry_delay": 0,
            "secret_key": "m" * 32,
            "base_url": BASE,
            "mail_from": "Paper Feed <digests@paperfeed.test>",
        }
    )


def _mails(engine: Engine, s: Settings, sink: Sink, demo: Settings) -> tuple[EmailMessage, ...]:
    """The confirmation and the first digest of a subscriber of the newest demo day."""
    copy_newest_papers(demo, engine, 1)
    mailer = SmtpMailer(s)
    request_subscription(engine, s, mailer, "phone@example.org", {"max_papers": 8}, "127.0.0.1")
    [confirmation] = sink.to("phone@example.org")
    text = confirmation.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [url] = re.findall(rf"{BASE}/confirm\?token=\S+", text)
    confirm(engine, s, parse_qs(urlsplit(url).query)["token"][0])
    assert run_due(engine, s, mailer, due_all=True, now=NOW).sent == 1
    mailer.close()
    confirmation, digest = sink.to("phone@example.org")
    return confirmation, digest


def _html(message: EmailMessage) -> str:
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_a_digest_says_it_is_automatic_bulk_mail_and_a_confirmation_is_not_bulk(
    engine: Engine, s: Settings, sink: Sink, demo_settings: Settings
) -> None:
    """Out-of-office replies skip a digest (Precedence: bulk beside Auto-Submitted); its From
    shows a name, its Date and Message-ID are well formed, and it unsubscribes in one click."""
    confirmation, digest = _mails(engine, s, sink, demo_settings)
    assert digest["Precedence"] == "bulk" and digest["Auto-Submitted"] == "auto-generated"
    assert parseaddr(digest["From"]) == ("Paper Feed", "digests@paperfeed.test")
    assert parsedate_to_datetime(digest["Date"]) == NOW
    assert re.fullmatch(r"<[^<>@\s]+@paperfeed\.test>", digest["Message-ID"])
    assert digest["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe?token=")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert confirmation["Precedence"] is None and confirmation["List-Unsubscribe"] is None


def test_the_inbox_preview_names_the_next_papers_and_the_body_keeps_lang_and_dir(
    sqlite_settings: Settings, sink: Sink, demo_settings: Settings
) -> None:
    """Gmail drops the <html> element's attributes: the wrapper table carries lang and dir; and
    a hidden preheader, not "paperfeed" and the heading, is what the inbox list previews."""
    s = sqlite_settings.model_copy(update={"smtp_port": sink.port, "base_url": BASE})
    engine = open_store(s)
    _, digest = _mails(engine, s, sink, demo_settings)
    engine.dispose()
    html = _html(digest)
    first = re.search(r"<body[^>]*>\s*<div style=\"([^\"]*)\">([^<]*)</div>", html)
    assert first, "the body does not open with a preheader"
    assert "display:none" in first[1]
    titles = [unescape(t) for t in re.findall(r"<h2[^>]*><a [^>]*>([^<]*)</a></h2>", html)]
    shown = unescape(first[2]).split("\u034f", 1)[0]  # then a spacer ends the preview
    assert shown.startswith(f"Also: {titles[1]} · ") and len(shown) <= 140
    wrapper = re.search(r"<table [^>]*lang=\"en\" dir=\"ltr\"", html)
    assert wrapper and html.index(wrapper[0]) < html.index(f'href="{BASE}/papers/')


def test_the_plain_text_alone_says_what_each_paper_is_about_in_short_lines(
    sqlite_settings: Settings, sink: Sink, demo_settings: Settings
) -> None:
    """A reader of the text part gets each paper's snippet too, wrapped: no line but a link
    runs past 78 characters."""
    s = sqlite_settings.model_copy(update={"smtp_port": sink.port, "base_url": BASE})
    engine = open_store(s)
    _, digest = _mails(engine, s, sink, demo_settings)
    ids = re.findall(rf"^   {BASE}/papers/(\S+)$", _text(digest), re.M)
    with engine.connect() as conn:
        found = get_papers(conn, ids)
    engine.dispose()
    text = _text(digest)
    assert len(ids) == 8
    for pid in ids:
        words = " ".join(found[pid].abstract.split()[:12])
        item = text.split(f"/papers/{pid}\n", 1)[1].split("\n\n", 1)[0]
        assert " ".join(item.split()).startswith(words)  # the snippet, after the link
    long = [line for line in text.splitlines() if len(line) > 78 and "://" not in line]
    assert long == [] or all(re.match(r"^\d+\. ", line) for line in long)  # titles only


def test_a_busy_weekly_digest_stays_under_gmails_clipping_size() -> None:
    """Fifty papers (the most a digest holds) with long titles, names, snippets and searches:
    Gmail would clip a larger message, hiding its unsubscribe link at the foot."""
    s = Settings(
        secret_key="g" * 32, base_url="https://papers.research-lab.example.org/", _env_file=None
    )  # type: ignore[call-arg]
    title = ("Towards Scalable & Robust <Learning>: " + "long words " * 30)[:240]
    snippet = ("An abstract with <tags> & ampersands, " * 10)[:280] + " …"
    why = "matches your search “" + "graph neural networks for molecules " * 2 + "”"
    authors = ("Alexandra Konstantinopoulou-Smith",) * 5
    items = tuple(
        DigestItem(f"2611.{i:05d}", title, authors, "cs.LG", snippet, why, 1.0)
        for i in range(MAX_PAPERS)
    )
    prefs = Preferences(frequency="weekly", max_papers=MAX_PAPERS)
    sub = Subscriber(1234567, "busy@example.org", "confirmed", "n0nce-n0nce", prefs, user_id=9)
    links = Links(s.public_url, "g" * 32, sub.id, sub.nonce)
    digest = Digest(sub, "weekly:2026-11-23", items)
    for mail in (
        DigestRenderer(s).render(links, digest, NOW),
        render_digest(s, links, digest, NOW),
    ):
        html = _html(mail.parsed()).encode("utf-8")
        assert len(html) < GMAIL_CLIPS_AT
        assert html.count(b"&amp;r=-1") == MAX_PAPERS and b"/unsubscribe?token=" in html
