"""Community notices by email: a reply to someone's comment, a new comment on a paper they wrote,
the decision on their author claim (or its revocation), what happened to their team reading
lists (queued by the digest run, one email per notice: one a day per list and editor of papers
put in, one a day per list, member and writer of notes written on its papers).

A notice goes to the address of the user's confirmed, linked digest subscription, through the
digest outbox (kind "notice", one period per comment, so one email per user and comment at most).
Each carries a signed one-click opt-out (RFC 8058) that turns the user's notify_email off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup
from sqlalchemy import Connection, Engine

from paperfeed.digest.deliver import make_mailer, send_one
from paperfeed.digest.render import Links, Mail, build_message, render_pair, wrapped
from paperfeed.digest.subscriber import Subscriber
from paperfeed.digest.tokens import MAX_AGE, TokenError, make_token, read_token
from paperfeed.latex import plain
from paperfeed.markup import absolute_links, excerpt, maths_as_text, render_markdown
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import is_new_account
from paperfeed.store.collection_editors import editable_collection
from paperfeed.store.community import (
    Claim,
    Comment,
    email_recipients,
    get_comment,
    get_profile,
    is_claimed_author,
    set_notify_email,
)
from paperfeed.store.team_notices import TeamNotice, fresh_notices

log = logging.getLogger(__name__)
SCOPE = "notices"  # the opt-out token's scope: it can only turn notices off
STOP_PATH = "/notices/stop"
LINK_PATH = "/notices/link"
_EXCERPT = 1200  # characters of the comment an email quotes
_WHAT = {
    "reply_to_you": "{who} replied to your comment",
    "reply": "{who} replied in a thread you are in",
    "author": "{who} commented on your paper",
    "mention": "{who} mentioned you",
}
_TEAM_WHAT = {
    "list_offer": "{who} offered you the shared list “{name}”",
    "offer_accepted": "{who} took over your shared list “{name}”",
    "offer_declined": "{who} declined to take over your shared list “{name}”",
    "list_added": "{who} added {papers} to your shared list “{name}”",
    "list_notes": "{who} wrote {notes} on {papers} in the shared list “{name}”",
}
TEAM_NOTICE_AGE = timedelta(days=1)  # older team-list notices are not emailed (an upgrade's)


@dataclass(frozen=True)
class Notice:
    """What one notice email says: who wrote what, where."""

    kind: str  # reply | author
    who: str
    paper_id: str
    title: str
    excerpt: str  # Markdown as typed
    comment_id: int
    excerpt_html: Markup = Markup("")  # the same, rendered and sanitised
    by_author: bool = False  # written by an approved author of the paper


def queue_notices(
    conn: Connection, settings: Settings, comment_id: int, kinds: Mapping[int, str]
) -> list[int]:
    """Queue one email per notified user who takes notices by email; returns the outbox ids."""
    comment = get_comment(conn, comment_id)
    if comment is None or comment.hidden or comment.held or comment.deleted:
        return []
    wanted = [uid for uid in kinds if uid != comment.user_id]  # never to the comment's author
    recipients = email_recipients(conn, wanted)
    done = {sid for sid, _ in db.periods_recorded(conn, [db.notice_period(comment_id)])}
    recipients = {uid: sub for uid, sub in recipients.items() if sub["id"] not in done}
    if not recipients:
        return []
    title = db.paper_titles(conn, [comment.paper_id]).get(comment.paper_id, comment.paper_id)
    by_author = is_claimed_author(conn, comment.user_id, comment.paper_id)
    now = datetime.now(UTC)
    messages = [
        _message(
            settings,
            _notice(comment, title, kinds[uid], settings.public_url, by_author),
            uid,
            sub,
            now,
        )
        for uid, sub in sorted(recipients.items())
    ]
    return db.record_messages(conn, messages)


def _notice(comment: Comment, title: str, kind: str, base: str, by_author: bool) -> Notice:
    # The text part quotes the Markdown as typed (lines kept); the HTML part shows it rendered
    # and sanitised as on the site (links nofollow, no raw HTML, maths left as TeX).
    text = excerpt(comment.body, _EXCERPT)
    # Links and "@name"s as on the page: an account younger than a day links nothing.
    links = not is_new_account(comment.user_created)
    shown = absolute_links(render_markdown(text, links=links, named=comment.mentions), base)
    shown = maths_as_text(shown)  # mail programs run no KaTeX
    return Notice(
        kind, comment.username, comment.paper_id, plain(title), text, comment.id, shown, by_author
    )


def _message(
    settings: Settings, notice: Notice, user_id: int, sub: Mapping[str, object], now: datetime
) -> db.NewMessage:
    # An answer from the paper's author says so, as its comment on the page does.
    who = f"{notice.who} (an author of the paper)" if notice.by_author else notice.who
    what = _WHAT.get(notice.kind, _WHAT["reply"]).format(who=who)
    subject = f"{what}: {_short(notice.title)}"
    period = db.notice_period(notice.comment_id)
    return _compose(settings, user_id, sub, period, now, "notice", subject, lambda links: {
        "what": what,
        "notice": notice,
        "comment_url": f"{links.paper(notice.paper_id)}#c{notice.comment_id}",
    })  # fmt: skip


def _compose(
    settings: Settings,
    user_id: int,
    sub: Mapping[str, object],
    period: str,
    now: datetime,
    template: str,
    subject: str,
    context: Callable[[Links], dict[str, object]],
) -> db.NewMessage:
    """One notice email to a user's linked address, with the opt-out every notice carries;
    `context` gives the template its own values from the address's signed links."""
    sid = int(str(sub["id"]))
    links = Links(settings.public_url, secret_key(settings), sid, str(sub["nonce"]))
    stop = stop_url(settings, user_id)
    text, html = render_pair(
        template,
        subject=subject,
        settings_url=links.url("/settings/profile"),
        stop_url=stop,
        **context(links),
    )
    address = str(sub["email"])
    mail = build_message(settings, address, subject, wrapped(text), html, now, stop)
    return db.NewMessage(
        sid, db.NOTICE_KIND, period, address, mail.message_id, "", packed=mail.packed()
    )


