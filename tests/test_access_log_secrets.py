"""The access log names no secret a link carries: signed tokens, invite links, private paths;
a request its client gave up on is logged as 499, not as a 500 nobody served."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.web.access import AccessLog, log_target


def _scope(path: str, query: str = "") -> Scope:
    return {"type": "http", "path": path, "query_string": query.encode()}


def test_an_invite_link_s_token_is_not_logged() -> None:
    target = log_target(_scope("/signup", "invite=Zx9-secret_Token&next=/"))
    assert target == "/signup?invite=[redacted]&next=/"


def test_signed_tokens_and_private_paths_stay_redacted() -> None:
    assert log_target(_scope("/confirm", "token=abc.def")) == "/confirm?token=[redacted]"
    assert log_target(_scope("/feeds/for-you/s3cr3t.atom")) == "/feeds/for-you/[redacted].atom"
    assert log_target(_scope("/c/K3y\n/copy")) == "/c/[redacted]/copy"
    followed = log_target(_scope("/api/me/followed-collections/K3y"))  # the key lets one in
    assert followed == "/api/me/followed-collections/[redacted]"


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _left_early(scope: Scope, receive: Receive, send: Send) -> None:
    """An app reading a body its client stopped sending (Starlette raises ClientDisconnect)."""
    if (await receive())["type"] == "http.disconnect":
        raise ClientDisconnect()


async def _cancelled(scope: Scope, receive: Receive, send: Send) -> None:
    raise asyncio.CancelledError()


async def _failed(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a defect")


async def _answered_after(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # the client left, the app answers all the same (a streamed file's end)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _nothing_left_to_say(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": []})
    await send({"type": "http.response.body", "body": b""})
    await receive()  # the client hangs up after an empty answer: still a 304


@pytest.mark.parametrize(
    ("app", "raised", "line"),
    [
        (_left_early, ClientDisconnect, '"GET /static/favicon.svg" 499 0'),
        (_cancelled, asyncio.CancelledError, '"GET /static/favicon.svg" 499 0'),
        (_failed, RuntimeError, '"GET /static/favicon.svg" 500 0'),
        (_answered_after, None, '"GET /static/favicon.svg" 200 2'),
        (_nothing_left_to_say, None, '"GET /static/favicon.svg" 304 0'),
    ],
)
def test_a_request_its_client_left_is_logged_as_499_and_a_failure_as_500(
    app: ASGIApp, raised: type[BaseException] | None, line: str
) -> None:
    scope: Scope = {"type": "http", "method": "GET", "path": "/static/favicon.svg"}
    scope.update(query_string=b"", client=("127.0.0.1", 5000))

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        return None

    expected = pytest.raises(raised) if raised else nullcontext()
    handler = _Kept()  # on the logger itself: `serve` stops it propagating
    records = handler.records
    access = logging.getLogger("paperfeed.access")
    access.addHandler(handler)
    level, access.level = access.level, logging.INFO
    try:
        with expected, ThreadPoolExecutor(1) as apart:  # a loop of its own: Playwright's
            # (a browser test's, in the same worker) may be running in this thread
            apart.submit(
                lambda: asyncio.run(AccessLog(app, "plain")(scope, receive, send))
            ).result()
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    [logged] = [r.getMessage() for r in records]
    assert line in logged
