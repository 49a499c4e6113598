"""A site served under a path (PAPERFEED_BASE_URL=https://example.org/papers): every link, form,
redirect, cookie, feed and email stays under that path; at a host's root nothing changes."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import paperfeed.digest
import paperfeed.web
from paperfeed import doctor
from paperfeed.digest.deliver import SmtpMailer
from paperfeed.digest.schedule import run_due
from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.accounts import set_admin
from paperfeed.web import commands
from paperfeed.web.app import create_app
from paperfeed.web.assets import version
from paperfeed.web.baseurl import path_problem
from tests.digest_support import Sink, copy_newest_papers
from tests.web_support import DAYS, fill_store, on_day, web_settings

PREFIX = "/papers"
ORIGIN = "http://testserver"
BASE = ORIGIN + PREFIX
_LINK_ATTRS = ("href", "src", "action", "formaction")
_ELSEWHERE = ("mailto:", "data:", "javascript:", "#")
_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Links(HTMLParser):
    """Every href, src, action and formaction of a page; `posted`: those a form posts to."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.posted: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = [v for k, v in attrs if k in _LINK_ATTRS and v is not None]
        self.found += found
        if tag in ("form", "button") and (dict(attrs).get("method") or "get").lower() == "post":
            self.posted.update(found)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.found


def _posted(html: str) -> set[str]:
    parser = _Links()
    parser.feed(html)
    return parser.posted


def _store(settings: Settings, folder: Path, base_url: str) -> tuple[Settings, Engine]:
    s = web_settings(settings, base_url=base_url, secret_key="s" * 32)
    engine = open_store(s)
    fill_store(engine, s, folder)
    return s, engine


