"""A saved search in a digest brings what the site's own search finds over the same days."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due, window
from paperfeed.digest.subscribe import confirm, find_by_email, request_subscription
from paperfeed.search import SearchService
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from tests.digest_support import Sink

QUERY = "graph neural networks"


def test_weekly_saved_search_matches_the_sites_search(
    demo_settings: Settings, tmp_path: Path, sink: Sink
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    s = demo_settings.model_copy(
        update={
            "data_dir": data,
            "smtp_port": sink.port,
            "secret_key": "g" * 32,
            "digest_send_rate": 0,
        }
    )
    engine = open_store(s)
    search = SearchService(s, engine)
    prefs = {"frequency": "weekly", "searches": [QUERY]}
    request_subscription(engine, s, SmtpMailer(s), "gnn@example.org", prefs, None, search)
    body = sink.to("gnn@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm(engine, s, body.split("confirm?token=")[1].split()[0])
    sub = find_by_email(engine, "gnn@example.org")
    with engine.connect() as conn:
        span = window(sub, db.latest_listing_day(conn))  # type: ignore[arg-type]
    assert span is not None and (span[1] - span[0]).days == 6
    site = search.search(QUERY, since=span[0], until=span[1], limit=20)
    assert run_due(engine, s, SmtpMailer(s), due_all=True, embeddings=search).sent == 1
    search.close()
    engine.dispose()

    digest = sink.to("gnn@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    titles = " ".join(digest.split())
    assert "Rethinking Generative Reconstruction Attacks against Graph Neural Network" in titles
    assert "PromptGNN-sim" in titles
    assert "DualBrep" not in titles
    items = re.findall(r"/papers/(\S+)", digest)
    reasons = re.findall(r"Why: (.+)", digest)
    matched = [p for p, why in zip(items, reasons, strict=True) if why.startswith("close to")]
    site_ids = [hit.id for hit in site.hits]
    # A digest of 10 papers brings the site's first 10 results for the same words and week.
    assert len(matched) == 10 and set(matched) == set(site_ids[:10])
