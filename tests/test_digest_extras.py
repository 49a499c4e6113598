"""A digest's papers show what their cards show: "2 models · 1 dataset" (linked to the paper
page's "Code, models and data"), the code link and the repository's GitHub stars, in the HTML
and the plain text, read from a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.message import EmailMessage
from html import unescape

import pytest
from sqlalchemy import Engine, event

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.models import Paper
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import upsert_papers
from paperfeed.store.accounts import create_user
from paperfeed.store.community import add_paper_link
from paperfeed.store.enrichment import RepoFacts, save_artifacts, save_repo
from tests.digest_support import Sink, daily_reader

BASE = "http://127.0.0.1:8765/papers"  # the site served under a path
DAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
HUB = "2606.00001"  # 2 models, 1 dataset
BARE = "2606.00002"  # nothing linked
CODED = "2606.00003"  # an added code link to a repository with stars, and a demo
HOSTILE = 'https://github.com/Evil/Repo?x="><script>alert(1)</script>'


@pytest.fixture
def s(settings: Settings, sink: Sink) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "digest_retry_delay": 0}
    return settings.model_copy(update=update | {"secret_key": "k" * 32, "base_url": BASE})


def _paper(pid: str, title: str) -> Paper:
    return Paper(pid, title, "An abstract.", ("Ada Lovelace",), ("cs.LG",), listing_date=DAY)


def _fill(engine: Engine) -> None:
    papers = [_paper(HUB, "Hub paper"), _paper(BARE, "Bare paper"), _paper(CODED, "Coded <b>")]
    with engine.begin() as conn:
        upsert_papers(conn, papers)
        save_artifacts(conn, HUB, "model", [("org/<i>m1</i>", 3, 10), ("org/m2", None, None)])
        save_artifacts(conn, HUB, "dataset", [("org/data", None, None)])
        user = create_user(conn, "linker", "x").id
        add_paper_link(conn, CODED, "code", "https://github.com/Owner/Repo", user)
        add_paper_link(conn, CODED, "demo", "https://huggingface.co/spaces/o/<demo>", user)
        facts = RepoFacts("Owner/Repo", 1234, 5, "Python", "MIT", None)
        save_repo(conn, "owner/repo", facts, None, DAY)
        db.insert_subscriber(conn, daily_reader(None))


def _digest(engine: Engine, s: Settings, sink: Sink) -> EmailMessage:
    mailer = SmtpMailer(s)
    run_due(engine, s, mailer, due_all=True, now=NOW)
    mailer.close()
    [message] = sink.to("reader@example.org")
    return message


def _item(html: str, pid: str) -> str:
    """The HTML of one paper's item (from its title's link to the next item)."""
    start = html.index(f'href="{BASE}/papers/{pid}"')
    return html[start : html.find("</td></tr>", start)]


def _links(item: str) -> list[tuple[str, str]]:
    """(href, text) of the item's extras line."""
    line = re.search(r'<p class="pf-extras"[^>]*>(.*?)</p>', item)
    found = re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', line.group(1) if line else "")
    return [(unescape(href), unescape(text)) for href, text in found]


def _text_item(text: str, pid: str) -> str:
    start = text.index(f"   {BASE}/papers/{pid}\n")
    end = text.find("\n\n", start)
    return text[start:end]


def test_digest_items_show_what_cards_show(engine: Engine, s: Settings, sink: Sink) -> None:
    _fill(engine)
    message = _digest(engine, s, sink)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    to_links = f"{BASE}/papers/{{}}#links"
    assert _links(_item(html, HUB)) == [
        (to_links.format(HUB), "2 models"),
        (to_links.format(HUB), "1 dataset"),
    ]
    assert "2 models · 1 dataset" in unescape(re.sub(r"<[^>]+>", "", _item(html, HUB)))
    assert _links(_item(html, CODED)) == [
        ("https://github.com/Owner/Repo", "Code ★ 1,234"),
        (to_links.format(CODED), "1 demo"),
    ]
    assert 'class="pf-extras"' not in _item(html, BARE)
    assert _text_item(text, HUB).endswith(f"\n   2 models · 1 dataset: {to_links.format(HUB)}")
    coded = _text_item(text, CODED)
    assert "\n   Code (★ 1,234 on GitHub): https://github.com/Owner/Repo\n" in coded
    assert coded.endswith(f"\n   1 demo: {to_links.format(CODED)}")
    bare = _text_item(text, BARE)
    assert "Code" not in bare and "#links" not in bare and "★" not in bare
    assert "<i>" not in html and "<demo>" not in html and "<b>" not in html


def test_an_added_code_link_is_inert(engine: Engine, s: Settings, sink: Sink) -> None:
    _fill(engine)
    with engine.begin() as conn:
        add_paper_link(conn, BARE, "code", HOSTILE, create_user(conn, "evil", "x").id)
    message = _digest(engine, s, sink)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert _links(_item(html, BARE)) == [(HOSTILE, "Code")]  # escaped in its href, whole
    assert f"   Code: {HOSTILE}\n" in text  # plain text is inert by nature


def test_one_lookup_for_all_the_digests(engine: Engine, s: Settings, sink: Sink) -> None:
    _fill(engine)
    with engine.begin() as conn:
        for n in range(5):
            db.insert_subscriber(conn, daily_reader(None) | _reader(n))
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *_rest: object) -> None:
        if "hub_artifacts" in statement and "count(" in statement.lower():
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        mailer = SmtpMailer(s)
        run_due(engine, s, mailer, due_all=True, now=NOW)
        mailer.close()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(sink.received) == 6
    for received in sink.received:
        body = received.message.get_body(("plain",))
        assert body is not None and "2 models · 1 dataset: " in body.get_content()
    assert len(seen) == 1  # the Hub counts of every digest's papers, in one query


def _reader(n: int) -> dict[str, object]:
    address = f"reader{n}@example.org"
    return {"email": address, "email_key": address}
