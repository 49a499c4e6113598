"""A backup an earlier version made restores into this one, and what it issued still works.

The fixture is a real `paperfeed backup` of a PostgreSQL store made by the version at schema
0010 (a year before): a listing of 2026-06-29 holding an old paper (2411.19594) and a new one,
an OAI-PMH harvest of three records (1412.8323 new, submitted 2026-12-03), an account `ada`
who saved a paper and commented, and a confirmed digest subscriber who was sent one digest.
The session, API token and unsubscribe link below are what that version gave out.
"""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import Engine, select, text, update

from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import sessions
from paperfeed.store.backup import BackupError, restore
from paperfeed.store.tables import papers
from tests.web_support import client, web_settings

FIXTURE = Path(__file__).parent / "fixtures" / "backups" / "paperfeed-0010-postgresql.dump.gz"
SECRET = "k" * 40  # the old install's key: its links and tokens are signed with it
SENT = datetime(2026, 12, 5, 8, 14, tzinfo=UTC)  # when the old version sent the digest
SESSION = "7elXgX27pNzApPwQNmU0_StY3gi1RmGUHv65DX-A3QI"
TOKEN = "6CTRBFsleGdiiQwfvJj_kkn1kWw1aQ6wch4Q-1jhxRA"
UNSUBSCRIBE = "/unsubscribe?token=WzEsIjFhMThmMzI4NGU3MDJkNzkiXQ.axPHxw.liJ_lNWzMlK8SD02H00F3iYHyJ8"
DAYS = {  # as this version dates them (migrations 0021 and 0031 ran on the restored data)
    "1412.8323": date(2026, 12, 4),  # submitted Thursday 2026-12-03, announced for Friday
    # papers of 2015 and 2016 in the harvest: migration 0031 gives them their first listing day
    "1507.07790": date(2015, 7, 29),
    "1607.01710": date(2016, 7, 7),
    "2411.19594": None,  # an old paper the listing re-announced
    "2606.27531": date(2026, 6, 29),
}


def test_a_postgresql_backup_of_an_earlier_version_restores_and_its_links_still_work(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = web_settings(settings).model_copy(
        update={"secret_key": SECRET, "base_url": "http://testserver"}
    )
    copied = restore(engine, FIXTURE)
    assert copied["papers"] == 5 and copied["users"] == 1 and copied["comments"] == 1
    with engine.begin() as conn:
        query = select(papers.c.id, papers.c.listing_date)
        days: dict[str, date | None] = {r.id: r.listing_date for r in conn.execute(query)}
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        # The fixture is dated: its sign-ins are moved to now, as if made today.
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(update(sessions).values(created_at=now, expires_at=now + timedelta(days=9)))
    assert days == DAYS and version == max(_revisions())
    # Its unsubscribe link is checked on a day within its life (400 days from sending).
    day_after = int((SENT + timedelta(days=1)).timestamp())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: day_after)
    with client(site, engine) as c:
        c.cookies.set("pf_session", SESSION)
        library = c.get("/library")
        assert library.status_code == 200 and "1412.8323" in library.text and "ada" in library.text
        c.cookies.clear()
        mine = c.get("/api/me/library", headers={"Authorization": f"Bearer {TOKEN}"})
        assert mine.status_code == 200 and mine.json()[0]["paper"]["id"] == "1412.8323"
        assert c.get(UNSUBSCRIBE).status_code == 200
        left = c.post(UNSUBSCRIBE, data={"List-Unsubscribe": "One-Click"})
        assert left.status_code == 200, left.text
    with engine.connect() as conn:
        row = db.find_subscriber(conn, "lab@example.org")
    assert row is not None and row["status"] == "unsubscribed"


def _revisions() -> list[str]:
    folder = Path(__file__).parent.parent / "src" / "paperfeed" / "store" / "migrations"
    return [p.name[:4] for p in (folder / "versions").glob("0*.py")]


def test_a_backup_of_a_newer_version_is_refused_with_what_to_do(
    engine: Engine, tmp_path: Path
) -> None:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as old:
        lines = old.readlines()
    lines[0] = lines[0].replace('["0010"]', '["9999"]')
    newer = tmp_path / "newer.dump.gz"
    with gzip.open(newer, "wt", encoding="utf-8") as out:
        out.writelines(lines)
    with pytest.raises(BackupError, match=r"made by a newer paperfeed.*restore it with that"):
        restore(engine, newer)
