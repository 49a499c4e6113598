"""`paperfeed digest run|preview|status|prune` and `paperfeed subscribe`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from paperfeed.cli_support import fail
from paperfeed.digest.compose import open_embeddings
from paperfeed.digest.deliver import make_mailer
from paperfeed.digest.render import render_digest
from paperfeed.digest.schedule import preview, run_due
from paperfeed.digest.subscribe import find_by_email, links_for, request_subscription
from paperfeed.digest.subscriber import BadInput
from paperfeed.digest.upkeep import (
    forget_left_addresses,
    forget_unconfirmed_addresses,
    prune_outbox,
)
from paperfeed.settings import Settings, as_served
from paperfeed.store import digests as db
from paperfeed.store import open_store

digest_app = typer.Typer(help="Email digests: send what is due, preview one.", no_args_is_help=True)


@digest_app.command("run")
def run(
    due_all: Annotated[
        bool, typer.Option("--due-all", help="Send every subscriber's current period now.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Compose and send the digests that are due; safe to run from cron every few minutes."""
    settings = as_served(Settings())
    engine = open_store(settings)
    mailer = make_mailer(settings)
    try:
        report = run_due(
            engine, settings, mailer, due_all, embeddings=open_embeddings(settings, engine)
        )
    finally:
        mailer.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
    elif report.busy:
        typer.echo("another digest run is in progress; nothing done")
    else:
        shown = {k: v for k, v in report.to_dict().items() if k not in ("busy", "mail_server_down")}
        typer.echo(", ".join(f"{k} {v}" for k, v in shown.items()))
    if report.mail_server_down:
        raise fail(
            f"the mail server {settings.smtp_host}:{settings.smtp_port} could not be reached; the "
            "emails wait and go out once it answers (check PAPERFEED_SMTP_*, `paperfeed doctor`)"
        )


@digest_app.command("preview")
def preview_cmd(
    email: Annotated[str, typer.Argument(help="A subscriber's address.")],
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part.")] = False,
) -> None:
    """Render the digest an address would get now, without sending or recording it."""
    settings = as_served(Settings())
    engine = open_store(settings)
    try:
        sub = find_by_email(engine, email)
    except BadInput as exc:
        raise fail(str(exc)) from exc
    if sub is None:
        raise fail(f"no subscriber {email}")
    digest = preview(engine, settings, sub, embeddings=open_embeddings(settings, engine))
    if not digest.has_news:
        typer.echo("nothing new for this subscriber: no digest would be sent")
        return
    message = render_digest(settings, links_for(settings, sub), digest, datetime.now(UTC)).parsed()
    part = message.get_body(("html",) if html else ("plain",))
    typer.echo(f"Subject: {message['Subject']}\n")
    typer.echo(part.get_content() if part is not None else "")


@digest_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Subscribers and outbox messages by status, and why undelivered ones were not sent."""
    with open_store(Settings()).connect() as conn:
        problems = [_problem(r) for r in db.undelivered(conn, 20)]
        data = {
            "subscribers": db.count_subscribers(conn),
            "outbox": db.outbox_counts(conn),
            "undelivered": problems,
        }
    if as_json:
        typer.echo(json.dumps(data))
        return
    typer.echo(f"subscribers: {data['subscribers']}\noutbox: {data['outbox']}")
    if problems:
        typer.echo("undelivered (newest first):")
    for p in problems:
        typer.echo(
            f"  {p['status']} {p['kind']} to {p['recipient']} ({p['attempts']} tries): "
            f"{p['reason']}"
        )


@digest_app.command("prune")
def prune(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Clear the text of emails sent (or given up unsent) over PAPERFEED_OUTBOX_KEEP_DAYS ago
    (`digest run` clears a few thousand a run too); queued and failed ones keep theirs, and no
    reader is sent a paper twice after it. Addresses never confirmed are forgotten once their
    confirmation link has expired, and addresses that unsubscribed a week after they left."""
    settings = Settings()
    engine = open_store(settings)
    forgotten = forget_unconfirmed_addresses(engine)
    left = forget_left_addresses(engine)
    cleared = prune_outbox(engine, settings)
    days = settings.outbox_keep_days
    if as_json:
        found = {"pruned": cleared, "keep_days": days, "forgotten": forgotten, "left": left}
        typer.echo(json.dumps(found))
        return
    if days == 0:
        typer.echo("PAPERFEED_OUTBOX_KEEP_DAYS is 0: sent emails keep their text")
    else:
        typer.echo(f"cleared the text of {cleared} emails sent over {days} days ago")
    if forgotten:
        typer.echo(f"forgot {forgotten} addresses whose confirmation link expired unfollowed")
    if left:
        typer.echo(f"forgot {left} addresses that unsubscribed over a week ago")


