"""Issue 9 in a real browser: the API docs work under their Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveSite


def test_api_docs_render_under_their_content_security_policy(
    page: Page, live_site: LiveSite
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: _note(m, problems))
    response = page.goto(f"{live_site.url}/docs")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "unsafe-eval" not in policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("paperfeed")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def _note(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(message.text)
