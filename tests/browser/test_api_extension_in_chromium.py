"""A browser extension's page on another origin calls the JSON API in Chromium: public reads
from any origin, a bearer token and writes only from an origin the operator configured, and
never the visitor's cookies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from tests.browser.conftest import sign_up
from tests.digest_support import copy_newest_papers, free_port, serve
from tests.replay import Reply, Request, replay

PASSWORD = "a long password"
SLOW = 60_000  # ms: signing in hashes a password, slow on a busy machine
# The extension's page: each button makes one cross-origin call and says what came back.
PAGE = """<!doctype html><title>Save to paperfeed</title>
<p id="out">ready</p>
<button id="read">Today's papers</button>
<button id="save">Save to paperfeed</button>
<button id="peek">My library, by my cookie</button>
<script>
const API = "%(api)s";
const say = (text) => { document.getElementById("out").textContent = text; };
const json = {"Content-Type": "application/json"};
async function attempt(call) {
  say("asking");
  try { say(await call()); } catch (error) { say("blocked: " + error.name); }
}
document.getElementById("read").onclick = () => attempt(async () => {
  const got = await fetch(API + "/api/daily_papers?limit=1");
  const next = got.headers.get("Link") || "";
  return "read " + (await got.json()).length + " paper, next page " + next.includes("next");
});
document.getElementById("save").onclick = () => attempt(async () => {
  const body = JSON.stringify({username: "ext", password: "%(password)s"});
  const login = await fetch(API + "/api/login", {method: "POST", headers: json, body});
  const auth = {"Authorization": "Bearer " + (await login.json()).token};
  const save = JSON.stringify({paper_id: "%(pid)s"});
  const saved = await fetch(API + "/api/me/library",
                            {method: "POST", headers: {...auth, ...json}, body: save});
  const listed = await fetch(API + "/api/me/library?limit=1", {headers: auth});
  const items = await listed.json();
  return "saved " + saved.status + "; " + listed.headers.get("X-Total-Count") +
         " in library: " + items[0].paper.id;
});
document.getElementById("peek").onclick = () => attempt(async () => {
  const got = await fetch(API + "/api/me/library", {credentials: "include"});
  return "read " + got.status;
});
</script>
"""


@contextmanager
def _extension_and_site(
    sqlite_settings: Settings, demo_settings: Settings
) -> Iterator[tuple[str, str, str]]:
    """The extension's page at http://localhost:PORT (the configured origin; the same page at
    127.0.0.1:PORT is another origin) and the site: (configured page, other page, site)."""
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    html: list[bytes] = []

    def extension(_: Request) -> Reply:
        return Reply(html[0], content_type="text/html; charset=utf-8")

    with replay(extension) as ext:
        ext_port = urlsplit(ext.url).port
        update = {"base_url": site_url, "cors_origins": f"http://localhost:{ext_port}"}
        settings = sqlite_settings.model_copy(update=update)
        engine = open_store(settings)
        try:
            pid = copy_newest_papers(demo_settings, engine, 1, limit=3)[0]
            html.append((PAGE % {"api": site_url, "password": PASSWORD, "pid": pid}).encode())
            with serve(create_app(settings, engine), port):
                yield f"http://localhost:{ext_port}/", f"{ext.url}/", site_url
        finally:
            engine.dispose()


def test_an_extension_at_a_configured_origin_signs_in_and_saves_a_paper(
    page: Page, sqlite_settings: Settings, demo_settings: Settings
) -> None:
    with _extension_and_site(sqlite_settings, demo_settings) as (mine, _, site):
        sign_up(page, site, "ext", PASSWORD)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto(mine)
        page.get_by_role("button", name="Today's papers").click()
        expect(page.locator("#out")).to_have_text("read 1 paper, next page true")
        page.get_by_role("button", name="Save to paperfeed").click()
        expect(page.locator("#out")).to_contain_text("saved 201; 1 in library: ", timeout=SLOW)


def test_another_origin_reads_public_papers_but_not_with_a_token_nor_a_cookie(
    page: Page, sqlite_settings: Settings, demo_settings: Settings
) -> None:
    with _extension_and_site(sqlite_settings, demo_settings) as (_, other, site):
        sign_up(page, site, "ext", PASSWORD)  # the browser holds a session cookie for the site
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto(other)
        page.get_by_role("button", name="Today's papers").click()
        expect(page.locator("#out")).to_have_text("read 1 paper, next page true")
        page.get_by_role("button", name="Save to paperfeed").click()
        expect(page.locator("#out")).to_have_text("blocked: TypeError", timeout=SLOW)
        page.get_by_role("button", name="My library, by my cookie").click()
        expect(page.locator("#out")).to_have_text("blocked: TypeError", timeout=SLOW)
