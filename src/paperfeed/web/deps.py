"""Per-process site state and the request dependencies route handlers declare."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, unquote

from fastapi import Depends, Form, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.concurrency import run_in_threadpool

from paperfeed.settings import Settings
from paperfeed.store.accounts import SessionTerms, TokenGrant, User, session_user, token_user
from paperfeed.store.api_tokens import is_personal
from paperfeed.store.community import unseen_count
from paperfeed.store.sql import brief_wait
from paperfeed.store.visits import record_visit, visit_due
from paperfeed.trending import TrendingWeights
from paperfeed.util import Lru, is_disk_full, site_url
from paperfeed.web import csrf
from paperfeed.web.cache import Cached, PageKey
from paperfeed.web.ratelimit import SharedLimiter, SignInLimits
from paperfeed.web.render import create_env, static_url
from paperfeed.web.venue_params import VenueNames
from paperfeed.web.version import DataVersion

if TYPE_CHECKING:
    from paperfeed.search import SearchResult, SearchService

SESSION_COOKIE = "pf_session"
log = logging.getLogger(__name__)
# How long a page view that begins a visit waits for another writer before leaving the visit
# out (a long ingest or backup holds SQLite's lock for minutes; the page should not wait).
VISIT_WAIT_SECONDS = 0.25


class SignInRequired(Exception):
    """The action needs a signed-in user."""


class Site:
    """Everything created once per process: settings, engine, templates, caches, search."""

    def __init__(self, settings: Settings, engine: Engine, secret: bytes) -> None:
        self.settings, self.engine, self.secret = settings, engine, secret
        idle = timedelta(hours=settings.session_idle_hours) if settings.session_idle_hours else None
        self.session_terms = SessionTerms(timedelta(days=settings.session_days), idle)
        self.env: Environment = create_env()
        self.env.globals["mailbox"] = settings.mailbox  # the demo links its mailbox page
        self.env.globals["public_url"] = settings.public_url.rstrip("/")  # for canonical links
        self.env.globals["signup_open"] = settings.signup == "open"  # the header's Sign up
        self.env.globals["privacy_url"] = settings.privacy_url  # the operator's notice, if any
        self.env.globals["zotero_import"] = bool(settings.zotero_api_url)  # the import page's
        # Every link of the site, under the path it is served at (PAPERFEED_BASE_URL's).
        self.env.globals["site_url"] = partial(site_url, settings.root_path)
        self.env.globals["static_url"] = partial(static_url, settings.root_path)
        self.cache: Lru[PageKey, Cached] = Lru(settings.page_cache_entries)  # 0: none
        # Search answers behind signed-in pages (their cards are the reader's own), keyed as
        # the anonymous page is, and by the reader's mutes.
        self.results: Lru[tuple[object, ...], SearchResult] = Lru(settings.page_cache_entries)
        window, key = settings.rate_window_seconds, secret.decode()
        # Every limit is counted in the store: N workers (or nodes) do not allow N times as many.
        # Its keys are HMACs under the secret: the rows name no address or account.
        limiter = partial(SharedLimiter, engine, secret=key)
        self.auth_limiter = limiter(settings.auth_rate_limit, window)  # sign-ups
        self.sign_in_limits = SignInLimits(
            engine,
            (
                settings.auth_rate_limit,
                settings.auth_account_rate_limit,
                settings.auth_address_rate_limit,
            ),
            window,
            secret=key,
        )
        self.submit_limiter = limiter(settings.submit_rate_limit, window)
        self.submit_account_limiter = limiter(settings.submit_account_rate_limit, window)
        self.comment_limiter = limiter(settings.comment_address_rate_limit, 3600)
        self.reaction_limiter = limiter(settings.reaction_rate_limit, 60)
        self.vote_limiter = limiter(settings.vote_rate_limit, 60)
        self.weights = TrendingWeights.from_settings(settings)
        # Submissions wait on arXiv in request threads: only a few at once (issue 9).
        self.fetch_slots = threading.BoundedSemaphore(settings.submit_concurrent_fetches)
        self.arxiv_failed_at = -math.inf  # time.monotonic() of the last failed fetch from arXiv
        self._search: SearchService | None = None
        self._lock = threading.Lock()
        self.version = DataVersion(engine, settings.page_cache_check_seconds)
        self.venue_names = VenueNames(engine)  # the search page's Conference field offers

    def search(self) -> SearchService:
        """The search service, created on first use and shared by all requests."""
        with self._lock:
            if self._search is None:
                # Imported here: loading the search stack (ONNX, indexes) is slow, pages are not.
                from paperfeed.search import SearchService

                self._search = SearchService(self.settings, self.engine)
            return self._search

    def data_version(self) -> str:
        """The store's data version, read at most every `page_cache_check_seconds`."""
        return self.version.current()

    def data_changed(self) -> None:
        """Forget the data version: this process just changed something pages show."""
        self.version.changed()

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction whose changes cached pages must not hide."""
        try:
            with self.engine.begin() as conn:
                yield conn
        finally:
            self.data_changed()

    def warm_search(self) -> None:
        """Create the search service and bring its indexes up to date."""
        try:
            self.search().refresh()
        except Exception:  # a cold search must not take the site down; searches retry
            log.exception("warming the search indexes failed")

    def search_loaded(self) -> bool:
        """True once the search indexes have been loaded in this process."""
        return self._search is not None and self._search.is_loaded()

    def paper_changed(self) -> None:
        """Let a loaded search index pick up a paper stored just now."""
        if self._search is not None:
            self._search.refresh()

    def close(self) -> None:
        """Release the search service's worker thread (a restarted app builds a new service)."""
        with self._lock:
            closed, self._search = self._search, None
        if closed is not None:
            closed.close()

    def render(self, template: str, **context: object) -> str:
        """Render a template to text (forms carry the CSRF placeholder)."""
        return self.env.get_template(template).render(csrf=csrf.PLACEHOLDER, **context)


