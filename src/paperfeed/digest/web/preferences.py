"""A subscription's preferences: the page reached by every email's signed link, and saving it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from paperfeed.digest import api_doc
from paperfeed.digest.subscribe import links_for, subscriber_for, update_preferences
from paperfeed.digest.subscriber import MAX_PAPERS, WEEKDAYS, BadInput, Preferences, Subscriber
from paperfeed.digest.tokens import TokenError
from paperfeed.digest.web.common import (
    _HERE,
    DigestSite,
    _cross_site,
    _ctx,
    _form,
    _message,
    _page,
    digest_router,
    same_origin,
    wants_json,
)

_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
          "Asia/Shanghai", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney")  # fmt: skip

router = digest_router()


@router.get("/preferences", response_class=HTMLResponse)
async def preferences_page(request: Request, token: str = "") -> Response:
    """A page to change what and when, reached by the signed link in every email."""
    ctx = _ctx(request)
    try:
        sub = await run_in_threadpool(subscriber_for, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    return _preferences(ctx, sub, token)


def _shown(prefs: Preferences) -> dict[str, object]:
    """What each field of the preferences form shows for saved preferences."""
    return {
        "frequency": prefs.frequency,
        "send_time": prefs.send_time,
        "timezone": prefs.timezone,
        "weekday": prefs.weekday,
        "skip_weekends": prefs.skip_weekends,
        "max_papers": prefs.max_papers,
        "include_trending": prefs.include_trending,
        "categories": ", ".join(prefs.categories),
        "keywords": "\n".join(prefs.keywords),
        "searches": "\n".join(prefs.searches),
        "authors": "\n".join(prefs.authors),
        "seeds": "\n".join(prefs.seeds),
    }


def _typed(prefs: Preferences, data: dict[str, object]) -> dict[str, object]:
    """The form as the person filled it in, so an error does not wipe what they typed."""
    shown = _shown(prefs) | {k: str(v) for k, v in data.items() if k in _shown(prefs)}
    for flag in ("skip_weekends", "include_trending"):
        shown[flag] = str(shown[flag]).strip().lower() in ("1", "true", "on", "yes")
    day = str(shown["weekday"])
    # isdigit() also takes "²", which int() refuses
    shown["weekday"] = int(day) if day in ("0", "1", "2", "3", "4", "5", "6") else prefs.weekday
    return shown


def _preferences(
    ctx: DigestSite,
    sub: Subscriber,
    token: str,
    saved: bool = False,
    error: str = "",
    status: int = 200,
    typed: dict[str, object] | None = None,
) -> Response:
    here = _HERE.get()
    if error and here and wants_json(here[0]):
        return JSONResponse({"detail": error}, status, headers={"Cache-Control": "no-store"})
    links = links_for(ctx.settings, sub)
    return _page(
        ctx,
        "preferences",
        status,
        email=sub.email,
        p=sub.prefs,
        v=typed or _shown(sub.prefs),
        saved=saved,
        error=error,
        action="/preferences?" + urlencode({"token": token}),  # relative: CSP form-action 'self'
        unsubscribe_url=links.token_url("/unsubscribe", "unsubscribe"),
        zones=_ZONES,
        weekdays=[d.capitalize() for d in WEEKDAYS],
        max_papers=MAX_PAPERS,
    )


@router.post("/preferences", response_class=HTMLResponse, openapi_extra=api_doc.preferences_form())
async def save_preferences(request: Request, token: str = "") -> Response:
    """Save the preferences form."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _cross_site(ctx)
    data = await _form(request)
    try:
        search = ctx.search() if data.get("searches") else None
        sub = await run_in_threadpool(
            update_preferences, ctx.engine, ctx.settings, token, data, search
        )
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    except BadInput as exc:
        sub = await run_in_threadpool(subscriber_for, ctx.engine, ctx.settings, token)
        typed = _typed(sub.prefs, data)
        return _preferences(ctx, sub, token, error=str(exc), status=400, typed=typed)
    return _preferences(ctx, sub, token, saved=True)
