"""The sign-in and sign-up form page, with its error and what it was filled in with."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response

from paperfeed.web.auth.redirects import safe_next
from paperfeed.web.deps import Site, html


def _form(
    site: Site,
    request: Request,
    signup: bool,
    next_: str,
    error: str = "",
    vote: str = "",
    status: int = 0,
    **kw: str,
) -> Response:
    heading, action = ("Sign up", "/signup") if signup else ("Sign in", "/signin")
    body = site.render(
        "account.html",
        heading=heading,
        action=action,
        signup=signup,
        next=safe_next(next_),
        error=error,
        vote=vote if _PENDING_VOTE_RE.match(vote) else "",
        user=None,
        policy=site.settings.signup,
        email_domains=site.settings.signup_domains if site.settings.signup == "open" else (),
        **kw,
    )
    return html(site, request, body, status or (400 if error else 200))


_PENDING_VOTE_RE = re.compile(r"^[A-Za-z0-9.\-/]{1,64}$")
