"""Semantic saved searches and seed papers with the real embedding model and stored vectors."""

from __future__ import annotations

import re

import numpy as np
from sqlalchemy import select

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.search import SearchService, embed_papers
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import get_papers, open_store
from tests.digest_support import copy_newest_papers, smtp_sink


def test_saved_search_is_embedded_once_and_seed_papers_match_by_meaning(
    sqlite_settings: Settings, demo_settings: Settings
) -> None:
    with smtp_sink() as sink:
        s = sqlite_settings.model_copy(
            update={"smtp_port": sink.port, "secret_key": "e" * 32, "digest_send_rate": 0}
        )
        engine = open_store(s)
        ids = copy_newest_papers(demo_settings, engine, 1, limit=24)
        assert embed_papers(s, engine) == len(ids)
        search = SearchService(s, engine)
        with engine.connect() as conn:
            found = get_papers(conn, ids)
        target, seed = found[ids[5]], found[ids[11]]
        prefs = {"searches": [target.title], "include_trending": False, "max_papers": 5}
        request_subscription(engine, s, SmtpMailer(s), "sem@example.org", prefs, None, search)
        with engine.connect() as conn:
            row = conn.execute(select(db.interests).where(db.interests.c.kind == "semantic")).one()
        stored = np.frombuffer(row.vector, dtype=np.float32)
        expected = search.embed_query(target.title)
        assert expected is not None and np.allclose(stored, expected, atol=1e-5)
        likes = {"seeds": [seed.id], "include_trending": False, "max_papers": 24}
        request_subscription(engine, s, SmtpMailer(s), "seed@example.org", likes, None, search)

        for address in ("sem@example.org", "seed@example.org"):
            mail = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
            confirm(engine, s, mail.split("confirm?token=")[1].split()[0])
        site = [h.id for h in search.search(target.title, limit=5).hits]
        assert run_due(engine, s, SmtpMailer(s), due_all=True, embeddings=search).sent == 2
        search.close()
        engine.dispose()
    text = sink.to("sem@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    items = re.findall(r"/papers/(\S+)", text)
    reasons = re.findall(r"Why: (.+)", text)
    assert items[0] == target.id and reasons[0].startswith("close to your search")
    assert items == site  # what the site's search finds for the same words, in its order

    text = sink.to("seed@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    items = re.findall(r"/papers/(\S+)", text)
    reasons = re.findall(r"Why: (.+)", text)
    assert seed.id not in items  # a seed paper is known already: never sent back
    assert items and all(r.startswith("like “") for r in reasons)
    assert len(items) < len(ids) - 1  # only papers close enough in meaning, not the whole day
