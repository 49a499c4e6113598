"""The web app manifest: what a phone needs to add the site to its home screen as an app.

Its name, icons, colours and the addresses it opens at and stays within, under the path the
site is served at (PAPERFEED_BASE_URL=https://host/papers opens at /papers/, not the host's root).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from paperfeed.web.render import static_url

router = APIRouter(include_in_schema=False)
PATH = "/manifest.webmanifest"
LIGHT, DARK = "#ffffff", "#11151c"  # the header's background in each scheme (site.css)
_ICONS = (  # file, sizes, type, purpose
    ("favicon.svg", "any", "image/svg+xml", "any"),
    ("icon-192.png", "192x192", "image/png", "any"),
    ("icon-512.png", "512x512", "image/png", "any"),
    ("icon-maskable-512.png", "512x512", "image/png", "maskable"),
)


def manifest(root: str) -> dict[str, Any]:
    """The manifest of a site served at `root` (its base URL's path, '' at a host's root)."""
    icons = [
        {"src": static_url(root, name), "sizes": sizes, "type": kind, "purpose": purpose}
        for name, sizes, kind, purpose in _ICONS
    ]
    return {
        "name": "paperfeed",
        "short_name": "paperfeed",
        "description": "Research papers of each day, trending papers, search and a personal feed.",
        "id": f"{root}/",
        "start_url": f"{root}/",
        "scope": f"{root}/",
        "display": "standalone",
        "lang": "en",
        "theme_color": LIGHT,
        "background_color": LIGHT,
        "icons": icons,
    }


@router.get(PATH)
def web_manifest(request: Request) -> JSONResponse:
    """The site's web app manifest (read by browsers without the reader's cookies)."""
    root = request.app.state.site.settings.root_path
    return JSONResponse(
        manifest(root),
        media_type="application/manifest+json",
        headers={"cache-control": "public, max-age=3600"},
    )
