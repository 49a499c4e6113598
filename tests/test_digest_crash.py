"""`paperfeed digest run` killed with SIGKILL mid-send, then rerun: every digest arrives once,
but for the messages that were in flight when it died, one per SMTP session at most
(documented in digest/deliver.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Select, select

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store import open_store
from tests.digest_support import copy_newest_papers, smtp_sink

SUBSCRIBERS = 8
SENT_BEFORE_STALL = 3


def _cli(settings: Settings, port: int, cwd: Path, sessions: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PAPERFEED_SMTP_CONNECTIONS": str(sessions),
        "PAPERFEED_DATA_DIR": str(settings.data_dir),
        "PAPERFEED_SMTP_HOST": "127.0.0.1",
        "PAPERFEED_SMTP_PORT": str(port),
        "PAPERFEED_SECRET_KEY": str(settings.secret_key),
        "PAPERFEED_DIGEST_SEND_RATE": "0",
    }
    command = [str(Path(sys.executable).parent / "paperfeed"), "digest", "run", "--due-all"]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)


def _digest_states() -> Select[tuple[str]]:
    return select(db.outbox.c.status).where(db.outbox.c.kind == "digest")


@pytest.mark.parametrize("sessions", [1, Settings.model_fields["smtp_connections"].default])
def test_sigkill_mid_send_then_rerun_delivers_each_digest_once_but_the_in_flight_one(
    sqlite_settings: Settings, demo_settings: Settings, tmp_path: Path, sessions: int
) -> None:
    with smtp_sink() as sink:
        s = sqlite_settings.model_copy(update={"smtp_port": sink.port, "secret_key": "c" * 32})
        engine = open_store(s)
        copy_newest_papers(demo_settings, engine, 1)
        addresses = [f"reader{i}@example.org" for i in range(SUBSCRIBERS)]
        for address in addresses:
            request_subscription(engine, s, SmtpMailer(s), address, {"max_papers": 3})
            body = sink.to(address)[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
            confirm(engine, s, body.split("confirm?token=")[1].split()[0])
        sink.received.clear()
        sink.stall_after = SENT_BEFORE_STALL  # takes every later digest in, then never answers

        first = _cli(s, sink.port, tmp_path, sessions)
        assert sink.stalled.wait(timeout=300), "the run never reached the stalled message"
        first.kill()  # SIGKILL: no cleanup, no finally blocks
        first.wait()
        assert first.stdout is not None
        first.stdout.close()
        with engine.connect() as conn:
            states = Counter(r.status for r in conn.execute(_digest_states()))
            sending_to = {
                r.recipient
                for r in conn.execute(
                    select(db.outbox.c.recipient).where(db.outbox.c.status == "sending")
                )
            }
        in_flight = states["sending"]
        if sessions == 1:
            assert states == {"sent": 3, "sending": 1, "pending": SUBSCRIBERS - 4}
        else:  # each session may hold one message: taken in (stalled) or accepted, unrecorded
            assert 1 <= in_flight <= sessions and states["sent"] <= SENT_BEFORE_STALL
            assert sum(states.values()) == SUBSCRIBERS and set(states) <= {
                "sent",
                "sending",
                "pending",
            }
        received_before = Counter(r.recipients[0] for r in sink.received)

        sink.stall_after = None
        sink.release.set()
        second = _cli(s, sink.port, tmp_path, sessions)
        out, _ = second.communicate(timeout=300)
        assert second.returncode == 0 and f"recovered {in_flight}" in out

        per_address = Counter(r.recipients[0] for r in sink.received)
        assert set(per_address) == set(addresses)
        twice = [a for a, n in per_address.items() if n == 2]
        # the messages in flight that had reached the server arrive twice, and no other
        assert all(n in (1, 2) for n in per_address.values()) and len(sending_to) == in_flight
        assert set(twice) == sending_to & set(received_before) and twice
        for address in twice:
            copies = sink.to(address)
            assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
        with engine.connect() as conn:
            assert {r.status for r in conn.execute(_digest_states())} == {"sent"}
        engine.dispose()
