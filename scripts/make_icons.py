"""Draw the installable site's PNG icons from static/favicon.svg with Chromium (run by hand
after changing the SVG; the PNGs are committed): `.venv/bin/python scripts/make_icons.py`."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "web" / "static"
# name, side in px, whether the orange square fills the whole image (a "maskable" icon, and
# the one iOS rounds itself): the glyph already lies within the safe circle (80 % wide).
ICONS = (
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),
)


def main() -> None:
    svg = (STATIC / "favicon.svg").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, side, full in ICONS:
            drawn = svg.replace(' rx="7"', "") if full else svg
            drawn = drawn.replace("<svg ", f'<svg width="{side}" height="{side}" ', 1)
            page = browser.new_page(viewport={"width": side, "height": side})
            page.set_content(f'<body style="margin:0">{drawn}</body>')
            page.locator("svg").screenshot(path=str(STATIC / name), omit_background=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