def _problem(row: db.OutboxRow) -> dict[str, object]:
    return {
        "recipient": row.recipient,
        "kind": row.kind,
        "status": "retrying" if row.status == "pending" else row.status,
        "attempts": row.attempts,
        "reason": row.last_error or "",
        "queued_at": row.created_at.isoformat() if row.created_at else None,
    }


def subscribe(
    email: Annotated[str, typer.Argument(help="The address to send a confirmation link to.")],
    frequency: Annotated[
        str, typer.Option(help="daily, weekly or none (no digests: community notices only).")
    ] = "daily",
    send_time: Annotated[str, typer.Option("--time", help="Local send time, HH:MM.")] = "08:00",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone.")] = "UTC",
    weekday: Annotated[str, typer.Option(help="Weekly digests: the day to send.")] = "monday",
    skip_weekends: Annotated[
        bool,
        typer.Option(help="No daily digest on the local days that follow no arXiv announcement."),
    ] = True,
    papers: Annotated[int, typer.Option(help="Papers per digest at most.")] = 10,
    trending: Annotated[bool, typer.Option(help="Include trending papers.")] = True,
    category: Annotated[
        list[str] | None, typer.Option(help="An arXiv category to follow (cs.LG); repeat for more.")
    ] = None,
    keyword: Annotated[
        list[str] | None,
        typer.Option(help="A word or phrase a paper's title or abstract holds; repeat for more."),
    ] = None,
    search: Annotated[list[str] | None, typer.Option(help="Semantic saved search.")] = None,
    author: Annotated[
        list[str] | None, typer.Option(help="An author whose new papers you want; repeat for more.")
    ] = None,
    seed: Annotated[list[str] | None, typer.Option(help="arXiv id of a paper you like.")] = None,
) -> None:
    """Subscribe an address to digests: it gets a confirmation link (double opt-in)."""
    data: dict[str, object] = {
        "frequency": frequency,
        "send_time": send_time,
        "timezone": timezone,
        "weekday": weekday,
        "skip_weekends": skip_weekends,
        "max_papers": papers,
        "include_trending": trending,
        "categories": category or [],
        "keywords": keyword or [],
        "searches": search or [],
        "authors": author or [],
        "seeds": seed or [],
    }
    settings = as_served(Settings())
    engine = open_store(settings)
    mailer = make_mailer(settings)
    try:
        row = request_subscription(
            engine, settings, mailer, email, data, None, open_embeddings(settings, engine)
        )
    except BadInput as exc:
        raise fail(str(exc)) from exc
    finally:
        mailer.close()
    typer.echo(_outcome(email, row, settings))


def _outcome(email: str, row: db.OutboxRow | None, settings: Settings) -> str:
    if row is not None and row.status == "sent":
        where = f" (demo mailbox: {settings.public_url}/demo/mailbox)" if settings.mailbox else ""
        return f"confirmation link sent to {email}{where}; digests start once its owner confirms"
    reason = f": {row.last_error}" if row is not None and row.last_error else ""
    return (
        f"confirmation for {email} queued, not sent yet{reason}\n"
        "it is retried by `paperfeed digest run` or a running `paperfeed serve`; "
        "see `paperfeed digest status`"
    )


def register(app: typer.Typer) -> None:
    """Add the digest commands to the main CLI."""
    app.add_typer(digest_app, name="digest")
    app.command("subscribe")(subscribe)
