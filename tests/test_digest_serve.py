"""`paperfeed serve` runs the digest schedule itself: a due digest goes out without cron."""

from __future__ import annotations

import time

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.commands import _start_digests
from tests.digest_support import copy_newest_papers, smtp_sink


def test_serve_sends_due_digests_on_schedule(
    sqlite_settings: Settings, demo_settings: Settings
) -> None:
    with smtp_sink() as sink:
        s = sqlite_settings.model_copy(
            update={
                "smtp_port": sink.port,
                "secret_key": "d" * 32,
                "digest_scheduler_interval": 0.2,
                "digest_send_rate": 0.0,
            }
        )
        engine = open_store(s)
        copy_newest_papers(demo_settings, engine, 1)
        prefs = {"max_papers": 3, "send_time": "00:00", "skip_weekends": False}
        request_subscription(engine, s, SmtpMailer(s), "early@example.org", prefs)
        body = sink.to("early@example.org")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        confirm(engine, s, body.split("confirm?token=")[1].split()[0])
        sink.received.clear()

        stop = _start_digests(s)
        deadline = time.monotonic() + 120
        while not sink.to("early@example.org") and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # several more scheduler rounds: the period must not be sent again
        stop()
        digests = sink.to("early@example.org")
        engine.dispose()
    assert len(digests) == 1
    assert digests[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
