"""Browser tests wait in ways the site's Content Security Policy allows.

The site's policy has no 'unsafe-eval', so Playwright's `wait_for_function` fails with an
EvalError whenever its condition is false at the first try (a race CI lost once);
`tests.browser.conftest.wait_until` polls through `page.evaluate` instead.
"""

from __future__ import annotations

from pathlib import Path

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def test_no_browser_test_waits_with_an_evaluated_string() -> None:
    files = sorted(BROWSER_TESTS.glob("*.py"))
    assert len(files) > 100  # the folder is where this looks
    offenders = [
        f"{path.name}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ".wait_for_function(" in line
    ]
    assert offenders == [], f"use wait_until (tests/browser/conftest.py) at {offenders}"