@pytest.fixture
def under(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    """A store of real papers, its site's base URL with a path."""
    s, engine = _store(settings, tmp_path / "listings", BASE)
    yield s, engine
    engine.dispose()


def token(c: TestClient, path: str = PREFIX + "/") -> str:
    found = _TOKEN_RE.search(c.get(path).text)
    assert found, f"no form token on {path}"
    return found[1]


def form(c: TestClient, path: str, data: dict[str, str]) -> str:
    """Post a form under the prefix; where it led (its Location)."""
    r = c.post(path, data=data | {"csrf_token": token(c)}, follow_redirects=False)
    assert r.status_code == 303, (path, r.status_code, r.text[:300])
    return r.headers["location"]


def sign_up_admin(c: TestClient, engine: Engine, name: str = "reader") -> None:
    where = form(c, f"{PREFIX}/signup", {"username": name, "password": "correct horse battery"})
    assert where.startswith(PREFIX + "/")
    with engine.begin() as conn:
        set_admin(conn, name, True)


def _inside(url: str) -> bool:
    path = urlsplit(url).path
    return path == PREFIX or path.startswith(PREFIX + "/")


def _check_page(url: str, html: str) -> list[str]:
    """Every link of a page under the prefix (relative ones resolved); the site's own ones."""
    own = []
    for value in links_of(html):
        if value.startswith(_ELSEWHERE):
            continue
        target = urljoin(url, value)
        if target.startswith(ORIGIN + "/") or not value.startswith(("http:", "https:")):
            assert _inside(target), f"{url} links to {value!r}, outside {PREFIX}"
            if value not in _posted(html):  # a POST-only address is not fetched
                own.append(urldefrag(target)[0])
    return own


def crawl(c: TestClient, seeds: list[str], limit: int = 400) -> dict[str, int]:
    """Fetch every page reachable from `seeds` (up to `limit`): each one's status."""
    seen: dict[str, int] = {}
    queue = deque(ORIGIN + s for s in seeds)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or "/signout" in url:
            continue
        r = c.get(url, follow_redirects=False)
        seen[url] = r.status_code
        if r.is_redirect:
            where = urljoin(url, r.headers["location"])
            assert _inside(where), f"{url} redirects to {where}, outside {PREFIX}"
            queue.append(where)
        elif r.headers.get("content-type", "").startswith("text/html"):
            queue.extend(u for u in _check_page(url, r.text) if u not in seen)
    return seen


# --- 1. every page reachable from the home, a paper, search and a reader's own pages --------------


def test_every_link_form_and_redirect_stays_under_the_path_and_answers(
    under: tuple[Settings, Engine],
) -> None:
    s, engine = under
    paper = sorted(on_day(engine, DAYS[1]))[0]
    with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
        sign_up_admin(c, engine)
        form(c, f"{PREFIX}/papers/{paper}/save", {"saved": "1"})
        form(c, f"{PREFIX}/papers/{paper}/comments", {"body": "A comment to link to."})
        seeds = ["/", "/account", "/admin", "/library", "/for-you", "/search?q=learning"]
        seen = crawl(c, [PREFIX + s for s in seeds] + [f"{PREFIX}/papers/{paper}"])
    missing = sorted(u for u, status in seen.items() if status == 404)
    broken = sorted(u for u, status in seen.items() if status >= 500)
    assert not missing and not broken, (missing, broken)
    assert len(seen) >= 150  # the crawl reached well past the seeds
    for page in ("/library", "/admin", "/for-you", "/account", f"/papers/{paper}", "/docs"):
        assert seen.get(BASE + page) == 200, page


def test_the_root_leads_to_the_path_ops_answer_at_both_and_nothing_else_is_served(
    under: tuple[Settings, Engine],
) -> None:
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
        home = c.get("/", follow_redirects=False)
        assert home.status_code == 308 and home.headers["location"] == PREFIX + "/"
        for ops in ("/healthz", f"{PREFIX}/healthz"):
            assert c.get(ops).text == "ok\n"
        assert c.get("/about").status_code == 404  # another site's page, not ours
        assert c.get(PREFIX).status_code == c.get(PREFIX + "/").status_code == 200
        for page in (PREFIX + "/", "/healthz"):  # the CSRF cookie, for the site's path only
            c.cookies.clear()
            cookies = c.get(page).headers.get_list("set-cookie")
            assert cookies and all(f"Path={PREFIX};" in v for v in cookies), cookies
        slash = c.get(f"{PREFIX}/daily/", follow_redirects=False)  # a trailing slash, taken off
        assert slash.headers["location"] == f"{PREFIX}/daily"
        signin = c.get(f"{PREFIX}/library", follow_redirects=False)
        assert signin.headers["location"] == f"{PREFIX}/signin?next=/library"
        assert c.get("/openapi.json").status_code == 404
        assert c.get(f"{PREFIX}/openapi.json").json()["servers"] == [{"url": PREFIX}]
        robots = c.get(f"{PREFIX}/robots.txt").text
        assert f"Disallow: {PREFIX}/search" in robots and "Disallow: /search" not in robots


def test_a_refused_form_leads_back_to_its_page_and_signing_in_returns_there(
    under: tuple[Settings, Engine],
) -> None:
    s, engine = under
    paper = sorted(on_day(engine, DAYS[1]))[0]
    page = f"{BASE}/papers/{paper}"
    with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
        answer = {"up": "7", "csrf_token": token(c, page)}  # a value no button sends
        refused = c.post(f"{page}/upvote", data=answer, headers={"referer": page})
        assert refused.status_code == 400
        assert f'href="{PREFIX}/papers/{paper}"' in refused.text  # the prefix once, not twice
        signin = c.post(
            f"{PREFIX}/comments/1/vote",
            data={"csrf_token": token(c, page)},
            headers={"referer": page},
            follow_redirects=False,
        )
        assert signin.headers["location"] == f"{PREFIX}/signin?next=/papers/{paper}"


# --- 2. feeds and emails: absolute links under the base URL ---------------------------------------


def test_feeds_link_under_the_path(under: tuple[Settings, Engine]) -> None:
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
        for feed in ("daily.atom", "daily.rss", "trending.atom"):
            body = c.get(f"{PREFIX}/feeds/{feed}").text
            urls = re.findall(r"https?://[^\s\"'<>]+", body)
            ours = [u for u in urls if u.startswith(ORIGIN)]
            assert ours and all(u.startswith(BASE + "/") for u in ours), (feed, ours)
            for url in {urldefrag(u)[0] for u in ours}:
                assert c.get(url).status_code == 200, url


def test_the_api_s_avatar_addresses_are_under_the_path(under: tuple[Settings, Engine]) -> None:
    """A profile's and a comment's avatarUrl was "/avatars/NAME.svg": outside the site's path."""
    s, engine = under
    with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
        sign_up_admin(c, engine, "painter")
        avatar = c.get(f"{PREFIX}/api/users/painter").json()["avatarUrl"]
        assert avatar == f"{BASE}/avatars/painter.svg"
        assert c.get(avatar).status_code == 200


def _mail_links(sink: Sink, address: str) -> list[str]:
    links = []
    for mail in sink.to(address):
        for part in mail.walk():
            if part.get_content_maintype() == "text":
                text = unescape(part.get_content())  # the HTML part's &amp;
                links += re.findall(rf"{re.escape(ORIGIN)}[^\s\"'<>]*", text)
        links += re.findall(rf"{re.escape(ORIGIN)}[^\s\"'<>]*", str(mail["List-Unsubscribe"]))
    return links


def test_emails_link_under_the_path(
    sqlite_settings: Settings, sink: Sink, demo_settings: Settings
) -> None:
    update = {"smtp_port": sink.port, "digest_send_rate": 0, "secret_key": "w" * 32}
    s = sqlite_settings.model_copy(update=update | {"base_url": BASE})
    engine = open_store(s)
    try:
        copy_newest_papers(demo_settings, engine, 1)
        with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
            r = c.post(f"{PREFIX}/api/subscribe", json={"email": "ann@example.org"})
            assert r.status_code == 202, r.text
            confirm = next(u for u in _mail_links(sink, "ann@example.org") if "/confirm?" in u)
            assert confirm.startswith(f"{BASE}/confirm?token=")
            assert "You are subscribed" in c.post(confirm).text
            run_due(engine, s, SmtpMailer(s), due_all=True)
            links = _mail_links(sink, "ann@example.org")
            assert len(links) > 5 and all(u.startswith(BASE + "/") for u in links), links
            for url in {urldefrag(u)[0] for u in links}:
                assert c.get(url, follow_redirects=False).status_code not in (404, 500), url
    finally:
        engine.dispose()


# --- 3. at a host's root nothing changes ---------------------------------------------------------


def test_at_a_hosts_root_links_stay_root_relative_and_match_the_prefixed_site(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    s, engine = _store(sqlite_settings, tmp_path / "listings", ORIGIN)
    paper = sorted(on_day(engine, DAYS[1]))[0]
    pages = ("/", f"/papers/{paper}", "/search?q=learning", "/about")
    try:
        with TestClient(create_app(s, engine), base_url=ORIGIN) as c:
            plain = {p: links_of(c.get(p).text) for p in pages}
            assert c.get("/", follow_redirects=False).status_code == 200
            assert "servers" not in c.get("/openapi.json").json()
        with TestClient(create_app(s.model_copy(update={"base_url": BASE}), engine)) as c:
            prefixed = {p: links_of(c.get(PREFIX + p).text) for p in pages}
    finally:
        engine.dispose()
    static = f"/static/v/{version()}"  # the versioned addresses browsers keep for a year
    for sample in ("/", "/about", "/search", f"{static}/site.css", f"{static}/site.js", "/signin"):
        assert sample in plain["/"], sample
    assert f"/papers/{paper}/upvote" in plain[f"/papers/{paper}"]
    for page in pages:
        unprefixed = [_unprefixed(v) for v in prefixed[page]]
        assert unprefixed == plain[page], page


def _unprefixed(link: str) -> str:
    if link.startswith(BASE + "/"):  # a canonical link: absolute
        return ORIGIN + link[len(BASE) :]
    return link[len(PREFIX) :] if link.startswith(PREFIX + "/") else link


# --- 4. the setting: a path is served, a bad value is refused in one line -------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/papers?x=1",
        "https://example.org/a/../papers",
        "https://example.org/my papers",
        "https://example.org//papers",
        "https://example.org/p%C3%A4pers",
    ],
)
def test_a_base_url_that_cannot_be_served_is_refused(sqlite_settings: Settings, url: str) -> None:
    problem = path_problem(url)
    assert problem and url in problem and "https://example.org/papers" in problem
    found = doctor.Findings()
    doctor.check_base_url(sqlite_settings.model_copy(update={"base_url": url}), found, 0.1)
    assert problem in found.problems
    with pytest.raises(Exception) as stopped:
        commands._check_proxy_settings(sqlite_settings.model_copy(update={"base_url": url}))
    assert getattr(stopped.value, "exit_code", None) == 1


