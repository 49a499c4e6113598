"""SMTP chaos: a loopback server failing ~30 % of commands (4xx, dropped connections,
timeouts) and refusing some mail for good (5xx), plain, over STARTTLS and over TLS."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperfeed.settings import Settings
from paperfeed.util import tls_context
from tests.digest_support import copy_newest_papers, free_port
from tests.smtp_chaos import (
    BOUNCE,
    Certificate,
    Chaos,
    chaos_server,
    make_certificate,
    run_scenario,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _settings(base: Settings, port: int, tls: str = "none") -> Settings:
    return base.model_copy(
        update={
            "smtp_port": port,
            "smtp_tls": tls,
            "secret_key": "c" * 32,
            "digest_send_rate": 0,
            "digest_retry_delay": 0,
            "digest_max_attempts": 20,
        }
    )


def _check(outcome_rows: list[dict[str, object]], delivered: list[tuple[str, str, str]]) -> None:
    """Every message delivered exactly once or failed with its reason; one digest a period."""
    copies = Counter(mid for _to, mid, _kind in delivered)
    twice = [r for r in outcome_rows if copies[str(r["message_id"])] > 1]
    assert copies and not twice, twice  # no message reached the server twice
    for row in outcome_rows:
        assert row["status"] in ("sent", "failed", "dropped", "empty"), row
        got = copies[str(row["message_id"])]
        if row["status"] == "sent":
            assert got == 1, row
        elif row["status"] == "failed":
            assert got == 0 and str(row["last_error"]).strip(), row
            if str(row["recipient"]).startswith(BOUNCE):
                assert str(row["last_error"]).startswith("550"), row
    digests = Counter(to for to, _mid, kind in delivered if kind == "digest")
    assert digests and max(digests.values()) == 1  # nobody got two copies of the period
    periods = Counter((r["recipient"], r["period"]) for r in outcome_rows)
    assert max(periods.values()) == 1


@pytest.mark.slow
def test_every_message_is_delivered_once_or_failed_with_its_reason(
    settings: Settings, engine: Engine, demo_settings: Settings
) -> None:
    copy_newest_papers(demo_settings, engine, 1)
    port = free_port()
    addresses = [f"reader{i}@example.org" for i in range(24)] + [
        f"{BOUNCE}{i}@example.org" for i in range(3)
    ]
    with chaos_server(Chaos(seed=11), port) as chaos:
        outcome = run_scenario(engine, _settings(settings, port), chaos, addresses, NOW)
    _check(outcome.rows, outcome.delivered)
    figures = outcome.table()
    faults = sum(chaos.faults[k] for k in ("451", "drop", "stall"))
    assert faults >= 0.15 * chaos.commands  # the server really misbehaved
    assert chaos.faults["drop"] and chaos.faults["stall"] and chaos.faults["451"]
    outcome_counts = figures["outcome"]
    assert isinstance(outcome_counts, dict)
    assert outcome_counts.get("confirm failed", 0) >= 3  # the bounces, refused for good
    assert outcome_counts.get("digest sent", 0) >= 15


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    made = make_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("the openssl command is not installed")
    return made


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_paths_under_chaos(
    tls: str,
    sqlite_settings: Settings,
    demo_settings: Settings,
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from paperfeed.store import open_store

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))  # trust the throwaway CA
    tls_context.cache_clear()  # the process's trusted certificates, loaded again with it
    request.addfinalizer(tls_context.cache_clear)  # and without it after
    engine = open_store(sqlite_settings)
    copy_newest_papers(demo_settings, engine, 1)
    port = free_port()
    addresses = [f"tls{i}@example.org" for i in range(6)] + [f"{BOUNCE}@example.org"]
    chaos = Chaos(seed=5, transient=0.1, drop=0.05, stall=0.05, permanent=0.0)
    with chaos_server(chaos, port, tls, certificate):
        outcome = run_scenario(engine, _settings(sqlite_settings, port, tls), chaos, addresses, NOW)
    engine.dispose()
    _check(outcome.rows, outcome.delivered)
    sent = Counter(kind for _to, _mid, kind in outcome.delivered)
    assert sent == {"confirm": 6, "digest": 6}


def test_an_untrusted_certificate_never_fails_a_message(
    sqlite_settings: Settings, certificate: Certificate, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from paperfeed.digest.deliver import SmtpMailer, deliver_due
    from paperfeed.digest.subscribe import request_subscription
    from paperfeed.store import digests as db
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    port = free_port()
    chaos = Chaos(transient=0, drop=0, stall=0, permanent=0)
    with chaos_server(chaos, port, "ssl", certificate):
        s = _settings(sqlite_settings, port, "ssl").model_copy(update={"digest_max_attempts": 2})
        row = request_subscription(engine, s, SmtpMailer(s), "who@example.org", {})
        for _ in range(3):  # more passes than attempts allowed: a failed handshake never counts
            deliver_due(engine, s, SmtpMailer(s))
    assert row is not None and row.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in str(row.last_error)
    with engine.connect() as conn:
        assert conn.execute(select(db.outbox.c.status, db.outbox.c.attempts)).one() == (
            "pending",
            0,
        )
    engine.dispose()
    assert chaos.delivered == []


def test_a_server_slow_to_take_a_message_gets_it_once(
    sqlite_settings: Settings, demo_settings: Settings
) -> None:
    """Giving up on the reply to DATA too early makes the retry a second copy (RFC 5321 asks
    clients to wait 10 minutes for it); other commands keep their short timeout."""
    from paperfeed.store import open_store

    engine = open_store(sqlite_settings)
    copy_newest_papers(demo_settings, engine, 1)
    port = free_port()
    chaos = Chaos(transient=0, drop=0, stall=0, permanent=0, slow=1.0, stall_seconds=1.0)
    with chaos_server(chaos, port):
        s = _settings(sqlite_settings, port)
        outcome = run_scenario(engine, s, chaos, ["slow@example.org"], NOW)
    engine.dispose()
    _check(outcome.rows, outcome.delivered)
    assert [r["attempts"] for r in outcome.rows] == [1, 1]  # confirmation and digest
