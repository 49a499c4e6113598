"""A local HTTP server that replays recorded responses (arXiv, Hugging Face) to the code under test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Reply:
    """One HTTP response to send."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"


@dataclass
class Request:
    """One request the server received."""

    path: str
    params: dict[str, str]


Handler = Callable[[Request], Reply]


@dataclass
class ReplayServer:
    """Where the server listens and what it was asked."""

    url: str
    requests: list[Request]


@contextmanager
def replay(handler: Handler) -> Iterator[ReplayServer]:
    """Serve `handler`'s replies on 127.0.0.1 for the duration of the block."""
    log: list[Request] = []

    class _H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            req = Request(parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()})
            log.append(req)
            reply = handler(req)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ReplayServer(f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()


def fixture_bytes(*parts: str) -> bytes:
    """Read a recorded response from tests/fixtures."""
    return FIXTURES.joinpath(*parts).read_bytes()


def arxiv_api_handler(req: Request) -> Reply:
    """Answer arXiv API id_list requests from the recorded 2026 responses."""
    ids = req.params.get("id_list", "")
    folder = FIXTURES / "arxiv-api" / "recorded-2026" / "xml"
    key = "id_" + ids.replace(",", "_").replace("/", "_") + "_s0_m100_"
    for path in folder.glob(key + "*.xml"):
        status = 400 if ids == "abc" else 200
        return Reply(path.read_bytes(), status)
    return Reply(fixture_bytes("arxiv-api", "recorded-2026", "xml", "id_0000.0000_s0_m100_8b51d9633a68.xml"))
