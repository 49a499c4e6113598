"""The admin console: job runs and "run now", what is queued, failed mail, users; all logged."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from math import ceil
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed.markup import render_markdown
from paperfeed.pipeline import Context, find_job, registry, run_job
from paperfeed.pipeline.plan import counts_words, describe, in_words, outcome_words, plans
from paperfeed.pipeline.runner import Outcome
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store.accounts import (
    DELETED_NAME,
    count_users,
    list_users,
    set_admin,
    set_suspended,
    user_by_id,
)
from paperfeed.store.collection_editors import InUse, used_by_others, used_by_others_of
from paperfeed.store.community import held_comments
from paperfeed.store.erasure import delete_account
from paperfeed.store.invites import recent_invites
from paperfeed.util import utcnow
from paperfeed.web.confirm import Confirmed, ask
from paperfeed.web.deps import AdminDep, FormCsrf, RowId, Site, SiteDep, html

if TYPE_CHECKING:  # the search stack loads on first use
    from paperfeed.search.progress import Build

log = logging.getLogger(__name__)


def now() -> datetime:
    """The time the next runs are counted from (a seam for tests)."""
    return datetime.now(UTC)


router = APIRouter(prefix="/admin", include_in_schema=False)
Flag = Annotated[int, Form(ge=0, le=1)]


USERS_PER_PAGE = 100  # users listed on one page of the console
ACTIONS_PER_PAGE = 50  # lines of the admin log on one page
Find = Annotated[str, Query(max_length=64, description="a part of a user name")]
FoundBy = Annotated[str, Form(max_length=64, description="the console's user search")]
PageNo = Annotated[int, Query(ge=1, le=100_000, description="the page, from 1")]


@dataclass(frozen=True)
class Paged:
    """One page of a long list the console shows, with links to its neighbours."""

    items: list[Any]
    page: int
    pages: int
    total: int
    find: str
    prev: str = ""  # the console at the newer page, "" on the first
    next: str = ""  # the console at the older page, "" on the last


def _paged(
    count: int, page: int, per_page: int, find: str, read: Callable[[int], list[Any]]
) -> Paged:
    pages = max(ceil(count / per_page), 1)
    page = min(page, pages)
    return Paged(read((page - 1) * per_page), page, pages, count, find)


def _linked(users: Paged, actions: Paged) -> tuple[Paged, Paged]:
    """Both lists with page links that keep the other list where it is."""
    here = {"user": users.find, "users_page": users.page, "log": actions.find}
    here["log_page"] = actions.page

    def url(key: str, page: int, anchor: str) -> str:
        return f"/admin?{urlencode(here | {key: page})}#{anchor}"

    def link(p: Paged, key: str, anchor: str) -> Paged:
        newer = url(key, p.page - 1, anchor) if p.page > 1 else ""
        return replace(p, prev=newer, next=url(key, p.page + 1, anchor) if p.page < p.pages else "")

    return link(users, "users_page", "users"), link(actions, "log_page", "log")


def _users_at(user: str) -> str:
    """The console's user list, as found by `user`."""
    return f"/admin?{urlencode({'user': user})}#users" if user else "/admin#users"


@router.get("")
def console(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    done: str = "",
    user: Find = "",
    users_page: PageNo = 1,
    log: Find = "",
    log_page: PageNo = 1,
) -> Response:
    """Everything an operator checks: jobs, queues, failed mail, users (found by name, paged),
    the log of admin actions (by or about a name, paged)."""
    jobs, settings = registry(), site.settings
    user, log = user.strip(), log.strip()
    with site.engine.connect() as conn:
        people = _paged(
            count_users(conn, user),
            users_page,
            USERS_PER_PAGE,
            user,
            lambda at: list_users(conn, USERS_PER_PAGE, at, user),
        )
        logged = _paged(
            db.count_actions(conn, log),
            log_page,
            ACTIONS_PER_PAGE,
            log,
            lambda at: db.recent_actions(conn, ACTIONS_PER_PAGE, at, log),
        )
        upcoming = plans(conn, settings, jobs, now())
        checked = db.last_schedule_check(conn)
        context = {
            "jobs": jobs,
            "next": {p.job: (p, in_words(p, settings.pipeline_timezone)) for p in upcoming},
            "schedule": describe(settings, now()),
            "outcome": outcome_words,  # a run's outcome and counts, as `jobs list` says them
            "counted": counts_words,
            "checked": checked,
            "jobs_here": checked is not None and checked[1] in (os.getpid(), os.getppid()),
            "last": db.last_runs(conn),
            "runs": db.recent_runs(conn, 30),
            "outbox": db.outbox_depth(conn),
            "unreachable": db.unreachable_mail(conn),
            "not_embedded": request.app.state.metrics.backlog.read(),
            "failed": db.failed_deliveries(conn, 50),
            "users": people,
            "actions": logged,
            "invites": recent_invites(conn, 30),
            # Held comments' links as text: a moderator reads where they lead, clicks none.
            "held": [(c, render_markdown(c.body, links=False)) for c in held_comments(conn)],
            "hold_links": settings.comment_hold_links,
            "new_hours": settings.trending_new_account_hours,
            "today": utcnow(),
            "signup": settings.signup,
            "invite_days": settings.invite_days,
        }
        shown = [u.id for u in people.items]
        in_use = used_by_others_of(conn, shown)  # Suspend's and Delete's questions name them
        context["in_use"] = {
            uid: (hidden_by_suspending(found), _gone_by_deleting(found), named_in_use(found))
            for uid, found in in_use.items()
        }
        context["hidden_sentence"] = HIDDEN_BY_SUSPENDING  # the bulk question's, in the browser
    context["users"], context["actions"] = _linked(people, logged)
    context["index_build"], context["index_beside"] = _index_build(settings)
    # What the last action did comes back in the address it redirects to; a link from outside
    # (a mail, another site, typed) could put made-up words there, so only a navigation from
    # this site shows them (browsers say where one came from; a client that does not is trusted).
    from_here = request.headers.get("sec-fetch-site", "same-origin") == "same-origin"
    notice = done[:200] if from_here else ""
    body = site.render("admin.html", user=admin, notice=notice, **context)
    return html(site, request, body)


