"""Papers newly put in a shared collection reach its followers' email digests, under the
collection's name with its owner's note: once each, within the digest's window, without what
the reader mutes (both databases, a real SMTP server on loopback)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update

from paperfeed.digest.compose import Digest, DigestItem
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.render import DigestRenderer, Links, render_digest
from paperfeed.digest.render import links as render_links
from paperfeed.digest.render import message as render_message
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscriber import Preferences, Subscriber, normalise_email
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import library as lib
from paperfeed.store.library import collection_items, user_collections
from paperfeed.util import utcnow
from tests.digest_support import Sink, digest_paper_ids
from tests.web_support import DAYS, client, on_day, post_form, sign_up, stored

NOW = datetime(2026, 6, 29, 12, tzinfo=UTC)
HEADING = "New in collections you follow: Reading group"
NOTE = "Read on **12 Dec**, led by Ana. <script>alert(1)</script> [x](javascript:alert(2))"


def _subscribe(engine: Engine, email: str, user_id: int) -> int:
    """A confirmed daily subscription of the account, asking for nothing else (no trending)."""
    address, key = normalise_email(email)
    values = {
        "email": address,
        "email_key": key,
        "status": "confirmed",
        "nonce": "n" * 16,
        "frequency": "daily",
        "send_time": "08:00",
        "timezone": "UTC",
        "weekday": 0,
        "skip_weekends": False,
        "max_papers": 5,
        "include_trending": False,
    }
    with engine.begin() as conn:
        sid = db.insert_subscriber(conn, values)
        db.update_subscriber(conn, sid, {"user_id": user_id})
    return sid


def _text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def _html(message: EmailMessage) -> str:
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def _section(text: str) -> list[str]:
    """The papers under the followed collection's heading of a digest's plain text."""
    if HEADING not in text:
        return []
    return digest_paper_ids(text.split(HEADING, 1)[1])


def test_a_followers_digest_carries_the_collections_new_papers_once_with_the_note(
    site: Settings, engine: Engine, sink: Sink
) -> None:
    first, second, old, later, muted = _five_papers(engine)
    s = site.model_copy(
        update={"smtp_port": sink.port, "secret_key": "d" * 32, "digest_send_rate": 0}
    )
    with client(site, engine) as lead, client(site, engine) as member:
        sign_up(lead, "lead")
        for pid in (first, second, old):
            post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        edit = {"name": group.name, "description": "", "visibility": "unlisted"}
        post_form(lead, f"/collections/{group.id}/edit", edit)
        with engine.connect() as conn:
            (group,) = user_collections(conn, 1)
        post_form(lead, f"/c/{group.share_key}/note", {"paper_id": first, "note": NOTE})
        with engine.begin() as conn:  # put in the list long before: outside any digest's window
            at = utcnow() - timedelta(days=20)
            where = (collection_items.c.collection_id == group.id) & (
                collection_items.c.paper_id == old
            )
            conn.execute(update(collection_items).where(where).values(added_at=at))
        sign_up(member, "member")
        post_form(member, f"/c/{group.share_key}/follow", {"follow": "1"})
        _subscribe(engine, "member@example.org", 2)
        outsider = _subscribe(engine, "outsider@example.org", 2)  # another of the same account
        with engine.begin() as conn:
            db.update_subscriber(conn, outsider, {"user_id": None})  # ... no longer linked

        assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW).sent == 1
        (mail,) = sink.to("member@example.org")
        text, html = _text(mail), _html(mail)
        assert f"{HEADING}\n{'-' * len(HEADING)}\n" in text
        assert _section(text) == [second, first]  # the newest addition first; not the old one
        under_first = text.split(f"/papers/{first}", 1)[0].rsplit(f"/papers/{second}", 1)[1]
        assert "Note: Read on 12 Dec, led by Ana." in " ".join(under_first.split())
        assert f">{HEADING}</h2>" in html and "<strong>12 Dec</strong>" in html
        assert "<script>alert" not in html and 'href="javascript:' not in html
        assert sink.to("outsider@example.org") == []  # no account: no followed collections

        # The next day: what was sent is not sent again; a paper added since is, without the
        # muted one (the reader mutes one of its categories).
        cat = stored(engine)[muted].categories[0]
        assert cat not in stored(engine)[later].categories
        with engine.begin() as conn:
            lib.add_interest(conn, 2, "mute", "category", cat, cat)
        for pid in (muted, later):
            post_form(lead, f"/papers/{pid}/save", {"collection": "Reading group", "next": "/"})
        assert run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW + timedelta(days=1)).sent
        assert _section(_text(sink.to("member@example.org")[-1])) == [later]

        # Nothing new since: no third digest (an empty one is recorded, never sent).
        run_due(engine, s, SmtpMailer(s), due_all=True, now=NOW + timedelta(days=2))
        assert len(sink.to("member@example.org")) == 2


def _five_papers(engine: Engine) -> list[str]:
    """Five papers of a day, the last with a category the fourth lacks (to be muted)."""
    day = on_day(engine, DAYS[0])
    ids = sorted(day)
    first, second, old, later = ids[:4]
    muted = next(p for p in ids[4:] if day[p].categories[0] not in day[later].categories)
    return [first, second, old, later, muted]


@pytest.fixture(autouse=True)
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens, Message-IDs and MIME boundaries that do not change between two renderings."""
    monkeypatch.setattr(
        render_links, "make_token", lambda _s, scope, sid, nonce: f"{scope}.{sid}.{nonce}"
    )
    monkeypatch.setattr(
        render_links,
        "make_tokens",
        lambda _s, scopes, sid, nonce: [f"{scope}.{sid}.{nonce}" for scope in scopes],
    )
    monkeypatch.setattr(render_message, "make_msgid", lambda *_a, **_k: "<fixed@p.example>")
    monkeypatch.setattr(render_message.secrets, "token_hex", lambda n: "5a" * n)


