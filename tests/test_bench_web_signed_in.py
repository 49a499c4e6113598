"""bench/web.py --signed-in: each request carries the next reader's session cookie in turn."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "web.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web_signed_in", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server() -> Iterator[tuple[int, Counter[str]]]:
    """A keep-alive HTTP server on loopback that counts the Cookie headers it is sent."""
    cookies: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            cookies[self.headers.get("Cookie", "")] += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], cookies
    httpd.shutdown()
    httpd.server_close()


def test_every_reader_is_asked_for_in_turn(server: tuple[int, Counter[str]]) -> None:
    port, cookies = server
    bench = _bench()
    readers = [f"pf_session=reader-{i}" for i in range(4)]
    bench.COOKIES.extend(readers)
    with ThreadPoolExecutor(1) as pool:  # asyncio.run wants a thread without a running loop
        stats, _wall = pool.submit(bench.load, port, ["/for-you"] * 12, 10.0, 3, True).result()
    assert len(stats.latencies) == 12 and stats.errors == 0
    assert cookies == Counter({r: 3 for r in readers})
