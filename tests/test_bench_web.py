"""bench/web.py's load generator: a distinct scenario asks each path once; repeats are counted."""

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
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "web.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_web", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server() -> Iterator[tuple[int, Counter[str]]]:
    """A keep-alive HTTP server on loopback that counts the paths it is asked for."""
    asked: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            asked[self.path] += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], asked
    httpd.shutdown()
    httpd.server_close()


def _load(port: int, paths: list[str], seconds: float, connections: int, **kw: bool) -> Any:
    """The bench's `load` in a thread of its own: its `asyncio.run` needs a thread without a
    running event loop (Playwright's sync API leaves one in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_bench().load, port, paths, seconds, connections, **kw).result()


def test_distinct_paths_are_asked_once_and_the_run_ends(
    server: tuple[int, Counter[str]],
) -> None:
    port, asked = server
    paths = [f"/q/{i}" for i in range(40)]
    stats, _wall = _load(port, paths, 10.0, 4, distinct=True)
    assert asked == Counter({p: 1 for p in paths})
    assert len(stats.latencies) == 40 and stats.repeated == 0 and stats.errors == 0


def test_repeats_are_counted_when_paths_may_repeat(server: tuple[int, Counter[str]]) -> None:
    port, asked = server
    paths = ["/a", "/b", "/c"]
    stats, _wall = _load(port, paths, 0.5, 2)
    total = sum(asked.values())
    assert total == len(stats.latencies) > len(paths)
    assert stats.repeated == total - len(paths)
