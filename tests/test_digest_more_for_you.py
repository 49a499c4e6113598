"""An account holder's digest on a huge day: For you picks take places of papers that matched
the subscriber's interests, and "…and N more" counts those too. A real listing day, a real
SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.schedule import run_due
from paperfeed.ingest.jobs import demo_files
from paperfeed.pipeline import ingest_files
from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import library as lib
from paperfeed.store.accounts import create_user
from paperfeed.store.digests import InterestRow
from tests.digest_support import Sink, daily_reader, digest_paper_ids
from tests.web_support import on_day, web_settings

DAY = date(2026, 6, 30)
_MORE = re.compile(r"…and ([\d,]+) more papers? matched your interests")


@pytest.fixture
def s(settings: Settings, sink: Sink, tmp_path: Path, engine: Engine) -> Settings:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "k" * 32}
    site = web_settings(settings.model_copy(update=update))
    listings = {p.name[:10]: p for p in demo_files()[0]}
    with gzip.open(listings[DAY.isoformat()], "rt") as handle:
        lines = handle.read().splitlines()[:120]
    path = tmp_path / f"{DAY.isoformat()}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    _report, failed = ingest_files(engine, site, "listing", [path])
    assert not failed
    embed_papers(site, engine)
    return site


def test_for_you_picks_do_not_lower_the_count_of_more(
    s: Settings, engine: Engine, sink: Sink
) -> None:
    """A reader following cs.CV who liked papers of other fields got For you picks in their
    5, and the line still said "N more" as if all 5 were cs.CV papers; N is now every cs.CV
    paper of the day the digest does not carry."""
    day = on_day(engine, DAY)
    cv = {k for k, p in day.items() if "cs.CV" in p.categories}
    liked = sorted(k for k, p in day.items() if "cs.CV" not in p.categories)[:6]
    with engine.begin() as conn:
        uid = create_user(conn, "reader", PasswordHasher().hash("a long password")).id
        for pid in liked:
            lib.set_rating(conn, uid, pid, 1)
        values = daily_reader(None) | {"email": "r@example.org", "email_key": "r@example.org"}
        sid = db.insert_subscriber(conn, values | {"max_papers": 5, "include_trending": False})
        db.replace_interests(conn, sid, [InterestRow("category", "cs.CV")])
        db.update_subscriber(conn, sid, {"user_id": uid})
    run_due(engine, s, make_mailer(s), due_all=True, now=datetime(2026, 7, 1, 9, tzinfo=UTC))
    [mail] = sink.to("r@example.org")
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    sent = set(digest_paper_ids(text))
    assert len(sent) == 5 and sent - cv, "For you picks of other fields among the 5"
    more = _MORE.search(text)
    assert more is not None, text
    assert int(more[1].replace(",", "")) == len(cv - sent)
