"""Browser tests: Debian's Chromium driven by Playwright, and the site served by uvicorn."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Dialog, Page, expect
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine, func, select

from paperfeed.search import embed_papers
from paperfeed.settings import Settings
from paperfeed.store import open_store, upsert_papers
from paperfeed.store.tables import paper_authors
from paperfeed.web.app import create_app
from tests.digest_support import Sink, copy_newest_papers, free_port, serve, smtp_sink
from tests.replay import ZOTERO_KEY, ReplayServer, arxiv_api_handler, replay, zotero_api
from tests.web_support import HOSTILE

ZOTERO_PATH = "/users/4455/items/top"  # the live site's replayed Zotero: a private library

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Assertions wait up to 15 s for the page (Playwright's default is 5 s): with one test process
# per CPU (scripts/test), a form whose handler hashes a password or sends mail can take longer
# than 5 s to answer on a busy CI machine, and a slow answer is not a wrong one.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (no browser download); skip only where that is allowed."""
    if not CHROMIUM.exists():
        if os.environ.get("PAPERFEED_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (PAPERFEED_REQUIRE_BROWSER) but missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No --base-url: each test knows its live site (the plugin's own fixture warns on pytest 9)."""
    return None


@dataclass
class LiveSite:
    """The site running on a loopback port, its store and the replayed arXiv API."""

    url: str
    settings: Settings
    engine: Engine
    arxiv: ReplayServer
    zotero: ReplayServer  # Zotero's Web API: an items path to its CSL-JSON items (tests fill it)
    zotero_libraries: dict[str, list[Any]] = field(default_factory=dict)


def _serve(server: uvicorn.Server, sock: socket.socket | None = None) -> threading.Thread:
    sockets = [sock] if sock else None  # bound already: no other process can take the port
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": sockets}, name="live-site", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the site did not start")
        time.sleep(0.05)
    return thread


@pytest.fixture(scope="session")
def live_store(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store plus the hostile record, embedded with the static model, with its search
    indexes and For you's vocabulary: made once (they take seconds), each live site serves its
    own copy; treat it as read-only."""
    data = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(demo_settings.data_dir, data, ignore=shutil.ignore_patterns("index"))
    settings = Settings(data_dir=data, request_delay=0.0, embed_model="static", _env_file=None)  # type: ignore[call-arg]
    engine = open_store(settings)
    try:
        with engine.begin() as conn:
            upsert_papers(conn, [HOSTILE])
        embed_papers(settings, engine)
        # the indexes and For you's vocabulary, made once too: each site's copy starts warm
        app = create_app(settings, engine)
        try:
            app.state.site.warm_search()
            app.state.recommender.warm_vocabulary()
        finally:
            app.state.site.close()
    finally:
        engine.dispose()
    return data


@pytest.fixture
def live_site(live_store: Path, tmp_path: Path) -> Iterator[LiveSite]:
    """A copy of the demo store (all bundled real papers, plus one hostile record), served."""
    data = tmp_path / "data"
    shutil.copytree(live_store, data)
    # bound before the app is made (its absolute links, feeds, use the port) and kept bound:
    # a port only looked up could be taken by another process before the site listened
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    libraries: dict[str, list[Any]] = {}
    zotero_api_handler = zotero_api(libraries, {ZOTERO_PATH: ZOTERO_KEY})
    with sock, replay(arxiv_api_handler) as arxiv, replay(zotero_api_handler) as zotero:
        settings = Settings(  # type: ignore[call-arg]
            data_dir=data,
            request_delay=0.0,
            arxiv_api_url=arxiv.url,
            zotero_api_url=zotero.url,
            embed_model="static",
            listen_url=f"http://127.0.0.1:{port}",  # as `paperfeed serve` sets it
            _env_file=None,
        )
        engine = open_store(settings)
        embed_papers(settings, engine)  # nothing left to embed: the copy has every vector
        config = uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port)
        config.log_level = "warning"
        server = uvicorn.Server(config)
        thread = _serve(server, sock)
        try:
            yield LiveSite(f"http://127.0.0.1:{port}", settings, engine, arxiv, zotero, libraries)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            engine.dispose()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """A scratch folder; with PAPERFEED_REFRESH_SCREENSHOTS=1 the README's tracked screenshots."""
    if os.environ.get("PAPERFEED_REFRESH_SCREENSHOTS") != "1":
        return tmp_path
    if not _has_emoji_font():  # the README's pictures would show empty boxes for 👍, 👎 and 💬
        pytest.fail("refreshing screenshots needs a colour emoji font: run scripts/install-system")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _has_emoji_font() -> bool:
    """Whether fontconfig knows a font with 👍 (U+1F44D) in it, as Chromium will look it up."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":charset=1f44d", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def answer_next_dialog(page: Page, accept: bool, asked: list[str]) -> None:
    """Answer the page's next question (window.confirm): OK or Cancel; note it in `asked`."""

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)


