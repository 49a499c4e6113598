"""`paperfeed serve` runs the digest schedule itself: a due digest goes out without cron."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import confirm, request_subscription
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.commands import _start_digests
from paperfeed.web.commands.serving import _start_jobs
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


def test_serve_with_its_jobs_sends_a_queued_confirmation_beside_them(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the jobs in `serve` (the default), only the pipeline's digests job sent email, after
    whatever job was ahead of it: a first embedding run of 17 minutes, or a source's retry waits,
    held a confirmation queued while the mail server was down for as long. The outbox is sent
    beside the pipeline now, here while its one job (held open) is still running."""
    from paperfeed.pipeline import Job
    from paperfeed.pipeline import schedule as pipeline_schedule

    running, release = threading.Event(), threading.Event()

    def long_job(_ctx: object) -> dict[str, object]:
        running.set()
        release.wait(60)
        return {}

    monkeypatch.setattr(
        pipeline_schedule, "registry", lambda: [Job("embed", long_job, "a long embedding run")]
    )
    with smtp_sink() as sink:
        down = sqlite_settings.model_copy(
            update={"smtp_port": _free_port(), "secret_key": "d" * 32, "digest_retry_delay": 0.0}
        )
        engine = open_store(down)
        queued = request_subscription(engine, down, SmtpMailer(down), "late@example.org", {})
        assert queued is not None and queued.status != "sent"
        s = down.model_copy(
            update={"smtp_port": sink.port, "digest_scheduler_interval": 0.2, "digest_send_rate": 0}
        )
        stop = _start_jobs(s, True)
        try:
            assert running.wait(60), "the pipeline's job did not start"
            deadline = time.monotonic() + 60
            while not sink.to("late@example.org") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert running.is_set() and not release.is_set()  # the job was still running
            [mail] = sink.to("late@example.org")
            assert "confirm?token=" in str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        finally:
            release.set()
            stop()
            engine.dispose()
    with_no_digests = _start_jobs(s, False)  # --no-digests: no email from this process
    try:
        assert "mail" not in {t.name for t in threading.enumerate()}
    finally:
        with_no_digests()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