async def get_site(request: Request) -> Site:
    """The Site of the app serving this request."""
    site: Site = request.app.state.site
    return site


SiteDep = Annotated[Site, Depends(get_site)]

# Every id the store hands out (a comment's, a collection's, a user's) fits a 32-bit INTEGER in
# both databases; a larger number in a request is refused here, before a query fails on it.
ROW_ID_MOST = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MOST)]
RowIdQuery = Annotated[int | None, Query(ge=1, le=ROW_ID_MOST)]
RowIdForm = Annotated[int | None, Form(ge=1, le=ROW_ID_MOST)]


def session_token(request: Request) -> str | None:
    """The session token from the cookie or an `Authorization: Bearer` header."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def bearer_sent(request: Request) -> bool:
    """Whether the request names its token in an `Authorization: Bearer` header (a script)."""
    return request.headers.get("authorization", "").lower().startswith("bearer ")


READ_ONLY = (
    "this API token is read-only: it can read (GET) but not change anything; make a token "
    "without “Read only” on /account for that"
)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_user(request: Request, site: SiteDep) -> User | None:
    """The signed-in user, or None (anonymous requests cost no database call or thread). A
    bearer token that is not valid is refused (401), not taken for no token: the answer would
    silently lack the reader's mutes. A read-only personal token may only read (403)."""
    token = session_token(request)
    if not token:
        return None
    bearer = bearer_sent(request)
    user, grant = await run_in_threadpool(_signed_in, site, token, bearer, _visits(request))
    if user is None and bearer:
        raise SignInRequired()
    _check_grant(request, grant)
    return user


def for_machines(path: str) -> bool:
    """Whether a path answers scripts and feed readers (the API, feeds, BibTeX, Markdown)."""
    return path.startswith(("/api/", "/feeds/")) or path.endswith(("/bibtex", ".md"))


def _visits(request: Request) -> bool:
    """Whether the request is a person looking at a page (a visit, `record_visit`)."""
    return request.method == "GET" and not for_machines(request.url.path)


