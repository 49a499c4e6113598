"""A mail server's refusal is logged as one line naming the outbox message, even when the server
answers over several lines (as large providers do)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import request_subscription
from paperfeed.settings import Settings
from paperfeed.store import open_store
from tests.digest_support import free_port, smtp_server

REFUSAL = (
    "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
    "550 5.1.1 Please try double-checking the recipient's email address."
)


class Refuses:
    """An SMTP server that refuses every recipient with a two-line 550 reply."""

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return REFUSAL


def test_a_multi_line_refusal_is_logged_in_one_line(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_store(sqlite_settings)
    port = free_port()
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "secret_key": "c" * 32}
    s = sqlite_settings.model_copy(update=update | {"digest_send_rate": 0})
    with smtp_server(Refuses(), port), caplog.at_level(logging.WARNING, "paperfeed.digest.deliver"):
        row = request_subscription(engine, s, SmtpMailer(s), "nobody@example.org", {})
    engine.dispose()
    assert row is not None and row.status == "failed"
    assert "\n" in str(row.last_error)  # the store keeps the reply as the server gave it
    (line,) = [r.getMessage() for r in caplog.records if "could not deliver" in r.getMessage()]
    assert f"email #{row.id} to n***@example.org, giving up: " in line, line
    assert "does not exist. 5.1.1 Please try" in line and "\n" not in line, line
