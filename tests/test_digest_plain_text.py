"""A digest's text/plain part as a text-only reader (mutt, a watch, a screen reader) gets it:
lines of 72 columns, wrapped titles and reasons indented under themselves, links whole on
their own lines, and no empty line for a paper that names no authors and no category."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.digest.subscriber import Preferences, Subscriber
from paperfeed.latex import plain
from paperfeed.settings import Settings
from paperfeed.store import get_papers
from tests.digest_support import Sink, copy_newest_papers, digest_paper_ids, digest_reasons

# Each test renders a message twice and compares: its tokens are signed in one second.
pytestmark = pytest.mark.usefixtures("still_token_clock")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SETTINGS = Settings(secret_key="t" * 32, base_url="https://p.example/", _env_file=None)
LONG_TITLE = (
    "Scaling Laws for Sparse Mixture-of-Experts Language Models Trained on Multilingual "
    "Scientific Corpora with Curriculum Data Selection"
)
LONG_WHY = (
    "matches your search “retrieval augmented generation for long context question answering "
    "over scientific papers”"
)


def _text(items: tuple[DigestItem, ...], user: int | None = None) -> str:
    """The plain text of a digest of these items; both renderers give the same bodies."""
    sub = Subscriber(3, "t@example.org", "confirmed", "n", Preferences(), user_id=user)
    digest = Digest(sub, "daily:x", items)
    links = Links("https://p.example", "k", 3, "n")
    fast = DigestRenderer(SETTINGS).render(links, digest, NOW)
    assert fast.bodies == render_digest(SETTINGS, links, digest, NOW).bodies
    text = fast.parsed().get_body(("plain",)).get_content()
    return str(text)


def _long_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 72 and "://" not in line]


def test_a_long_title_and_reason_wrap_at_72_columns_indented_under_themselves() -> None:
    """Before, a title and a "Why:" line ran to 120 characters on one line."""
    item = DigestItem("2611.00001", LONG_TITLE, ("Ada", "Bo"), "cs.CL", "s", LONG_WHY, 1.0)
    text = _text((item,) * 12, user=9)  # the 10th to 12th have two-digit numbers
    assert _long_lines(text) == []
    lines = text.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("1. ")))
    title = lines[first : lines.index("   Ada, Bo · cs.CL", first)]
    assert len(title) == 2 and title[1].startswith("   ") and not title[1].startswith("    ")
    assert " ".join(" ".join(title)[3:].split()) == LONG_TITLE
    why = next(i for i, line in enumerate(lines) if line.startswith("   Why: "))
    assert lines[why + 1].startswith("        ") and lines[why + 2].startswith("   https://")
    assert digest_reasons(text) == [LONG_WHY] * 12
    assert digest_paper_ids(text) == ["2611.00001"] * 12
    # Links are whole, each on its own line or after its label.
    assert text.count("\n   https://p.example/papers/2611.00001\n") == 12
    assert len(re.findall(r"^   More like this: https://\S+&r=1$", text, re.M)) == 12
    assert all(len(line) <= 72 for line in lines if line.startswith("10. "))


def test_a_paper_without_authors_or_category_leaves_no_empty_line() -> None:
    bare = DigestItem("2611.2", "Untitled notes", (), "", "A short snippet.", "trending", 0.5)
    only_category = DigestItem("2611.3", "Category only", (), "cs.AI", "s", "trending", 0.4)
    text = _text((bare, only_category))
    assert "1. Untitled notes\n   Why: trending\n   https://p.example/papers/2611.2\n" in text
    assert "2. Category only\n   cs.AI\n   Why: trending\n" in text
    assert not re.search(r"^ +$", text, re.M)


def test_a_real_days_digest_read_as_plain_text(
    engine: Engine, settings: Settings, sink: Sink, demo_settings: Settings
) -> None:
    """The newest demo day sent through a real SMTP server, with a long saved keyword: no line
    but a link passes 72 columns, and each title reads whole when its lines are joined."""
    s = settings.model_copy(
        update={"smtp_port": sink.port, "secret_key": "p" * 32, "base_url": "http://p.test"}
    )
    copy_newest_papers(demo_settings, engine, 1)
    mailer = SmtpMailer(s)
    prefs = {"max_papers": 50, "keywords": "language models"}
    request_subscription(engine, s, mailer, "mutt@example.org", prefs, "127.0.0.1")
    body = sink.to("mutt@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm(engine, s, body.split("confirm?token=")[1].split()[0])
    assert run_due(engine, s, mailer, due_all=True, now=NOW).sent == 1
    mailer.close()
    text = str(sink.to("mutt@example.org")[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
    ids = digest_paper_ids(text)
    with engine.connect() as conn:
        found = get_papers(conn, ids)
    assert len(ids) > 10 and _long_lines(text) == []
    assert not re.search(r"^ +$", text, re.M)
    wrapped = 0
    for n, pid in enumerate(ids, 1):
        head = text.split(f"\n{n}. ", 1)[1].split("\n   ", 1)[0]
        block = text.split(f"\n{n}. ", 1)[1].split(f"/papers/{pid}\n", 1)[0]
        lines = [head] + [line[3:] for line in block.splitlines()[1:]]
        title = " ".join(plain(found[pid].title).split())  # as the email shows it
        assert " ".join(lines).startswith(title), (lines, title)
        wrapped += len(title) + len(str(n)) + 2 > 72
    assert wrapped  # the day has titles longer than a line