def queue_claim_notice(
    conn: Connection, settings: Settings, claim: Claim, papers: int = 1
) -> list[int]:
    """Queue the email that tells a claimant the decision on their claim (approved, rejected,
    or revoked after its approval; once per claim and outcome), when they take notices by
    email; returns the outbox ids. A batch of `papers` claims decided at once is told in one
    email about its first, `claim`, counting the others (as the site's notification does)."""
    if claim.status not in ("approved", "rejected", "revoked"):
        return []
    period = db.claim_period(claim.id, claim.status)
    sub = email_recipients(conn, [claim.user_id]).get(claim.user_id)
    if sub is None or (int(str(sub["id"])), period) in db.periods_recorded(conn, [period]):
        return []
    title = plain(db.paper_titles(conn, [claim.paper_id]).get(claim.paper_id, claim.paper_id))
    subject = _claim_subject(claim, _short(title), papers)
    now = datetime.now(UTC)
    message = _compose(settings, claim.user_id, sub, period, now, "claim", subject, lambda links: {
        "claim": claim,
        "title": title,
        "papers": papers,
        "paper_url": links.paper(claim.paper_id),
        "profile_url": links.url(f"/users/{claim.username}"),
    })  # fmt: skip
    return db.record_messages(conn, [message])


def _claim_subject(claim: Claim, title: str, papers: int) -> str:
    if papers > 1:
        return (f"Your claims to be {claim.author} on {papers} papers ({title} and "
                f"{papers - 1} more) were {claim.status}")  # fmt: skip
    return f"Your claim as {claim.author} was {claim.status}: {title}"


def queue_team_notices(conn: Connection, settings: Settings, now: datetime) -> list[int]:
    """Queue one email per team-list notice of the last day not seen yet, to those who take
    notices by email and were not emailed it; returns the outbox ids."""
    since = now.astimezone(UTC).replace(tzinfo=None) - TEAM_NOTICE_AGE  # stored naive, UTC
    found = fresh_notices(conn, since)
    recipients = email_recipients(conn, sorted({n.user_id for n in found}))
    done = db.periods_recorded(conn, [_team_period(n) for n in found])
    messages: list[db.NewMessage] = []
    for n in found:
        sub = recipients.get(n.user_id)
        key = None if sub is None else (int(str(sub["id"])), _team_period(n))
        if sub is None or key is None or key in done or not _still_told(conn, n):
            continue
        done.add(key)  # a list offered twice since the last run: emailed once
        messages.append(_team_message(settings, n, sub, now))
    return db.record_messages(conn, messages)


def _still_told(conn: Connection, notice: TeamNotice) -> bool:
    """Whether a notice of papers put in or notes written still goes to its reader: one who
    no longer owns or edits the list (an editor removed since) is not emailed of it."""
    if notice.kind not in ("list_added", "list_notes"):
        return True
    return editable_collection(conn, notice.user_id, notice.collection_id) is not None


