"""A first visitor's crawl: every kind of page linked from the home page, signed out and in."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

from tests.browser.conftest import LiveSite, sign_up

_ID_SEGMENTS = (
    (re.compile(r"\d{4}\.\d{4,5}(v\d+)?|local-[0-9a-f]+"), "<paper>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-W\d{2}|\d{4}-\d{2}"), "<period>"),
    (re.compile(r"\d+"), "<n>"),
)
_NAMED = {"authors", "users", "categories", "c", "avatars", "author", "category", "follow"}
_MAX_PAGES = 90  # a bound, not a target: the demo has about 60 kinds of page


def _pattern(url: str) -> str:
    """The route a link follows: ids, dates and names replaced, query keys kept."""
    parts = urlsplit(url)
    segments: list[str] = []
    for segment in parts.path.split("/"):
        for shape, name in _ID_SEGMENTS:
            if shape.fullmatch(segment.removesuffix(".md")):
                segment = name
                break
        else:
            if segments and segments[-1] in _NAMED:
                segment = "<name>" + segment[segment.rfind(".") :] if "." in segment else "<name>"
        segments.append(segment)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return "/".join(segments) + "?" + "&".join(keys)


class _Crawl:
    """What went wrong while a browser followed the site's own links."""

    def __init__(self, page: Page, site: str) -> None:
        self.page, self.site, self.problems = page, site, list[str]()
        self.current = ""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{self.current}: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"{self.current}: console {message.type}: {message.text}")

    def _failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # cut short by the next page (a late favicon); a missing file answers 404
        self.problems.append(f"{self.current}: {request.url} failed ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{self.current}: {response.url} answered {response.status}")

    def run(self, start: str) -> set[str]:
        """Visit one page of each route reachable from `start`; the routes seen."""
        queue, seen = deque([self.site + start]), set[str]()
        while queue and len(seen) < _MAX_PAGES:
            url = queue.popleft()
            if _pattern(url) in seen:
                continue
            seen.add(_pattern(url))
            queue.extend(self._visit(url))
        return seen

    def _visit(self, url: str) -> list[str]:
        answer = self.page.context.request.get(url)
        if answer.status >= 400:
            self.problems.append(f"{url} answered {answer.status}")
        if "text/html" not in answer.headers.get("content-type", ""):
            return []
        self.current = url
        self.page.goto(url)
        self._check_page(url)
        return self._local_links(url)

    def _check_page(self, url: str) -> None:
        title = self.page.title()
        if not title.strip():
            self.problems.append(f"{url}: no <title>")
        if title.count("paperfeed") > 1:  # the site's name ends every title once
            self.problems.append(f"{url}: the title names the site twice: {title}")
        twice = self.page.evaluate(
            """() => { const n = {}; for (const e of document.querySelectorAll('[id]'))
              n[e.id] = (n[e.id] || 0) + 1; return Object.keys(n).filter(k => n[k] > 1); }"""
        )
        if twice:
            self.problems.append(f"{url}: ids used twice: {twice}")

    def _local_links(self, url: str) -> list[str]:
        hrefs: list[str] = self.page.evaluate(
            # an SVG link's href is an object (the topics' map): read the attribute, resolved
            "() => [...document.querySelectorAll('a[href], link[href]')]"
            ".map(a => new URL(a.getAttribute('href'), document.baseURI).href)"
        )
        links = []
        for href in hrefs:
            parts = urlsplit(href)
            if parts.hostname not in ("127.0.0.1", "localhost"):
                continue  # arXiv, GitHub and the like
            if href.startswith(self.site):
                links.append(urldefrag(href)[0])
            else:
                self.problems.append(f"{url}: links {href}, not on {self.site}")
        return links


def _crawl(page: Page, live_site: LiveSite) -> tuple[set[str], list[str]]:
    crawl = _Crawl(page, live_site.url)
    return crawl.run("/"), crawl.problems


def test_a_signed_out_visitor_meets_no_broken_page(page: Page, live_site: LiveSite) -> None:
    routes, problems = _crawl(page, live_site)
    assert problems == []
    # the crawl reached what the README promises a first visitor
    for route in ("/papers/<paper>?", "/papers/week/<period>?", "/papers/month/<period>?",
                  "/trending?", "/authors/<name>?", "/categories/<name>?", "/about?",
                  "/papers/<paper>/bibtex?", "/feeds/daily.atom?", "/docs?"):  # fmt: skip
        assert route in routes, route


def test_a_signed_in_reader_meets_no_broken_page(browser: Browser, live_site: LiveSite) -> None:
    page = browser.new_page()
    sign_up(page, live_site.url, "firstvisit")
    page.wait_for_url(live_site.url + "/")
    routes, problems = _crawl(page, live_site)
    assert problems == []
    for route in ("/library?", "/settings/profile?", "/for-you?", "/notifications?"):
        assert route in routes, route
    page.close()