def _index_build(settings: Settings) -> tuple[Build | None, bool]:
    """This node's search index build under way (how far it got), if any, and whether it is
    beside the index searches answer from meanwhile."""
    from paperfeed.search.beside import build_under_way  # the search stack loads on first use

    return build_under_way(settings.index_dir / "keyword")


def _log(site: Site, who: str, action: str, target: str) -> None:
    with site.writing() as conn:
        db.record_action(conn, who, action, target)


@router.post("/jobs/{name}/run", dependencies=[FormCsrf])
def run_now(site: SiteDep, admin: AdminDep, name: str) -> Response:
    """Start a job now, in the background (the page shows its run when it is recorded)."""
    job = find_job(name)
    if job is None:
        raise HTTPException(404, f"there is no job called {name!r}")
    stop = threading.Event()  # set when this process shuts down: the job ends, recorded
    ctx = Context(site.engine, site.settings, stop=stop)
    ended: list[str] = []
    thread = threading.Thread(
        target=lambda: ended.append(_said(run_job(ctx, job, "admin"))), daemon=True
    )
    _RUNNING[:] = [r for r in _RUNNING if r[0].is_alive()]
    _RUNNING.append((thread, stop, job.name))
    thread.start()
    thread.join(RUN_NOW_WAIT)  # long enough to learn that another process holds the job
    if ended == ["busy"]:
        said = f"{name} is already running elsewhere; nothing was started"
        return RedirectResponse(f"/admin?{urlencode({'done': said})}", status_code=303)
    _log(site, admin.username, "run job", name)
    said = f"{name} ran: {ended[0]}" if ended else f"started {name}"
    return RedirectResponse(f"/admin?{urlencode({'done': said})}", status_code=303)


def _said(outcome: Outcome) -> str:
    """How a run ended, in the Jobs table's words ("busy" as it is: the caller reads it)."""
    return outcome_words(outcome.status, outcome.counts)


def _name_of(site: Site, user_id: int) -> str:
    with site.engine.connect() as conn:
        target = user_by_id(conn, user_id)
    if target is None:
        raise HTTPException(404, "no such user")
    return target.username


RUN_NOW_WAIT = 1.0  # seconds "Run now" waits before answering "started"
# Jobs started by "Run now" in this process: told to stop when it shuts down.
_RUNNING: list[tuple[threading.Thread, threading.Event, str]] = []


def stop_runs(site: Site, wait: float = 25.0) -> None:
    """Ask the jobs "Run now" started here to stop, wait for them (at most `wait` seconds in
    all), and record any still going as stopped with the process: never left "running"."""
    for _thread, stop, _name in _RUNNING:
        stop.set()
    deadline = time.monotonic() + wait
    for thread, _stop, name in _RUNNING:
        thread.join(max(deadline - time.monotonic(), 0))
        if thread.is_alive():
            with site.engine.begin() as conn:
                db.abandon_running(conn, name)
            log.warning("%s: still running as the server stopped; recorded as stopped", name)
    _RUNNING.clear()


@router.post("/outbox/{outbox_id}/retry", dependencies=[FormCsrf])
def retry(site: SiteDep, admin: AdminDep, outbox_id: RowId) -> Response:
    """Queue a failed email again; the next digest run sends it."""
    with site.writing() as conn:
        if not db.retry_delivery(conn, outbox_id):
            raise HTTPException(400, "that message is not a failed delivery that can be retried")
        db.record_action(conn, admin.username, "retry delivery", str(outbox_id))
    return RedirectResponse("/admin?done=queued+again#failed", status_code=303)


