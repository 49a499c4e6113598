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


def test_sign_up_form_refuses_a_common_password_then_takes_a_good_one(
    page: Page, live_site: LiveSite
) -> None:
    page.goto(f"{live_site.url}/signup")
    page.get_by_label("User name").fill("browsing-bea")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("too easy to guess")
    page.get_by_label("Password").fill("   spaces    ")  # 13 characters, 6 once trimmed
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
    page.get_by_label("Password").fill("bea's own long passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
