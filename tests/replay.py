"""A local HTTP server replaying recorded responses (arXiv, GitHub, Hugging Face) to tested code,
and Zotero's Web API as its documentation describes it."""

from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Reply:
    """One HTTP response to send."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/xml; charset=utf-8"  # empty: no Content-Type header


@dataclass
class Request:
    """One request the server received."""

    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


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
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Request(parts.path, params, headers)
            log.append(req)
            reply = handler(req)
            self.send_response(reply.status)
            if reply.content_type:
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


ZOTERO_KEY = "P9NiFoyLeZu2bZNvvuQPDWsd"  # the shape of a Zotero API key: 24 letters and digits


def zotero_api(libraries: dict[str, list[Any]], private: dict[str, str]) -> Handler:
    """Zotero's Web API over `libraries` (an items path such as "/users/4455/items/top" to its
    CSL-JSON items; the dict may change while served), those in `private` answering only to
    their key (403 otherwise), anything else 404; version 3 and `format=csljson` (or `keys`)
    required (400). Items are paged by `start` and `limit` (at most 100) with `Total-Results`,
    `Last-Modified-Version` and a next `Link`, as Zotero documents its paging; `format=keys`
    gives every item's key (the end of its "id"), one a line, unpaged. An item's version is
    its place in the list (the first is 1) unless it says otherwise (`"_v"`, not served), and
    one marked `"_gone": True` is one removed from the library at that version; the library's
    version is the highest, and `since=V` gives the items not removed of versions after V."""

    def answer(req: Request) -> Reply:
        wanted = req.params.get("format")
        if req.headers.get("zotero-api-version") != "3" or wanted not in ("csljson", "keys"):
            return Reply(b"Bad request", 400, content_type="text/plain")
        if req.path not in libraries:
            return Reply(b"Not found", 404, content_type="text/plain")
        if req.path in private and req.headers.get("zotero-api-key") != private[req.path]:
            return Reply(b"Forbidden", 403, content_type="text/plain")
        held = [(int(item.get("_v", n)), item) for n, item in enumerate(libraries[req.path], 1)]
        version = str(max((v for v, _item in held), default=0))
        live = [(v, item) for v, item in held if not item.get("_gone")]
        if wanted == "keys":
            keys = "".join(str(item["id"]).rsplit("/", 1)[-1] + "\n" for _v, item in live)
            headers = {"Last-Modified-Version": version}
            return Reply(keys.encode(), headers=headers, content_type="text/plain")
        since = int(req.params.get("since", 0))
        items = [
            {k: v for k, v in item.items() if not k.startswith("_")}
            for v, item in live
            if v > since
        ]
        start, limit = int(req.params.get("start", 0)), min(int(req.params.get("limit", 25)), 100)
        headers = {"Total-Results": str(len(items)), "Last-Modified-Version": version}
        if start + limit < len(items):
            headers["Link"] = f'<{req.path}?start={start + limit}&limit={limit}>; rel="next"'
        body = json.dumps({"items": items[start : start + limit]}).encode()
        return Reply(body, headers=headers, content_type="application/vnd.citationstyles.csl+json")

    return answer


def fixture_bytes(*parts: str) -> bytes:
    """Read a recorded response from tests/fixtures."""
    return FIXTURES.joinpath(*parts).read_bytes()


@dataclass
class Exchange:
    """One recorded HTTP exchange: the path and headers that were asked, and the reply."""

    path: str
    asked: dict[str, str]
    reply: Reply


# The local server sets these itself, or they described the original transfer (gzip, chunks).
_NOT_RESENT = frozenset(
    {"content-type", "content-length", "content-encoding", "transfer-encoding"}
    | {"connection", "date", "server", "status"}
)


def _reply(status: int, headers: list[tuple[str, str]], body: str) -> Reply:
    kept = {k: v for k, v in headers if k.lower() not in _NOT_RESENT}
    kind = next((v for k, v in headers if k.lower() == "content-type"), "")
    return Reply(body.encode(), status, kept, kind)


def pygithub_exchanges(*parts: str) -> list[Exchange]:
    """The exchanges of a PyGithub `tests/ReplayData/*.txt` recording, in order.

    Each is ten lines (scheme, verb, host, port, path, request headers, request body, status,
    response headers, response body) and a blank line.
    """
    lines = fixture_bytes(*parts).decode("utf-8").split("\n")
    found = []
    while len(lines) >= 10 and lines[0]:
        path, asked, status, headers, body = lines[4], lines[5], lines[7], lines[8], lines[9]
        reply = _reply(int(status), ast.literal_eval(headers), body)
        found.append(Exchange(path, ast.literal_eval(asked), reply))
        lines = lines[11:]
    return found


def http_reply(*parts: str) -> Reply:
    """A reply recorded as raw HTTP: status line, headers, blank line, body (`gh api -i`)."""
    head, _, body = fixture_bytes(*parts).decode("utf-8").partition("\n\n")
    status_line, *header_lines = head.split("\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)]
    return _reply(int(status_line.split()[1]), headers, body)


def _recorded_feed(ids: str) -> bytes | None:
    folder = FIXTURES / "arxiv-api" / "recorded-2026" / "xml"
    key = "id_" + ids.replace(",", "_").replace("/", "_") + "_s0_m100_"
    return next((p.read_bytes() for p in folder.glob(key + "*.xml")), None)


def arxiv_api_handler(req: Request) -> Reply:
    """Answer arXiv API id_list requests from the recorded 2026 responses.

    A list of ids with no recording of its own gets the recorded entries of each id spliced
    into one feed, as arXiv would answer.
    """
    ids = req.params.get("id_list", "")
    whole = _recorded_feed(ids)
    if whole is not None:
        return Reply(whole, 400 if ids == "abc" else 200)
    empty = _recorded_feed("0000.0000") or b""
    entries = [_entries(_recorded_feed(i) or b"") for i in ids.split(",")]
    return Reply(empty.replace(b"</feed>", b"".join(entries) + b"</feed>"))


def _entries(feed: bytes) -> bytes:
    return b"".join(re.findall(rb"<entry>.*?</entry>", feed, re.S))
