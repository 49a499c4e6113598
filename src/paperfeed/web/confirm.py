"""Asking before a form undoes much: with JavaScript the browser's dialog asks (site.js sets
`confirmed`), without it the server answers with a page that asks the same question and posts
the same form again, answered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from paperfeed.store.accounts import User
from paperfeed.web.auth import safe_next
from paperfeed.web.deps import Site, html

# The form's answer to its question: 1 once asked (the dialog or the page), 0 when not yet.
Confirmed = Annotated[int, Form(ge=0, le=1)]


def ask(
    request: Request,
    site: Site,
    user: User,
    question: str,
    back: str,
    fields: Sequence[tuple[str, str]] = (),
    yes: str = "Yes",
) -> Response:
    """The page that asks `question`; its button posts `fields` (and the answer) to the URL the
    form posted to, its other choice goes `back` with nothing changed."""
    body = site.render(
        "confirm.html",
        user=user,
        question=question,
        action=request.url.path,
        fields=list(fields),
        back=safe_next(back),
        yes=yes,
    )
    return html(site, request, body)