def wait_until(page: Page, function: str, arg: Any = None, timeout: float = 15.0) -> None:
    """Wait until the JavaScript `function` (called with `arg`) is true in the page.

    Playwright's own `wait_for_function` polls by evaluating its text inside the page, which the
    site's Content Security Policy (script-src 'self', no 'unsafe-eval') refuses whenever the
    first try is false; `page.evaluate` goes through the debugging protocol, which the policy
    does not govern, so this polls with it.
    """
    deadline = time.monotonic() + timeout
    while not _true_now(page, function, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {function}")
        page.wait_for_timeout(50)


def _true_now(page: Page, function: str, arg: Any) -> bool:
    try:
        return bool(page.evaluate(function, arg))
    except PlaywrightError as exc:  # the page is navigating: ask the next one
        if "context was destroyed" not in str(exc):
            raise
        return False


def sign_up(page: Page, url: str, name: str, password: str = "a long password") -> None:
    """Create an account through the site's sign-up form (the browser is then signed in)."""
    page.goto(url + "/signup")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()


@dataclass
class MailSite:
    """A site with the newest demo day, mailing through a loopback SMTP sink."""

    url: str
    settings: Settings
    engine: Engine
    sink: Sink

    def confirm_url(self, address: str) -> str:
        """The confirmation link of the newest email to `address`."""
        mail = self.sink.to(address)[-1]
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        [url] = re.findall(rf"{re.escape(self.url)}/confirm\?token=\S+", text)
        return str(url)

    def subscribe(self, page: Page, address: str) -> None:
        """Subscribe `address` with the home page's form and open its emailed confirmation."""
        page.goto(f"{self.url}/")
        page.fill("form.subscribe input[name=email]", address)
        page.click("form.subscribe button[type=submit]")
        page.wait_for_selector("text=Check your inbox")
        page.goto(self.confirm_url(address))
        page.get_by_role("button", name="Confirm my subscription").click()
        page.wait_for_selector("text=You are subscribed")


@contextmanager
def mail_site(sqlite: Settings, demo: Settings, secret: str) -> Iterator[MailSite]:
    """Serve a fresh SQLite store on a free port, its links on that port, mail to a sink."""
    port = free_port()
    with smtp_sink() as sink:
        update = {"smtp_port": sink.port, "secret_key": secret * 32}
        settings = sqlite.model_copy(update=update | {"base_url": f"http://127.0.0.1:{port}"})
        engine = open_store(settings)
        try:
            copy_newest_papers(demo, engine, 1)
            with serve(create_app(settings, engine), port) as url:
                yield MailSite(url, settings, engine, sink)
        finally:
            engine.dispose()


def newest_day_path(engine: Engine) -> str:
    """The address of the newest listing day's page (the demo store's last day)."""
    from paperfeed.store.listings import latest_day
    from paperfeed.web.periods import day_period

    with engine.connect() as conn:
        newest = latest_day(conn)
    assert newest is not None, "the store has no listing day"
    return day_period(newest).path


def prolific_author(live_site: LiveSite) -> str:
    """The author page slug of a demo author with the most papers."""
    n = func.count().label("n")
    query = select(paper_authors.c.name_key, n).group_by(paper_authors.c.name_key)
    with live_site.engine.connect() as conn:
        key = conn.execute(query.order_by(n.desc(), paper_authors.c.name_key)).first()
    assert key is not None
    return str(key[0]).replace(" ", "-")