SETTINGS = Settings(secret_key="r" * 32, base_url="https://p.example/", _env_file=None)  # type: ignore[call-arg]
RENDERER = DigestRenderer(SETTINGS)  # shared: its parts carry over between examples
PIECES = ["a", " ", "<", ">", "&", '"', "é", "$x^2$", "**", "[l](/users/x)", "\n\n", "<b>"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
ITEMS = st.builds(
    DigestItem,
    paper_id=st.sampled_from(["2611.00001", "2611.00002", "2611.0000<3>"]),
    title=TRICKY.filter(lambda t: bool(t.strip())),
    authors=st.just(("Ana Lee",)),
    category=st.just("cs.LG"),
    snippet=TRICKY,
    why=TRICKY,
    score=st.just(1.0),
    section=st.sampled_from(["", HEADING, "New in collections you follow: <b>&" + "x" * 80]),
    note=TRICKY,
)

REVISED = st.lists(st.tuples(TRICKY, st.integers(1, 3), st.just("/c/k<1>")), max_size=2)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(ITEMS, max_size=5), user=st.sampled_from([None, 5]), revised=REVISED)
def test_a_digest_with_sections_and_notes_is_assembled_as_the_templates_render_it(
    items: list[DigestItem], user: int | None, revised: list[tuple[str, int, str]]
) -> None:
    sub = Subscriber(7, "r@example.org", "confirmed", "n0nce", Preferences(), user_id=user)
    # New versions in followed collections: after the papers, or alone (a digest of them only).
    digest = Digest(sub, "daily:x", tuple(items), revised=tuple(revised))
    links = Links(SETTINGS.public_url, "k", 7, sub.nonce)
    mail = RENDERER.render(links, digest, NOW)
    assert mail.wire == render_digest(SETTINGS, links, digest, NOW).wire
    text = _text(mail.parsed())
    headings = [i.section for n, i in enumerate(items) if i.section and (
        n == 0 or items[n - 1].section != i.section)]  # fmt: skip
    assert len(re.findall(r"^New in collections you follow:", text, re.M)) == len(headings)
    assert "<b>" not in _html(mail.parsed()).split("</h1>", 1)[1].replace("&lt;b&gt;", "")