@pytest.mark.parametrize(
    "url", ["https://example.org/papers", "https://example.org/papers/", "https://x.org/a/b-c"]
)
def test_a_base_url_with_a_plain_path_is_accepted(sqlite_settings: Settings, url: str) -> None:
    assert path_problem(url) is None
    commands._check_proxy_settings(sqlite_settings.model_copy(update={"base_url": url}))


def test_no_template_writes_a_root_relative_link() -> None:
    """Pages a crawl may not reach (a form shown in one state) build links with site_url too."""
    folders = [Path(paperfeed.web.__file__).parent / "templates"]
    folders.append(Path(paperfeed.digest.__file__).parent / "templates" / "pages")
    bare = re.compile(r'\b(?:href|src|action|formaction)="/(?!/)[^"]*"')
    found = [
        f"{page.name}: {m[0]}"
        for f in folders
        for page in f.glob("*.html")
        for m in bare.finditer(page.read_text())
    ]
    assert not found, found


def test_the_demo_mailbox_links_under_the_path(under: tuple[Settings, Engine]) -> None:
    s, engine = under
    with TestClient(create_app(s.model_copy(update={"mailbox": True}), engine)) as c:
        r = c.post(f"{PREFIX}/api/subscribe", json={"email": "ann@example.org"})
        assert r.status_code == 202, r.text
        box = c.get(f"{PREFIX}/demo/mailbox").text
        framed = re.findall(r'srcdoc="([^"]*)"', box)  # each email's HTML, as the frame shows it
        assert framed
        own = _check_page(f"{BASE}/demo/mailbox", box)
        for letter in framed:
            own += _check_page(f"{BASE}/demo/mailbox", unescape(letter))
        confirms = [u for u in own if "/confirm?" in u]
        assert confirms and all(u.startswith(f"{BASE}/confirm?") for u in confirms), own
        assert all(c.get(u).status_code == 200 for u in confirms)
