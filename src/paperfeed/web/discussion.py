"""Discussions on papers: posting, threads as pages show them, rate limits and notifications."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html import unescape as html_unescape
from math import ceil

from fastapi import BackgroundTasks, HTTPException
from markupsafe import Markup
from sqlalchemy import Connection

from paperfeed.digest.notices import queue_notices, send_queued
from paperfeed.markup import MAX_COMMENT, MAX_MENTIONS, link_count, mentions, render_markdown
from paperfeed.store.accounts import User, is_new_account
from paperfeed.store.community import (
    Comment,
    CommentError,
    add_comment,
    claims_for_papers,
    comment_times_since,
    edit_comment,
    existing_names,
    find_user_id,
    get_comment,
    get_profile,
    is_reported,
    notified,
    notify,
    resent_comment,
    set_comment_held,
    thread,
    voted_comments,
)
from paperfeed.store.listings import paper_flags
from paperfeed.store.reactions import Reaction, reactions_on
from paperfeed.util import utcnow
from paperfeed.web.deps import Site
from paperfeed.web.ratelimit import Attempt

SORTS = ("top", "new")
# The same comment sent again this soon is a resend (a slow post pressed twice, or retried
# after its answer was lost), answered with the one posted, not posted twice.
RESEND_WINDOW = timedelta(minutes=10)


@dataclass
class CommentView:
    """A comment ready for a template: rendered body and what the viewer may do."""

    comment: Comment
    html: Markup
    upvoted: bool
    mine: bool
    replies: list[CommentView] = field(default_factory=list)
    reactions: tuple[Reaction, ...] = ()  # its emoji reactions, in the site's order


def body_html(comment: Comment) -> Markup:
    """A comment's rendered Markdown (links live only for accounts older than a day)."""
    if comment.deleted:
        return Markup('<p class="muted">[deleted]</p>')
    links = not is_new_account(comment.user_created)
    return render_markdown(comment.body, links=links, named=comment.mentions)


_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)


def listed_html(comment: Comment) -> Markup:
    """A comment as a list of comments shows it (/discussions, /notifications, a profile):
    its Markdown headings as bold lines, as they sit under no heading of their paper there."""
    return Markup(_HEADING.sub(r"<p><strong>\2</strong></p>", str(body_html(comment))))


def _view(comment: Comment, upvoted: bool, mine: bool) -> CommentView:
    if comment.hidden:  # shown as a deleted comment is: no text, no actions
        gone = replace(comment, deleted=True, body="")
        return CommentView(
            gone, Markup('<p class="muted">[hidden by a moderator]</p>'), False, False
        )
    return CommentView(comment, body_html(comment), upvoted, mine)


def evidence_html(comment: Comment) -> Markup:
    """A reported comment as a moderator sees it: also when its author deleted it since (its
    text is kept, for them only, while the reports wait)."""
    if not comment.deleted:
        return body_html(comment)
    kept = render_markdown(comment.body, links=False) if comment.body else Markup("")
    return Markup('<p class="muted">[deleted by its author after the report]</p>') + kept


def thread_views(
    conn: Connection, paper_id: str, user: User | None, sort: str
) -> list[CommentView]:
    """The discussion of a paper: top-level comments sorted, replies oldest first."""
    return _viewed(conn, _threads(conn, paper_id, sort, user), user)


THREADS_PER_PAGE = 50  # top-level comments (each with its replies) on a page of discussion


@dataclass(frozen=True)
class ThreadPage:
    """One page of a paper's discussion: some top-level comments, each with its replies."""

    threads: list[CommentView]
    page: int
    pages: int


def thread_page(
    conn: Connection,
    paper_id: str,
    user: User | None,
    sort: str,
    page: int = 1,
    focus: int | None = None,
) -> ThreadPage:
    """A page of `thread_views` (only its comments rendered); with `focus`, the page that
    holds that comment (or its thread), whatever `page` says."""
    threads = _threads(conn, paper_id, sort, user)
    pages = max(ceil(len(threads) / THREADS_PER_PAGE), 1)
    if focus is not None:
        at = next((i for i, (top, rs) in enumerate(threads) if focus in _ids(top, rs)), None)
        page = page if at is None else at // THREADS_PER_PAGE + 1
    page = min(max(page, 1), pages)
    shown = threads[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE]
    return ThreadPage(_viewed(conn, shown, user), page, pages)


