"""A lab's home page at an origin the operator configured subscribes a visitor to digests
through POST /api/subscribe, in Chromium; the same page at another origin cannot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from paperfeed.settings import Settings
from paperfeed.store import open_store
from paperfeed.store.digests import find_subscriber
from paperfeed.web.app import create_app
from tests.digest_support import Sink, free_port, serve, smtp_sink
from tests.replay import Reply, Request, replay

# The lab's page: a subscribe box whose button posts JSON to the site and says what came back.
PAGE = """<!doctype html><title>Our lab</title>
<label>Email <input id="email" type="email"></label>
<button id="go">Get the weekly digest</button>
<p id="out">ready</p>
<script>
document.getElementById("go").onclick = async () => {
  const out = document.getElementById("out");
  out.textContent = "asking";
  const body = JSON.stringify({email: document.getElementById("email").value,
                               frequency: "weekly", weekday: "monday"});
  try {
    const got = await fetch("%(api)s/api/subscribe",
                            {method: "POST", headers: {"Content-Type": "application/json"}, body});
    out.textContent = got.status + " " + (await got.json()).status;
  } catch (error) { out.textContent = "blocked: " + error.name; }
};
</script>
"""


@contextmanager
def _lab_and_site(sqlite_settings: Settings) -> Iterator[tuple[str, str, Sink, Settings]]:
    """The lab page at http://localhost:PORT (configured) and at 127.0.0.1:PORT (not)."""
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    page = (PAGE % {"api": site_url}).encode()

    def lab(_: Request) -> Reply:
        return Reply(page, content_type="text/html; charset=utf-8")

    with replay(lab) as home, smtp_sink() as sink:
        lab_port = urlsplit(home.url).port
        update = {
            "base_url": site_url,
            "cors_origins": f"http://localhost:{lab_port}",
            "smtp_port": sink.port,
            "digest_send_rate": 0,
        }
        settings = sqlite_settings.model_copy(update=update)
        engine = open_store(settings)
        try:
            with serve(create_app(settings, engine), port):
                yield f"http://localhost:{lab_port}/", f"{home.url}/", sink, settings
        finally:
            engine.dispose()


def _subscribe(page: Page, at: str, email: str) -> None:
    page.goto(at)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Get the weekly digest").click()


def test_a_configured_origins_page_subscribes_a_visitor(
    page: Page, sqlite_settings: Settings
) -> None:
    with _lab_and_site(sqlite_settings) as (mine, other, sink, settings):
        _subscribe(page, mine, "visitor@example.org")
        expect(page.locator("#out")).to_have_text("202 pending")
        _subscribe(page, other, "stranger@example.org")
        expect(page.locator("#out")).to_have_text("blocked: TypeError")
        engine = open_store(settings)
        with engine.connect() as conn:
            kept = find_subscriber(conn, "visitor@example.org")
            refused = find_subscriber(conn, "stranger@example.org")
        engine.dispose()
    assert kept is not None and kept["frequency"] == "weekly" and refused is None
    assert [r for m in sink.received for r in m.recipients] == ["visitor@example.org"]
