"""The site's static files, at addresses that name their version, cached by browsers for a year.

`/static/v/<version>/site.css` is the file `static/site.css`, where the version is a digest of
every static file: a new release changes every address, so a browser may keep what it fetched
for good and never asks again. KaTeX's fonts, named by its stylesheet relative to itself, fall
under the same versioned folder. The plain addresses (`/static/site.css`) still answer, checked
with the server each time.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
FOREVER = "public, max-age=31536000, immutable"
_CHECK = "no-cache"  # unversioned or from another release: kept, but revalidated (ETag) first


@cache
def version() -> str:
    """A digest of the names and contents of all static files, read once per process."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_path(name: str) -> str:
    """The versioned address of a static file (`site.css` → `/static/v/<version>/site.css`)."""
    return f"/static/v/{version()}/{name.lstrip('/')}"


class Assets(StaticFiles):
    """Static files under their plain and versioned addresses, with a Cache-Control for each."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = Path(path).parts
        versioned = len(parts) > 2 and parts[0] == "v"
        if versioned:
            path = str(Path(*parts[2:]))
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            current = versioned and parts[1] == version()
            response.headers["cache-control"] = FOREVER if current else _CHECK
        return response