def thread_slice(
    conn: Connection, paper_id: str, user: User | None, sort: str, offset: int, limit: int
) -> tuple[list[CommentView], int]:
    """`limit` threads of `thread_views` from `offset` (only their comments rendered), and how
    many threads the discussion has."""
    threads = _threads(conn, paper_id, sort, user)
    return _viewed(conn, threads[offset : offset + limit], user), len(threads)


def _ids(top: Comment, replies: list[Comment]) -> set[int]:
    return {top.id, *(r.id for r in replies)}


def _threads(
    conn: Connection, paper_id: str, sort: str, viewer: User | None
) -> list[tuple[Comment, list[Comment]]]:
    """The top-level comments sorted, each with its replies oldest first; a deleted or hidden
    one stays as a placeholder while replies stand under it. A comment held for review is
    there only for its author and moderators."""
    items = [c for c in thread(conn, paper_id, include_hidden=True) if _sees(viewer, c)]
    replies: dict[int, list[Comment]] = {}
    for c in items:
        if c.parent_id is not None and not c.hidden:
            replies.setdefault(c.parent_id, []).append(c)
    threads = [(c, replies.get(c.id, [])) for c in items if c.parent_id is None]
    threads = [(c, rs) for c, rs in threads if rs or not (c.deleted or c.hidden)]
    if sort == "new":
        threads.sort(key=lambda t: t[0].id, reverse=True)
    else:
        threads.sort(key=lambda t: (t[0].votes, t[0].id), reverse=True)
    return threads


def _sees(viewer: User | None, comment: Comment) -> bool:
    """Whether the viewer sees a comment held for review: its author and moderators do."""
    return (
        not comment.held
        or (viewer is not None and viewer.id == comment.user_id)
        or bool(viewer and viewer.is_admin)
    )


def _viewed(
    conn: Connection, threads: list[tuple[Comment, list[Comment]]], user: User | None
) -> list[CommentView]:
    """The threads rendered for the reader (their upvotes, reactions and own comments marked)."""
    ids = [i for top, rs in threads for i in sorted(_ids(top, rs))]
    mine = voted_comments(conn, user.id, ids) if user else set()
    reacted = reactions_on(conn, ids, user.id if user else None)  # one query for the page

    def view(c: Comment) -> CommentView:
        shown = _view(c, c.id in mine, bool(user and user.id == c.user_id))
        if not shown.comment.deleted:  # a hidden comment shows as deleted: no reactions
            shown.reactions = reacted.get(c.id, ())
        return shown

    out = []
    for top, rs in threads:
        shown = view(top)
        shown.replies = [view(r) for r in rs]
        out.append(shown)
    return out


def check_body(body: str) -> str:
    """A comment's text, trimmed, its line breaks "\n" (a browser sends "\r\n": a long
    comment of many lines was counted nearly twice); refuses oversized ones and those that
    show nothing (blanks, an HTML comment, a lone ">", "&nbsp;")."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not _shows_something(body):
        raise HTTPException(400, "write something first: the comment is empty")
    if len(body) > MAX_COMMENT:
        raise HTTPException(413, f"a comment holds at most {MAX_COMMENT:,} characters")
    return body


_BLANK_SIGNS = {"\u2800", "\u3164", "\u115f", "\u1160", "\uffa0"}  # blank, yet "letters"


def _visible(text: str) -> bool:
    return any(unicodedata.category(ch)[0] not in "CZ" and ch not in _BLANK_SIGNS for ch in text)


def _shows_something(body: str) -> bool:
    """Whether a comment shows any mark once rendered (text, maths, a rule or an image)."""
    if not _visible(body):
        return False
    rendered = str(render_markdown(body, links=False))
    if re.search(r"<(?:img|hr)\b", rendered):
        return True
    return _visible(html_unescape(re.sub(r"<[^>]*>", "", rendered)))


def _check_author(site: Site, conn: Connection, user: User) -> None:
    found = find_user_id(conn, user.username)
    created = found[2] if found else utcnow()
    if found and found[4]:
        raise HTTPException(403, "your account is suspended; you cannot comment")
    new = is_new_account(created)
    per_hour = site.settings.new_account_comment_limit if new else site.settings.comment_rate_limit
    now = utcnow()
    times = comment_times_since(conn, user.id, now - timedelta(hours=1))
    if len(times) >= per_hour:
        hint = " (new accounts have a lower limit for their first day)" if new else ""
        # The moment enough of the hour's comments have aged out of it to allow one more.
        wait = max(
            ceil((times[len(times) - per_hour] + timedelta(hours=1) - now).total_seconds()), 1
        )
        message = f"at most {per_hour} comments an hour{hint}; try again in {_minutes(wait)}"
        raise HTTPException(429, message, headers={"Retry-After": str(wait)})


def _check_address(site: Site, address: str) -> Attempt:
    """Count a comment from an address, or refuse it (429) over the address's hourly limit: many
    new accounts from one place each within their own limit are still one spammer."""
    attempt = site.comment_limiter.begin(f"comment:{address}")
    wait = attempt.wait
    if wait is not None:
        per_hour = site.settings.comment_address_rate_limit
        message = f"at most {per_hour} comments an hour from one address; try again in"
        seconds = ceil(wait)
        raise HTTPException(
            429, f"{message} {_minutes(seconds)}", headers={"Retry-After": str(seconds)}
        )
    return attempt


def _minutes(seconds: int) -> str:
    minutes = ceil(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def post_comment(
    site: Site,
    user: User,
    paper_id: str,
    body: str,
    parent: int | None,
    later: BackgroundTasks | None = None,
    address: str = "",
) -> int:
    """Store a comment on a visible paper and notify the thread and claimed authors (in the
    site, and by email to those who asked: sent after the response when `later` is given);
    `address`: the client's, whose comments (by any account) are limited too."""
    body = check_body(body)
    # Counted before the store's write transaction (every worker sees it), taken back when the
    # comment is not posted after all.
    attempt = _check_address(site, address)
    try:
        new_id, queued = _store_comment(site, user, paper_id, body, parent)
    except BaseException:
        site.comment_limiter.undo(attempt)
        raise
    if queued is None:  # a resend: nothing new was posted
        site.comment_limiter.undo(attempt)
    if queued and later is not None:
        later.add_task(send_queued, site.engine, site.settings, queued)
    return new_id