@router.post("/users/{user_id}/suspend", dependencies=[FormCsrf])
def suspend(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    user_id: RowId,
    suspended: Flag,
    confirmed: Confirmed = 0,
    user: FoundBy = "",
) -> Response:
    """Suspend a user (after a question: their sessions end, sign-in is refused) or lift the
    suspension."""
    if user_id == admin.id:
        raise HTTPException(400, "you cannot suspend yourself")
    if suspended and not confirmed:
        name = _name_of(site, user_id)
        with site.engine.connect() as conn:
            hidden = hidden_by_suspending(used_by_others(conn, user_id))
        question = f"Suspend {name}? Their sessions end and they cannot sign in." + hidden
        fields = [("suspended", "1"), ("user", user)]
        return ask(request, site, admin, question, _users_at(user), fields, "Suspend")
    with site.writing() as conn:
        target = user_by_id(conn, user_id)
        if target is None or not set_suspended(conn, user_id, bool(suspended)):
            raise HTTPException(404, "no such user")
        action = "suspend" if suspended else "unsuspend"
        db.record_action(conn, admin.username, action, target.username)
    said = urlencode({"done": f"{action} {target.username}", "user": user})
    return RedirectResponse(f"/admin?{said}#users", status_code=303)


def _collections_in_use(site: Site, user_id: int) -> str:
    """What the deletion takes from other readers: the collections they edit or follow."""
    with site.engine.connect() as conn:
        return _gone_by_deleting(used_by_others(conn, user_id))


def _gone_by_deleting(in_use: list[InUse]) -> str:
    return f" Its collections that others use go too: {named_in_use(in_use)}." if in_use else ""


HIDDEN_BY_SUSPENDING = (
    " Their collections that others use are hidden from those editors and followers until"
    " the suspension is lifted: {named}."
)


def hidden_by_suspending(in_use: list[InUse]) -> str:
    """What a suspension hides from other readers, as its question says it ("" for nothing)."""
    if not in_use:
        return ""
    return HIDDEN_BY_SUSPENDING.replace("{named}", named_in_use(in_use))


def named_in_use(in_use: list[InUse]) -> str:
    """The collections others use, each with how many edit and follow it."""
    return "; ".join(f"“{u.collection.name}” ({_users_of(u)})" for u in in_use)


def _users_of(u: InUse) -> str:
    counts = ((u.editors, "editor"), (u.followers, "follower"))
    return ", ".join(f"{n:,} {what}{'' if n == 1 else 's'}" for n, what in counts if n)


@router.post("/users/{user_id}/delete", dependencies=[FormCsrf])
def delete_user(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    user_id: RowId,
    confirmed: Confirmed = 0,
    user: FoundBy = "",
) -> Response:
    """Delete an account (after a question), as its owner can: private data gone, comments
    left as DELETED_NAME's, the handle reserved; logged."""
    if user_id == admin.id:
        raise HTTPException(400, "delete your own account from /account/delete")
    if not confirmed:
        name = _name_of(site, user_id)
        question = (
            f"Delete the account {name}? Its private data goes for good; its comments stay "
            f"as “{DELETED_NAME}” and the handle stays reserved."
        ) + _collections_in_use(site, user_id)
        return ask(request, site, admin, question, _users_at(user), [("user", user)], "Delete")
    with site.writing() as conn:
        target = user_by_id(conn, user_id)
        if target is None or not delete_account(conn, user_id):
            raise HTTPException(404, "no such account (or it is deleted already)")
        db.record_action(conn, admin.username, "delete account", target.username)
    said = urlencode({"done": f"deleted {target.username}", "user": user})
    return RedirectResponse(f"/admin?{said}#users", status_code=303)


@router.post("/users/{user_id}/admin", dependencies=[FormCsrf])
def make_admin(
    request: Request,
    site: SiteDep,
    admin: AdminDep,
    user_id: RowId,
    is_admin: Flag,
    confirmed: Confirmed = 0,
    user: FoundBy = "",
) -> Response:
    """Grant (after a question) or revoke the admin role."""
    if user_id == admin.id and not is_admin:
        raise HTTPException(400, "you cannot take your own admin role away")
    if is_admin and not confirmed:
        name = _name_of(site, user_id)
        question = f"Make {name} an admin? Admins moderate, suspend accounts and run jobs."
        fields = [("is_admin", "1"), ("user", user)]
        return ask(request, site, admin, question, _users_at(user), fields, "Make admin")
    with site.writing() as conn:
        target = user_by_id(conn, user_id)
        if target is None:
            raise HTTPException(404, "no such user")
        set_admin(conn, target.username, bool(is_admin))
        action = "make admin" if is_admin else "revoke admin"
        db.record_action(conn, admin.username, action, target.username)
    return RedirectResponse(f"/admin?{urlencode({'done': action, 'user': user})}#users", 303)