def _team_period(notice: TeamNotice) -> str:
    # A list offered, declined and offered again the same day is emailed to its editor once.
    if notice.kind == "list_offer":
        return db.offer_period(notice.collection_id, notice.created_at.date())
    return db.team_period(notice.id)


def _team_message(
    settings: Settings, notice: TeamNotice, sub: Mapping[str, object], now: datetime
) -> db.NewMessage:
    papers = f"{notice.papers} paper{'' if notice.papers == 1 else 's'}"
    name = " ".join(notice.name.split())  # one line in the subject
    what = _TEAM_WHAT.get(notice.kind, _TEAM_WHAT["list_added"])
    notes = "a note" if notice.papers == 1 else "notes"
    told = {"who": notice.who or "A reader", "name": _short(name), "papers": papers}
    subject = what.format(**told, notes=notes)
    period = _team_period(notice)
    return _compose(settings, notice.user_id, sub, period, now, "team", subject, lambda links: {
        "notice": notice,
        "list_url": links.url("/library", collection=str(notice.collection_id)),
    })  # fmt: skip


def _short(title: str) -> str:
    return title if len(title) <= 70 else title[:69].rstrip() + "…"


def stop_url(settings: Settings, user_id: int) -> str:
    """The signed one-click link that turns a user's notice emails off."""
    token = make_token(secret_key(settings), SCOPE, user_id, "email")
    return Links(settings.public_url, "", 0, "").url(STOP_PATH, token=token)


def user_of_stop_token(settings: Settings, token: str) -> int:
    """The user an opt-out link belongs to; TokenError when it is not a valid opt-out link."""
    return read_token(secret_key(settings), SCOPE, token)[0]


def notices_stopped(engine: Engine, settings: Settings, token: str) -> bool:
    """Whether the opt-out link's user has notice emails off already; TokenError when invalid."""
    user_id = user_of_stop_token(settings, token)
    with engine.connect() as conn:
        return not get_profile(conn, user_id).notify_email


def stop_notices(engine: Engine, settings: Settings, token: str) -> None:
    """Turn the link's user's notice emails off (idempotent) and drop those not sent yet."""
    user_id = user_of_stop_token(settings, token)
    with engine.begin() as conn:
        set_notify_email(conn, user_id, False)
        sub = db.subscriber_for_user(conn, user_id)
        if sub is not None:
            db.drop_pending(conn, int(str(sub["id"])), db.NOTICE_KIND, "notices turned off")


def render_link(
    settings: Settings, sub: Subscriber, user_id: int, now: datetime, linked: int = 0
) -> Mail:
    """The email that asks a confirmed address's owner to link it to the account that asked.
    `linked` is the account's linked subscription when it asked (0: none): once the account
    links another address the link no longer applies."""
    value = f"{sub.nonce}.{user_id}.{linked}"
    token = make_token(secret_key(settings), "link", sub.id, value)
    links = Links(settings.public_url, secret_key(settings), sub.id, sub.nonce)
    subject = "paperfeed: link this address to your account"
    text, html = render_pair(
        "link",
        subject=subject,
        link_url=links.url(LINK_PATH, token=token),
        manage_url=links.token_url("/preferences", "manage"),
        days=MAX_AGE["link"].days,
    )
    return build_message(settings, sub.email, subject, wrapped(text), html, now, None)


def read_link_token(settings: Settings, token: str) -> tuple[int, str, int, int | None]:
    """(subscriber id, nonce, user id, the account's linked subscription when it asked, 0 for
    none, None in links made before that was written) of a link-account token; TokenError when
    not valid."""
    sid, value = read_token(secret_key(settings), "link", token)
    nonce, _, rest = value.partition(".")
    user, _, linked = rest.partition(".")
    numbers = (user, linked) if linked else (user,)
    if not all(n.isascii() and n.isdigit() for n in numbers):
        raise TokenError("This link is not valid.")
    return sid, nonce, int(user), int(linked) if linked else None


def send_queued(engine: Engine, settings: Settings, outbox_ids: list[int]) -> None:
    """Try to send queued notices now (after the request); failures wait for the scheduler."""
    mailer = make_mailer(settings)
    try:
        for outbox_id in outbox_ids:
            with engine.connect() as conn:
                row = db.get_message(conn, outbox_id)
            if row is not None and row.status == "pending":
                send_one(engine, settings, mailer, row)
    except Exception:  # a background task: the outbox keeps the message for the next run
        log.exception("sending community notices failed; the digest run will retry them")
    finally:
        mailer.close()