def _store_comment(
    site: Site, user: User, paper_id: str, body: str, parent: int | None
) -> tuple[int, list[int] | None]:
    """The comment's id and the emails queued about it; None for a resend of one posted."""
    with site.writing() as conn:
        flags = paper_flags(conn, [paper_id]).get(paper_id)
        if flags is None or flags.hidden:
            raise HTTPException(404, f"no paper {paper_id} here")
        since = utcnow() - RESEND_WINDOW
        if (posted := resent_comment(conn, paper_id, user.id, body, parent, since)) is not None:
            return posted, None
        _check_author(site, conn, user)
        named = _named(conn, body, user)
        held = holds(site, _created(conn, user), body)
        try:
            new_id = add_comment(conn, paper_id, user.id, body, parent, named, held)
        except CommentError as exc:
            raise HTTPException(400, str(exc)) from exc
        if held:  # nobody is told of it until a moderator approves it
            return new_id, []
        kinds = _notify(conn, paper_id, user.id, new_id, parent)
        return new_id, queue_notices(conn, site.settings, new_id, kinds)


def holds(site: Site, author_created: datetime, body: str) -> bool:
    """Whether a comment waits for a moderator: more links than PAPERFEED_COMMENT_HOLD_LINKS,
    or any link from an account younger than the trending new-account age."""
    links = link_count(body)
    young = utcnow() - author_created < timedelta(hours=site.settings.trending_new_account_hours)
    return links > site.settings.comment_hold_links or (links > 0 and young)


def release(site: Site, conn: Connection, comment: Comment) -> list[int]:
    """Approve a held comment: every reader sees it, and those it concerns are told now (as
    they would have been when it was posted); returns the queued emails to send."""
    set_comment_held(conn, comment.id, False)
    if any(notified(conn, comment.id, kind) for kind in _KINDS):
        return []  # approved before, then held again by an edit: they were told then
    answered = comment.answered_id or comment.parent_id  # a reply to a reply: that reply
    kinds = _notify(conn, comment.paper_id, comment.user_id, comment.id, answered)
    return queue_notices(conn, site.settings, comment.id, kinds)