def _check_grant(request: Request, grant: TokenGrant | None) -> None:
    """Note a personal token's grant on the request; refuse a write by a read-only one."""
    if grant is None:
        return
    request.state.api_token = grant
    if grant.read_only and request.method not in _READS and not _ends_itself(request, grant):
        raise HTTPException(403, READ_ONLY)


def _ends_itself(request: Request, grant: TokenGrant) -> bool:
    """Whether the request revokes the token it is made with (POST /api/logout, or DELETE
    /api/me/tokens/ID of its own id): a read-only token may always do that (one that leaked can
    be ended by whoever holds it). Routes are told by name (a router's route keeps its own
    path, without the prefix it is served under)."""
    name = getattr(request.scope.get("route"), "name", "")
    if request.method == "POST" and name == "logout":
        return True
    own = request.path_params.get("token_id") == str(grant.token_id)
    return request.method == "DELETE" and name == "revoke" and own


def api_token_of(request: Request) -> TokenGrant | None:
    """The personal API token the request was made with (None: a sign-in, or no one)."""
    grant: TokenGrant | None = getattr(request.state, "api_token", None)
    return grant


def _signed_in(
    site: Site, token: str, bearer: bool, visit: bool = False
) -> tuple[User | None, TokenGrant | None]:
    """The user of a personal API token (bearer only) or of a session, and the token's grant;
    the session counts as used (its idle limit starts again). A page's user (not `bearer`)
    comes with the count of unseen notifications its header shows; with `visit`, the page
    view counts towards what is new to them (`record_visit`)."""
    with site.engine.begin() as conn:
        if bearer and is_personal(token):
            found = token_user(conn, token)
            if found is not None:
                return found
        user = session_user(conn, token, site.session_terms)
        if user is None or bearer:
            return user, None
        user = _note_visit(conn, user) if visit and visit_due(user) else user
        return replace(user, unseen=unseen_count(conn, user.id)), None


def _note_visit(conn: Connection, user: User) -> User:
    """`record_visit`, left out when the store cannot write now (a full disk, or another
    writer holding SQLite's lock for over VISIT_WAIT_SECONDS): a page is still read, and a later
    page view notes the visit. Called only when the view begins a visit (`visit_due`), so a
    page view within a visit writes nothing and opens no savepoint."""
    try:
        with brief_wait(conn, VISIT_WAIT_SECONDS), conn.begin_nested():
            return record_visit(conn, user)
    except DBAPIError as exc:
        if not (is_disk_full(exc) or isinstance(exc, OperationalError)):
            raise
        log.warning("the store cannot write now: this page view is not noted as a visit")
        return user


def live_session(site: Site, token: str, bearer: bool = False) -> bool:
    """Whether a session token (cookie or bearer) or a personal API token (bearer) is signed
    in now. Blocking: run in a thread."""
    return _signed_in(site, token, bearer)[0] is not None


UserDep = Annotated[User | None, Depends(get_user)]


def require_user(user: UserDep) -> User:
    """The signed-in user; otherwise sign-in is required."""
    if user is None:
        raise SignInRequired()
    return user


SignedInDep = Annotated[User, Depends(require_user)]


def require_admin(user: SignedInDep) -> User:
    """The signed-in admin; anyone else gets 403."""
    if not user.is_admin:
        raise HTTPException(403, "only an admin can do that")
    return user


AdminDep = Annotated[User, Depends(require_admin)]


def check_form_csrf(
    request: Request, site: SiteDep, csrf_token: Annotated[str, Form()] = ""
) -> None:
    """Reject a form post whose CSRF token does not match the browser's cookie."""
    if not _csrf_ok(site, request, csrf_token):
        raise HTTPException(403, "the form expired or came from another site; reload and retry")


