"""Subscription routes: subscribe (form and JSON), confirm, preferences and one-click unsubscribe.

The app that includes `router` puts a `DigestSite` in `app.state.digest` (settings, engine,
search, and the site's one page environment). Forms are protected from
cross-site posts by an Origin/Referer check; the one-click unsubscribe POST (RFC 8058) is
authorised by its signed token alone, since mail providers send it without cookies or Origin.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from paperfeed.digest import api_doc
from paperfeed.digest.compose import Embeddings
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.mailbox import read_mailbox
from paperfeed.digest.notices import LINK_PATH, STOP_PATH, notices_stopped, stop_notices
from paperfeed.digest.render import RATE_PATH
from paperfeed.digest.subscribe import (
    RETRY_AFTER,
    Forgotten,
    RateLimited,
    confirm,
    confirm_request,
    link_account,
    link_request,
    links_for,
    request_subscription,
    subscriber_by_rate_token,
    subscriber_by_unsubscribe_token,
    subscriber_for,
    unsubscribe,
    update_preferences,
)
from paperfeed.digest.subscriber import (
    MAX_INTERESTS,
    MAX_PAPERS,
    WEEKDAYS,
    BadInput,
    Preferences,
    Subscriber,
    normalise_email,
    parse_preferences,
)
from paperfeed.digest.tokens import TokenError
from paperfeed.latex import plain
from paperfeed.settings import Settings
from paperfeed.store.accounts import User, user_by_id
from paperfeed.store.library import set_rating, user_ratings
from paperfeed.store.papers import get_paper
from paperfeed.util import site_path

CHECK_INBOX = (
    "If that address can receive mail, a confirmation link is on its way. Follow it to start."
)
DEMO_INBOX = (
    "Demo mode: no email leaves this server. The confirmation email, with its link, is in the "
    "demo mailbox."
)
_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
          "Asia/Shanghai", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney")  # fmt: skip


def _nobody(request: Request, data: Mapping[str, object]) -> int | None:
    return None


async def _no_reader(request: Request) -> User | None:
    return None


def _unsigned(request: Request, body: str) -> str:
    return body


@dataclass(frozen=True)
class DigestSite:
    """What the subscription pages need from the app that serves them."""

    settings: Settings
    engine: Engine
    search: Callable[[], Embeddings | None]  # the site's shared search service, made on demand
    env: Environment  # the site's one page environment (`paperfeed.templating`)
    # The signed-in user a subscribe request speaks for (the site's sessions), or None; run in
    # a worker thread. A subscription made while signed in is linked to that account.
    account: Callable[[Request, Mapping[str, object]], int | None] = _nobody
    # Who is signed in, for the page header; and how the site puts its CSRF token in the
    # header's forms (`csrf` is the placeholder `sign` replaces).
    reader: Callable[[Request], Awaitable[User | None]] = _no_reader
    sign: Callable[[Request, str], str] = _unsigned
    csrf: str = ""


# The request being answered and its signed-in reader, for the page header (set per request).
_HERE: ContextVar[tuple[Request, User | None] | None] = ContextVar("digest_page", default=None)


async def _note_reader(request: Request) -> None:
    """Remember who is signed in, so that these pages' header shows them as every page does."""
    ctx = request.app.state.digest
    reader = await ctx.reader(request) if isinstance(ctx, DigestSite) else None
    _HERE.set((request, reader))


router = APIRouter(tags=["digests"], dependencies=[Depends(_note_reader)])


def _ctx(request: Request) -> DigestSite:
    site = request.app.state.digest
    if not isinstance(site, DigestSite):
        raise TypeError("the app must set app.state.digest to a DigestSite")
    return site


def wants_json(request: Request) -> bool:
    """An API client: it asks for JSON (Accept), or sends a bearer token, and not for a page."""
    accept = request.headers.get("accept", "").lower()
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    return "text/html" not in accept and ("json" in accept or bearer)