def revise_comment(
    site: Site, conn: Connection, comment: Comment, body: str, later: BackgroundTasks | None
) -> None:
    """Replace a comment's text (`body` checked); the accounts it newly names are told. A
    comment whose reports wait for a moderator is not edited: the moderator would see only the
    new words (deleting it keeps the reported ones for them)."""
    if is_reported(conn, comment.id):
        raise HTTPException(
            409,
            "this comment was reported and waits for a moderator: it cannot be edited until "
            "then (you can delete it)",
        )
    if body == comment.body:  # saved as it was: not marked edited
        return
    named = _named(conn, body, comment)
    # An edit that adds links to an approved comment sends it back for review.
    more = link_count(body) > link_count(comment.body)
    held = holds(site, comment.user_created, body) and (comment.held or more)
    edit_comment(conn, comment.id, body, named, held)
    if held:  # those it newly names are told once it is approved
        return
    before = {n.lower() for n in comment.mentions}
    told = _mentioned(conn, [n for n in named if n.lower() not in before], comment.user_id)
    already = notified(conn, comment.id, "mention")  # each told once per comment, and at
    room = max(MAX_MENTIONS - len(already), 0)  # most MAX_MENTIONS told, however it is edited
    told = dict(sorted((u, k) for u, k in told.items() if u not in already)[:room])
    notify(conn, sorted(told), comment.id, "mention")
    queued = queue_notices(conn, site.settings, comment.id, told)
    if queued and later is not None:
        later.add_task(send_queued, site.engine, site.settings, queued)


def _named(conn: Connection, body: str, author: User | Comment) -> list[str]:
    """The accounts a comment's "@name"s name (the first MAX_MENTIONS that exist). Comments
    of an account younger than a day name nobody: it cannot yet link nor notify."""
    created = author.user_created if isinstance(author, Comment) else _created(conn, author)
    if is_new_account(created):
        return []
    return existing_names(conn, mentions(body))[:MAX_MENTIONS]


def _created(conn: Connection, user: User) -> datetime:
    found = find_user_id(conn, user.username)
    return found[2] if found else utcnow()


def _mentioned(conn: Connection, names: list[str], author_id: int) -> dict[int, str]:
    """The accounts named, by id, each told "mention": the comment's author left out, and
    those who asked not to be told of replies to them (a mention is one)."""
    ids = {found[0] for n in names if (found := find_user_id(conn, n)) is not None}
    wanted = [u for u in ids if u != author_id and get_profile(conn, u).notify_replies]
    return {uid: "mention" for uid in wanted}


_KINDS = ("reply_to_you", "mention", "author", "reply")  # a comment's notifications


def _notify(
    conn: Connection, paper_id: str, author_id: int, comment_id: int, answered: int | None = None
) -> dict[int, str]:
    """Add the in-site notifications; returns who got one, and of which kind (a reply to one's
    own comment first, then a mention, then a claimed author's paper, then a thread's reply).
    `answered`: the comment replied to (a reply to a reply joins the top comment's thread, but
    it is the reply's author who was answered)."""
    comment = get_comment(conn, comment_id)
    if comment is None:
        return {}
    kinds: dict[int, str] = {}
    named = _mentioned(conn, list(comment.mentions), author_id)
    if comment.parent_id is not None:
        people = {  # those whose words stand in the thread (not deleted or hidden ones)
            c.user_id
            for c in thread(conn, paper_id)
            if comment.parent_id in (c.id, c.parent_id)
            and c.user_id != author_id
            and not (c.deleted or c.hidden)
        }
        replied = [u for u in people if get_profile(conn, u).notify_replies]
        top = get_comment(conn, answered or comment.parent_id)  # whose words were answered
        kinds.update((u, "reply_to_you" if top and u == top.user_id else "reply") for u in replied)
    authors = {
        c.user_id
        for c in claims_for_papers(conn, [paper_id])
        if c.status == "approved" and c.user_id != author_id
    }
    told = {u: "reply" for u, k in kinds.items() if k == "reply"}
    told |= {u: "author" for u in authors} | named
    told |= {u: "reply_to_you" for u, k in kinds.items() if k == "reply_to_you"}
    for kind in _KINDS:  # on the site as in the email
        notify(conn, sorted(u for u, k in told.items() if k == kind), comment_id, kind)
    return told


def own_comment(conn: Connection, comment_id: int, user: User, moderating: bool = False) -> Comment:
    """A comment the user may change: their own; with `moderating` (a delete), admins may
    take any away, but nobody puts words in another's mouth (edits are the author's)."""
    comment = get_comment(conn, comment_id)
    if comment is None or comment.hidden:
        raise HTTPException(404, f"no comment {comment_id}")
    if comment.user_id != user.id and not (moderating and user.is_admin):
        if moderating:
            raise HTTPException(403, "only its author or a moderator can delete a comment")
        also = "; a moderator can hide or delete it" if user.is_admin else ""
        raise HTTPException(403, f"only its author can edit a comment{also}")
    if comment.deleted:
        raise HTTPException(409, "that comment was deleted")
    return comment