def check_api_csrf(
    request: Request, site: SiteDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> None:
    """API writes: a bearer token, or a cookie session plus the X-CSRF-Token header."""
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if bearer or SESSION_COOKIE not in request.cookies:
        return  # nothing a forged request could ride on; sign-in is checked next
    if not _csrf_ok(site, request, x_csrf_token):
        raise HTTPException(403, "send Authorization: Bearer <token> or an X-CSRF-Token header")


def _csrf_ok(site: Site, request: Request, token: str | None) -> bool:
    """True when a token sent with a form or fetch is this browser's, for its session."""
    cookies = request.cookies
    return csrf.is_valid(
        site.secret, cookies.get(csrf.CSRF_COOKIE), token, cookies.get(SESSION_COOKIE)
    )


def signed_in_id(site: Site, request: Request, data: Mapping[str, object]) -> int | None:
    """The user a form or JSON post speaks for: a bearer token, or a session cookie with a valid
    CSRF token (form field or X-CSRF-Token header); None otherwise. Blocking: run in a thread."""
    token = session_token(request)
    if token is None:
        return None
    bearer = bearer_sent(request)
    if not bearer:
        sent = data.get(csrf.CSRF_FIELD) or request.headers.get(csrf.CSRF_HEADER)
        if not _csrf_ok(site, request, str(sent) if sent else None):
            return None
    user, grant = _signed_in(site, token, bearer)
    _check_grant(request, grant)
    return user.id if user else None


FormCsrf = Depends(check_form_csrf)
ApiCsrf = Depends(check_api_csrf)


def client_key(request: Request) -> str:
    """Who a rate limit applies to: the client's address.

    X-Forwarded-For counts only from PAPERFEED_TRUSTED_PROXIES (uvicorn's proxy-headers
    middleware, added by create_app, has already put the real client here).
    """
    return request.client.host if request.client else "unknown"


def html(site: Site, request: Request, body: str, status: int = 200) -> HTMLResponse:
    """An HTML response with this visitor's CSRF token swapped into its forms, and what the
    form that led here did said at the top of its main part (`say_next`)."""
    said = request.cookies.get(SAID_COOKIE)
    if said:
        body = _with_said(body, unquote(said)[:300])
    response = HTMLResponse(signed(site, request, body), status_code=status)
    if said:
        response.delete_cookie(SAID_COOKIE, httponly=True, samesite="lax")
    return response


SAID_COOKIE = "pf_said"
_MAIN_OPENED = '<main id="main" tabindex="-1">'


def say_next(response: Response, message: str) -> Response:
    """Have the next page shown say `message` (a plain form's redirect: the page it lands on
    says what was done, for screen readers too, as a fetch's status line does)."""
    response.set_cookie(SAID_COOKIE, quote(message), max_age=60, httponly=True, samesite="lax")
    return response


def _with_said(body: str, message: str) -> str:
    line = f'<p class="notice" role="status" data-said>{escape(message)}</p>'
    return body.replace(_MAIN_OPENED, _MAIN_OPENED + line, 1)


def signed(site: Site, request: Request, body: str) -> str:
    """A rendered page with this visitor's CSRF token swapped into its forms."""
    session = request.cookies.get(SESSION_COOKIE)
    return csrf.fill(body, csrf.token_for(site.secret, request.state.csrf_cookie, session))


def search_cache_key(request: Request, site: Site) -> tuple[str, ...]:
    """A search answer's key: the data version and how far this process's indexes have read.

    (A refresh runs in the background, so the first answer for a data version may predate it.)
    """
    search = site.search()
    search.refresh_if_due()  # a cached answer must not keep a due refresh from starting
    return (*cache_key(request, site), f"index:{search.generation}")


def cache_key(request: Request, site: Site) -> tuple[str, str, str]:
    """Key of a response that is the same for every anonymous visitor: URL and data version."""
    return (request.url.path, request.url.query, site.data_version())


def cached_page(site: Site, key: tuple[str, ...], user: User | None) -> Cached | None:
    """A cached rendering for anonymous visitors (signed-in pages are personal)."""
    return site.cache.get(key) if user is None else None
