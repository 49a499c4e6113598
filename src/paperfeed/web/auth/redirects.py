"""Where a form goes next: a local path only, and the redirect that sets the session cookie."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.web.deps import SESSION_COOKIE, Site


def safe_next(target: str | None) -> str:
    """A local path to go to after a form (never another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _is_https(site: Site, request: Request) -> bool:
    return request.url.scheme == "https" or site.settings.public_url.startswith("https://")


def signed_in_redirect(site: Site, request: Request, token: str, target: str) -> Response:
    """Redirect with the session cookie set (HttpOnly, SameSite=Lax, Secure over https)."""
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=site.settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=_is_https(site, request),
    )
    return response
