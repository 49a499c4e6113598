"""Small defects the last round's notes left: addresses in logs, private feed links, empty
author lines, claim emails' width, follow removal, unlisted caching, rating pages, bidi marks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlalchemy import select
from starlette.types import Scope

from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.subscribe import request_subscription
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.digest_tables import outbox
from paperfeed.web.access import log_target
from tests.digest_support import free_port


class NamesTheAddress:
    """An SMTP server that refuses every recipient, naming the address in its reply."""

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@contextmanager
def _refusing(port: int) -> Iterator[None]:
    controller = Controller(NamesTheAddress(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def test_delivery_log_lines_mask_the_address_the_store_keeps_it(
    sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_store(sqlite_settings)
    port = free_port()
    update = {"smtp_host": "127.0.0.1", "smtp_port": port, "secret_key": "c" * 32}
    s = sqlite_settings.model_copy(update=update | {"digest_send_rate": 0})
    with _refusing(port), caplog.at_level(logging.DEBUG, "paperfeed"):
        row = request_subscription(engine, s, SmtpMailer(s), "ada.lovelace@example.org", {})
    assert row is not None and row.status == "failed"
    lines = [r.getMessage() for r in caplog.records]
    assert any("could not deliver" in line for line in lines), lines
    assert not [line for line in lines if "ada.lovelace@" in line], lines
    (line,) = [line for line in lines if "could not deliver" in line]
    assert f"#{row.id} to a***@example.org, giving up: 550 5.1.1 <a***@example.org>:" in line
    with engine.connect() as conn:  # the store keeps the address and the reply as given
        stored = conn.execute(select(outbox.c.recipient, outbox.c.last_error)).one()
    engine.dispose()
    assert stored.recipient == "ada.lovelace@example.org"
    assert "<ada.lovelace@example.org>" in stored.last_error


def test_the_access_log_masks_an_address_in_a_query() -> None:
    scope: Scope = {"type": "http", "path": "/subscribe", "query_string": b"email=ada%40ex.org"}
    assert log_target(scope) == "/subscribe?email=a***%40ex.org"
    scope["query_string"] = b"q=graph&email=bob@example.org&page=2"
    assert log_target(scope) == "/subscribe?q=graph&email=b***@example.org&page=2"