def _page(ctx: DigestSite, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    here = _HERE.get()
    user = here[1] if here else None
    page = ctx.env.get_template(f"pages/{template}.html")
    body = page.render(csrf=ctx.csrf if user else "", user=user, **context)
    if here and user:
        body = ctx.sign(here[0], body)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(body, status_code=status, headers=headers)


def _message(ctx: DigestSite, title: str, *lines: str, status: int = 200, **links: str) -> Response:
    """A page that says what happened; to an API client, JSON as the rest of the API answers
    (`{"detail": ...}`, and the page's title beside it when all went well)."""
    here = _HERE.get()
    if here and wants_json(here[0]):
        said = {"detail": " ".join(lines)} | ({"title": title} if status < 400 else {})
        return JSONResponse(said, status, headers={"Cache-Control": "no-store"})
    return _page(ctx, "message", status, title=title, lines=lines, **links)


def same_origin(request: Request, settings: Settings) -> bool:
    """False when the browser says the post came from another site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # not a browser: no cookies or ambient authority to abuse
    allowed = {_origin(settings.public_url), _origin(str(request.base_url))}
    return _origin(source) in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _came_from(request: Request, settings: Settings) -> str:
    """The page of this site a form was posted from ("" when not said, or elsewhere)."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    allowed = {_origin(settings.public_url), _origin(str(request.base_url))}
    path = site_path(settings.root_path, parts.path) or ""  # the site's own path, if it is one
    local = path.startswith("/") and not path.startswith(("//", "/\\"))
    if _origin(referer) not in allowed or not local or path == request.url.path:
        return ""
    return path + (f"?{parts.query}" if parts.query else "")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _form(request: Request) -> dict[str, object]:
    form = await request.form()
    return {key: str(form.getlist(key)[-1]) for key in form}


def _cross_site(ctx: DigestSite) -> Response:
    return _message(ctx, "Not sent", "This form was posted from another site.", status=403)


_AGAIN = {"description": "to the subscribe box of the home page", "headers": {"Location": {
    "description": "/#subscribe-email", "schema": {"type": "string"}}}}  # fmt: skip


@router.get("/subscribe", status_code=303, response_class=Response, responses={303: _AGAIN})
async def subscribe_again() -> Response:
    """Opened again after a subscription (history, a bookmark): the pages with the form."""
    return RedirectResponse("/#subscribe-email", status_code=303)


@router.post("/subscribe", response_class=HTMLResponse, openapi_extra=api_doc.subscribe_form())
async def subscribe_form(request: Request) -> Response:
    """Subscribe from the form on the site's pages; answers the same whoever is listed."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _cross_site(ctx)
    data = await _form(request)
    try:
        await run_in_threadpool(_subscribe, ctx, data, request)
    except RateLimited as exc:
        slow = _message(ctx, "Slow down", str(exc), status=429)
        slow.headers["Retry-After"] = RETRY_AFTER
        return slow
    except BadInput as exc:
        back = _came_from(request, ctx.settings)
        links = {"back_url": back} if back else {}
        return _message(ctx, "Not subscribed", str(exc), status=400, **links)
    if ctx.settings.mailbox:
        return _message(
            ctx, "Check the demo mailbox", DEMO_INBOX, mailbox_url="/demo/mailbox", mailbox="1"
        )
    return _message(ctx, "Check your inbox", CHECK_INBOX)


class _NotSignedIn(Exception):
    """A cross-site subscription whose bearer token names no account."""


def _subscribe(
    ctx: DigestSite, data: dict[str, object], request: Request, token_needed: bool = False
) -> None:
    user_id = ctx.account(request, data)
    if token_needed and user_id is None:
        raise _NotSignedIn
    mailer = make_mailer(ctx.settings)
    try:
        prefs = {k: v for k, v in data.items() if k not in ("email", "csrf_token")}
        search = ctx.search() if prefs.get("searches") else None
        email = data.get("email")
        request_subscription(
            ctx.engine, ctx.settings, mailer, email, prefs, _client(request), search, user_id
        )
    finally:
        mailer.close()


@router.post(
    "/api/subscribe",
    status_code=202,
    response_model=api_doc.SubscribedOut,
    openapi_extra=api_doc.subscribe_json(),
)
async def subscribe_api(request: Request) -> JSONResponse:
    """JSON: {"email", "frequency", ...preferences} → 202 and a confirmation email.

    Sent with a bearer token (or a session cookie and X-CSRF-Token), the subscription is linked
    to that account once confirmed: community notices then go to it by email. A body the schema
    refuses is a 422 naming the field. Another site's page may subscribe with a bearer token,
    or without one from an origin PAPERFEED_CORS_ORIGINS names.
    """
    ctx = _ctx(request)
    if not request.headers.get("content-type", "").startswith("application/json"):
        return JSONResponse({"detail": "send a JSON body (Content-Type: application/json)"}, 415)
    cross = not same_origin(request, ctx.settings)
    if cross and not (_bearer(request) or _trusted_origin(request, ctx.settings)):
        return JSONResponse({"detail": CROSS_SITE}, 403)
    try:
        data = _json_body(await request.body())
    except (ValueError, RecursionError):
        return JSONResponse({"detail": "the body is not valid JSON (UTF-8, not too deep)"}, 400)
    if not isinstance(data, dict):
        return JSONResponse({"detail": 'send an object like {"email": "you@example.org"}'}, 400)
    too_many = _too_many(data)
    if too_many:
        return JSONResponse({"detail": too_many}, 400)
    # A token from another site must name an account: it is what lets that site subscribe.
    token_needed = cross and not _trusted_origin(request, ctx.settings)
    try:
        misfit = await run_in_threadpool(_schema_misfit, data)
        if misfit:
            return JSONResponse({"detail": misfit}, 422)
        await run_in_threadpool(_subscribe, ctx, data, request, token_needed)
    except RateLimited as exc:
        return JSONResponse({"detail": str(exc)}, 429, headers={"Retry-After": RETRY_AFTER})
    except BadInput as exc:
        return JSONResponse({"detail": str(exc)}, 400)
    except _NotSignedIn:
        challenge = {"WWW-Authenticate": 'Bearer realm="paperfeed", error="invalid_token"'}
        return JSONResponse({"detail": BAD_TOKEN}, 401, headers=challenge)
    return JSONResponse({"status": "pending", "detail": CHECK_INBOX}, 202)


CROSS_SITE = (
    "cross-site request refused: another site's page subscribes with a bearer token, or from "
    "an origin the server's PAPERFEED_CORS_ORIGINS names"
)
BAD_TOKEN = (
    "that bearer token is not valid (revoked, expired or mistyped): get a new one from "
    "POST /api/login"
)


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def _trusted_origin(request: Request, settings: Settings) -> bool:
    """True when the request comes from an origin PAPERFEED_CORS_ORIGINS names (or it is *)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    trusted = set(settings.cors_origins.split(",")) - {""}
    return "*" in trusted or _origin(source) in trusted


def _schema_misfit(data: dict[str, object]) -> str | None:
    """Why a body breaks the documented schema; what the preferences' own checks refuse is
    left to them first (BadInput, a 400 in their words, as the API has always said)."""
    normalise_email(data.get("email"))
    parse_preferences(data)
    return api_doc.schema_problem(data)


def _too_many(data: Mapping[str, object]) -> str | None:
    """Why a list of the body is refused: more entries than the schema's maxItems (repeats count:
    a longer list is not silently cut to the first ones)."""
    for name in api_doc.LISTS:
        value = data.get(name)
        if isinstance(value, list) and len(value) > MAX_INTERESTS:
            return f"{name}: {MAX_INTERESTS} at most, not {len(value)}"
    return None


def _json_body(body: bytes) -> object:
    data = json.loads(body)  # RecursionError when nested too deep
    json.dumps(data, ensure_ascii=False).encode()  # lone surrogates like "\ud800" raise here
    return data


@router.get("/demo/mailbox", response_class=HTMLResponse, include_in_schema=False)
async def mailbox_page(request: Request) -> Response:
    """The demo's mailbox: the emails a demo without a mail server would have sent."""
    ctx = _ctx(request)
    if not ctx.settings.mailbox:
        lines = ("The mailbox exists only in the demo, when no mail server is configured.",)
        return _message(ctx, "Not found", *lines, status=404)
    letters = await run_in_threadpool(read_mailbox, ctx.engine, ctx.settings)
    return _page(ctx, "mailbox", 200, letters=letters, mailbox=True)


@router.get("/confirm", response_class=HTMLResponse)
async def confirm_page(request: Request, token: str = "") -> Response:
    """The link in the confirmation email: a page whose button confirms. Mail scanners (Safe
    Links, Proofpoint) open every link in a message, so a GET must not confirm."""
    ctx = _ctx(request)
    try:
        sub = await run_in_threadpool(confirm_request, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _not_confirmed(ctx, exc)
    if sub.status == "confirmed":  # a link followed again says so, as it does not ask twice
        return _confirmed(ctx, sub)
    digests = sub.prefs.frequency != "none"
    here = _HERE.get()
    if here and wants_json(here[0]):
        return _message(ctx, "Confirm your address", "POST to this link to confirm.")
    action = "/confirm?" + urlencode({"token": token})  # relative: CSP form-action 'self'
    return _page(ctx, "confirm", email=sub.email, digests=digests, action=action)


@router.post("/confirm", response_class=HTMLResponse)
async def confirm_now(request: Request, token: str = "") -> Response:
    """The confirmation page's button: confirms the address by the link's token alone (no
    login; the token, sent only to that address, is what another site cannot forge)."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _message(ctx, "Not confirmed", "This form was sent from another site.", status=403)
    try:
        sub = await run_in_threadpool(confirm, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _not_confirmed(ctx, exc)
    return _confirmed(ctx, sub)


def _not_confirmed(ctx: DigestSite, exc: TokenError) -> Response:
    return _message(
        ctx, "Link not valid", str(exc), "Subscribe again to get a fresh one.", status=400
    )


def _confirmed(ctx: DigestSite, sub: Subscriber) -> Response:
    manage_url = links_for(ctx.settings, sub).token_url("/preferences", "manage")
    if sub.prefs.frequency == "none":
        told = f"Replies and comments on your papers will be emailed to {sub.email}; no digests."
        return _message(ctx, "Address confirmed", told, manage_url=manage_url)
    told = f"Digests will go to {sub.email}. The first one covers the latest papers."
    return _message(ctx, "You are subscribed", told, manage_url=manage_url)


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


@router.get("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str = "") -> Response:
    """Ask before leaving: link scanners follow GET links, so only a POST unsubscribes."""
    ctx = _ctx(request)
    try:
        sub = await run_in_threadpool(
            subscriber_by_unsubscribe_token, ctx.engine, ctx.settings, token
        )
    except TokenError as exc:
        return _unsubscribe_refused(ctx, exc)
    if sub.status == "unsubscribed":
        return _message(ctx, "You are unsubscribed", f"No more digests go to {sub.email}.")
    links = links_for(ctx.settings, sub)
    action = "/unsubscribe?" + urlencode({"token": token})
    manage = links.token_url("/preferences", "manage")
    return _page(ctx, "unsubscribe", email=sub.email, action=action, manage_url=manage)


@router.post("/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_now(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click unsubscribe (and the button on the page): no cookies, no login."""
    ctx = _ctx(request)
    try:
        notices = await run_in_threadpool(unsubscribe, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _unsubscribe_refused(ctx, exc)
    if notices:
        return _message(
            ctx,
            "You are unsubscribed",
            "No more digests will be sent to this address. Notices of replies to you and of "
            "comments on your papers still come here; each has a link to stop them, and your "
            "profile settings turn them off.",
        )
    return _message(ctx, "You are unsubscribed", "No more digests will be sent to this address.")


def _unsubscribe_refused(ctx: DigestSite, exc: TokenError) -> Response:
    if isinstance(exc, Forgotten):  # forgotten once it left: the link's job is done
        return _message(ctx, "You are unsubscribed", str(exc))
    return _message(ctx, "Link not valid", str(exc), status=400)


@router.get(STOP_PATH, response_class=HTMLResponse, include_in_schema=False)
async def stop_notices_page(request: Request, token: str = "") -> Response:
    """Ask before stopping notice emails: link scanners follow GET links, only a POST acts."""
    ctx = _ctx(request)
    try:
        stopped = await run_in_threadpool(notices_stopped, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    if stopped:  # a link followed again says so, as it does not ask twice
        lines = ("No emails about replies and comments are sent to you.",
                 "Turn them back on in your settings at any time.")  # fmt: skip
        return _message(ctx, "Notice emails are off", *lines)
    return _page(ctx, "notices_stop", action=f"{STOP_PATH}?" + urlencode({"token": token}))


@router.post(STOP_PATH, response_class=HTMLResponse, include_in_schema=False)
async def stop_notices_now(request: Request, token: str = "") -> Response:
    """RFC 8058 one-click (and the page's button): turns notice emails off, by token alone."""
    ctx = _ctx(request)
    try:
        await run_in_threadpool(stop_notices, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    lines = ("No more emails about replies and comments will be sent.",
             "Turn them back on in your settings at any time.")  # fmt: skip
    return _message(ctx, "Notice emails are off", *lines)


@router.get(LINK_PATH, response_class=HTMLResponse, include_in_schema=False)
async def link_account_page(request: Request, token: str = "") -> Response:
    """Ask before linking: a mail scanner that follows the emailed link must not join an
    address to an account; the page names both, and only its button (a POST) links."""
    ctx = _ctx(request)
    try:
        sub, username, linked = await run_in_threadpool(
            link_request, ctx.engine, ctx.settings, token
        )
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    if linked:  # used already: nothing to ask
        line = f"Emails about replies and comments on your papers go to {sub.email} already."
        return _message(ctx, "Address linked", line)
    action = f"{LINK_PATH}?" + urlencode({"token": token})
    return _page(ctx, "notices_link", action=action, email=sub.email, username=username)


@router.post(LINK_PATH, response_class=HTMLResponse, include_in_schema=False)
async def link_account_now(request: Request, token: str = "") -> Response:
    """The link-account page's button: joins the address to the account, by token alone."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _message(ctx, "Not linked", "This form was sent from another site.", status=403)
    try:
        sub = await run_in_threadpool(link_account, ctx.engine, ctx.settings, token)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    line = f"Emails about replies and comments on your papers will go to {sub.email}."
    return _message(ctx, "Address linked", line)


# --- 👍 / 👎 from a digest ---------------------------------------------------------------------

RATINGS = {"1": 1, "-1": -1, "0": 0}
_HEADINGS = {
    (False, 1): "👍 More like this?",
    (False, -1): "👎 Less like this?",
    (True, 1): "Noted: more like this",
    (True, -1): "Noted: less like this",
    (True, 0): "Rating taken back",
}


@dataclass(frozen=True)
class _Rating:
    """What a digest's rating link asks for: whose account, which paper, which rating."""

    user_id: int
    username: str
    paper_id: str
    title: str
    rating: int
    current: int = 0  # the rating the reader gave the paper already (0: none)


class _NotRated(ValueError):
    """A rating link that cannot be followed (its status code and message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _rating_of(ctx: DigestSite, token: str, paper: str, r: str) -> _Rating:
    if r not in RATINGS:
        raise _NotRated(400, "A rating is 1 (more like this), -1 (less like this) or 0.")
    sub = subscriber_by_rate_token(ctx.engine, ctx.settings, token)  # TokenError: a bad link
    with ctx.engine.connect() as conn:
        user = user_by_id(conn, sub.user_id) if sub.user_id is not None else None
        found = get_paper(conn, paper) if paper else None
        given = user_ratings(conn, user.id, [found.id]) if user and found else {}
    if user is None:
        raise _NotRated(400, "This subscription has no account, so it keeps no ratings.")
    if found is None:
        raise _NotRated(404, f"There is no paper {paper[:80]!r} here.")
    title = plain(found.title)
    return _Rating(user.id, user.username, found.id, title, RATINGS[r], given.get(found.id, 0))


def _rate_page(ctx: DigestSite, token: str, paper: str, r: str) -> Response | _Rating:
    try:
        return _rating_of(ctx, token, paper, r)
    except TokenError as exc:
        return _message(ctx, "Link not valid", str(exc), status=400)
    except _NotRated as exc:
        return _message(ctx, "Not rated", str(exc), status=exc.status)


def _rated(ctx: DigestSite, token: str, asked: _Rating, done: bool) -> Response:
    def action(r: int) -> str:
        return f"{RATE_PATH}?" + urlencode({"token": token, "paper": asked.paper_id, "r": r})

    word = {1: "More like this", -1: "Less like this"}.get(asked.rating, "Take back")
    return _page(
        ctx,
        "rate",
        heading=_HEADINGS.get((done, asked.rating), word),
        title=asked.title,
        paper_url=f"/papers/{asked.paper_id}",
        username=asked.username,
        rating=asked.rating,
        done=done,
        button=word,
        action=action(asked.rating),
        undo=action(0),
    )


@router.get(RATE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def rate_page(request: Request, token: str = "", paper: str = "", r: str = "") -> Response:
    """A digest's 👍 / 👎 link: asks first (link scanners follow GET links, only a POST rates)."""
    ctx = _ctx(request)
    asked = await run_in_threadpool(_rate_page, ctx, token, paper, r)
    if isinstance(asked, Response):
        return asked
    # A link used already (or a rating given on the site) says so, with its undo; not again.
    return _rated(ctx, token, asked, asked.rating != 0 and asked.current == asked.rating)


@router.post(RATE_PATH, response_class=HTMLResponse, include_in_schema=False)
async def rate_now(request: Request, token: str = "", paper: str = "", r: str = "") -> Response:
    """Rate the paper for the subscription's account, by the link's token alone (no login)."""
    ctx = _ctx(request)
    if not same_origin(request, ctx.settings):
        return _cross_site(ctx)
    asked = await run_in_threadpool(_rate_page, ctx, token, paper, r)
    if isinstance(asked, Response):
        return asked

    def store() -> None:
        with ctx.engine.begin() as conn:
            set_rating(conn, asked.user_id, asked.paper_id, asked.rating or None)

    await run_in_threadpool(store)
    return _rated(ctx, token, asked, True)
