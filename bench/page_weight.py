"""What a reader on a slow, metered connection downloads: each page's requests and bytes.

Loads pages of a running site (e.g. `paperfeed demo --port 8818` over a fresh
PAPERFEED_DATA_DIR) in headless Chromium with the network throttled through the DevTools
protocol (default 400 kbit/s down and up, 400 ms round trip), signed in for For you, and counts
what came over the wire: requests, bytes transferred (as sent, compressed or not: headers and
body) and bytes decoded, by kind (HTML, CSS, JS, fonts, images, other). Each page is loaded twice
in the same browser, its cache emptied before the first: the second visit shows what the
browser's cache spares.

    python bench/page_weight.py --url http://127.0.0.1:8818 [--paper ID] [--day YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import CDPSession, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
_KINDS = {
    "Document": "html",
    "Stylesheet": "css",
    "Script": "js",
    "Font": "font",
    "Image": "image",
}


@dataclass
class Weight:
    """What one page load fetched over the network (requests served from memory excluded)."""

    requests: int = 0
    wire: int = 0  # bytes transferred: headers and body as sent
    decoded: int = 0  # body bytes after decompression
    wall: float = 0.0  # seconds to the load event, throttled
    paint: float = 0.0  # seconds to the first contentful paint, from the navigation's start
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Recorder:
    """Counts finished network requests of one page through the DevTools protocol."""

    def __init__(self, cdp: CDPSession) -> None:
        self.kinds: dict[str, str] = {}
        self.decoded: dict[str, int] = defaultdict(int)
        self.cached: set[str] = set()
        self.weight = Weight()
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))

    def start(self) -> None:
        self.kinds.clear(), self.decoded.clear(), self.cached.clear()
        self.weight = Weight()

    def _response(self, event: dict[str, Any]) -> None:
        self.kinds[event["requestId"]] = _KINDS.get(event.get("type", ""), "other")
        if event["response"].get("fromDiskCache") or event["response"].get("fromMemoryCache"):
            self.cached.add(event["requestId"])

    def _data(self, event: dict[str, Any]) -> None:
        self.decoded[event["requestId"]] += int(event.get("dataLength", 0))

    def _finished(self, event: dict[str, Any]) -> None:
        rid = event["requestId"]
        if rid in self.cached or rid not in self.kinds:
            return
        wire = int(event.get("encodedDataLength", 0))
        self.weight.requests += 1
        self.weight.wire += wire
        self.weight.decoded += self.decoded[rid]
        self.weight.by_kind[self.kinds[rid]] += wire


def throttle(cdp: CDPSession, kbit: int, rtt_ms: int) -> None:
    """Emulate a slow link for every request of the page."""
    cdp.send("Network.enable")
    rate = kbit * 1000 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": rtt_ms, "downloadThroughput": rate, "uploadThroughput": rate},
    )


def load(page: Page, recorder: Recorder, url: str) -> Weight:
    """One visit to `url`, counted until the network has been quiet."""
    recorder.start()
    begun = time.monotonic()
    page.goto(url, wait_until="load", timeout=300_000)
    recorder.weight.wall = time.monotonic() - begun
    page.wait_for_load_state("networkidle", timeout=300_000)
    painted = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: 0}).startTime"
    )
    recorder.weight.paint = float(painted) / 1000
    return recorder.weight


def sign_up(page: Page, base: str) -> None:
    """A fresh account through the site's form, so For you can be shown."""
    page.goto(base + "/signup")
    page.get_by_label("User name").fill("weigh-" + secrets.token_hex(4))
    page.get_by_label("Password").fill("a long password " + secrets.token_hex(4))
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state("load")


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f}"


def row(name: str, first: Weight, second: Weight) -> str:
    """One table line: a page, its first load by kind, then its second load."""
    kinds = " | ".join(_kb(first.by_kind.get(k, 0)) for k in ("html", "css", "js", "font"))
    return (
        f"| {name} | {first.requests} | {_kb(first.wire)} | {_kb(first.decoded)} | {kinds} | "
        f"{first.paint:.1f} | {first.wall:.1f} | {second.requests} | {_kb(second.wire)} |"
    )


HEADER = (
    "| page | requests | KB sent | KB decoded | html | css | js | fonts | first paint s | load s | "
    "2nd visit requests | 2nd visit KB |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8818", help="the running site")
    parser.add_argument("--paper", default="2606.19349", help="a paper whose abstract has maths")
    parser.add_argument("--day", default="2026-07-01", help="a day with papers")
    parser.add_argument("--query", default="diffusion models", help="a search")
    parser.add_argument("--kbit", type=int, default=400, help="link speed, kbit/s")
    parser.add_argument("--rtt", type=int, default=400, help="round trip, ms")
    parser.add_argument(
        "--only", nargs="*", help="pages to load (home, day, paper, search, for-you)"
    )
    args = parser.parse_args(argv)
    pages = [
        ("home", "/"),
        ("day", f"/papers/date/{args.day}"),
        ("paper (maths)", f"/papers/{args.paper}"),
        ("search", f"/search?q={args.query.replace(' ', '+')}"),
        ("For you (signed in)", "/for-you"),
    ]
    keys = ["home", "day", "paper", "search", "for-you"]
    if args.only:
        unknown = set(args.only) - set(keys)
        if unknown:
            parser.error(f"--only: unknown pages {sorted(unknown)}; known: {keys}")
        pages = [p for k, p in zip(keys, pages, strict=True) if k in args.only]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        page = context.new_page()
        sign_up(page, args.url)
        cdp = context.new_cdp_session(page)
        throttle(cdp, args.kbit, args.rtt)
        recorder = Recorder(cdp)
        print(
            f"{args.kbit} kbit/s, {args.rtt} ms round trip; {args.url}; day {args.day}, "
            f"paper {args.paper}, search {args.query!r}\n\n{HEADER}"
        )
        for name, path in pages:
            cdp.send("Network.clearBrowserCache")  # each page as a first visit to the site
            first = load(page, recorder, args.url + path)
            first.by_kind = dict(first.by_kind)
            page.goto("about:blank")
            second = load(page, recorder, args.url + path)
            print(row(name, first, second), flush=True)
        browser.close()


if __name__ == "__main__":
    main()
