"""Subscribing with double opt-in, confirming, changing preferences and leaving, by signed link."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from paperfeed.digest.compose import Embeddings, interest_rows
from paperfeed.digest.deliver import Mailer, send_one
from paperfeed.digest.notices import read_link_token, render_link
from paperfeed.digest.render import Links, render_confirmation
from paperfeed.digest.subscriber import (
    BadInput,
    Preferences,
    Subscriber,
    mailbox_key,
    normalise_email,
    parse_preferences,
)
from paperfeed.digest.tokens import TokenError, read_token
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store import digests as db
from paperfeed.store.accounts import user_by_id
from paperfeed.store.community import get_profile
from paperfeed.util import utcnow

ADDRESS_LIMIT = 3  # subscription requests per address per hour
CLIENT_LIMIT = 20  # subscription requests per client (IP) per hour
_WINDOW = timedelta(hours=1)
RETRY_AFTER = str(int(_WINDOW.total_seconds()))  # a refused request's Retry-After: the window


class RateLimited(BadInput):
    """Too many subscription requests; the message says to wait."""


def request_subscription(
    engine: Engine,
    settings: Settings,
    mailer: Mailer,
    email: object,
    data: Mapping[str, object],
    client: str | None = None,
    embeddings: Embeddings | None = None,
    user_id: int | None = None,
) -> db.OutboxRow | None:
    """Record a request and mail a confirmation link; the outcome never reveals who is listed.

    A request made while signed in (`user_id`) links the subscription to the account once the
    address confirms. Returns the queued message as it stands after one try (status "sent", or
    "pending" with the reason in last_error: the schedule retries it).
    """
    address, key = normalise_email(email)
    prefs = parse_preferences(data)
    _check_rate(engine, secret_key(settings), key, client)
    rows = _with_vectors(interest_rows(_as_subscriber(prefs)), embeddings)
    request = _Request(address, key, prefs, rows, user_id)
    outbox_id = _record_request(engine, settings, request)
    with engine.connect() as conn:
        row = db.get_message(conn, outbox_id)
    if row is None:
        return None
    send_one(engine, settings, mailer, row)
    with engine.connect() as conn:
        return db.get_message(conn, outbox_id)


def _as_subscriber(prefs: Preferences) -> Subscriber:
    return Subscriber(0, "", "pending", "", prefs)


def _check_rate(engine: Engine, secret: str, key: str, client: str | None) -> None:
    per_address, per_client = _limit_key(secret, "addr", mailbox_key(key)), None
    if client:
        per_client = _limit_key(secret, "client", client)
    with engine.begin() as conn:
        by_address = db.count_and_record_event(conn, per_address, _WINDOW)
        by_client = db.count_and_record_event(conn, per_client, _WINDOW) if per_client else 0
    if by_address > ADDRESS_LIMIT or by_client > CLIENT_LIMIT:
        raise RateLimited("Too many subscription requests. Please try again in an hour.")


def _limit_key(secret: str, kind: str, value: str) -> str:
    """A limit's key as stored: keyed by the site's secret, so that the table names neither an
    address nor a client's IP, nor lets anyone test a guessed one against it."""
    digest = hmac.new(secret.encode(), f"{kind}\n{value}".encode(), hashlib.sha256)
    return f"{kind}:{digest.hexdigest()}"


def _with_vectors(
    rows: list[db.InterestRow],
    embeddings: Embeddings | None,
    known: dict[str, bytes] | None = None,
) -> list[db.InterestRow]:
    # Semantic searches are embedded once, here, so composing a digest never runs the model.
    out = []
    for row in rows:
        blob = (known or {}).get(row.value) if row.kind == "semantic" else None
        if blob is None and embeddings is not None and row.kind == "semantic":
            vector = embeddings.embed_query(row.value)
            blob = np.asarray(vector, dtype=np.float32).tobytes() if vector is not None else None
        out.append(db.InterestRow(row.kind, row.value, blob))
    return out


@dataclass(frozen=True)
class _Request:
    address: str
    key: str
    prefs: Preferences
    rows: list[db.InterestRow]
    user_id: int | None


def _record_request(engine: Engine, settings: Settings, request: _Request) -> int:
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                return _upsert_and_queue(conn, settings, request)
        except IntegrityError:
            if attempt:  # two requests for a new address raced; the second sees the first's row
                raise
    raise AssertionError("unreachable")


def _upsert_and_queue(conn: Connection, settings: Settings, request: _Request) -> int:
    address, key, prefs, rows = request.address, request.key, request.prefs, request.rows
    existing = db.find_subscriber(conn, key)
    already = existing is not None and existing["status"] == "confirmed"
    if existing is None:
        values = {"email": address, "email_key": key, "status": "pending", **_pref_values(prefs)}
        sid = db.insert_subscriber(conn, {**values, "nonce": _nonce()})
        db.replace_interests(conn, sid, rows)
    else:
        sid = int(existing["id"])  # type: ignore[call-overload]
    # A confirmed or pending subscription's preferences change only through its own signed
    # links: anyone can ask again for an address, and must not change what its links confirm.
    if existing is not None and existing["status"] == "unsubscribed":
        _restart(conn, sid, address, prefs, rows)
    elif _owner_turns_digests_on(existing, request):
        # The account's own address, asked for by its signed-in owner: a notices-only one
        # takes the digest asked for (a subscribe form did not subscribe it).
        db.update_subscriber(conn, sid, _pref_values(prefs))
        db.replace_interests(conn, sid, rows)
    if request.user_id is not None and not already:
        db.update_subscriber(conn, sid, {"user_id": request.user_id})  # counts once confirmed
    sub = _load(conn, sid)
    linked = existing["user_id"] if existing is not None else None
    if request.user_id is not None and already and linked != request.user_id:
        # A confirmed address joins the account only when its owner follows the emailed link.
        current = db.subscriber_for_user(conn, request.user_id)
        asked_with = int(str(current["id"])) if current is not None else 0
        message = render_link(settings, sub, request.user_id, _now(), asked_with)
    else:
        links, digests = _links(settings, sub), sub.prefs.frequency != "none"
        message = render_confirmation(settings, links, address, already, _now(), digests)
    period = f"confirm:{uuid.uuid4().hex}"
    queued = db.NewMessage(
        sid, "confirm", period, address, message.message_id, "", packed=message.packed()
    )
    return db.record_messages(conn, [queued])[0]


def _owner_turns_digests_on(existing: dict[str, object] | None, request: _Request) -> bool:
    return (
        existing is not None
        and existing["status"] == "confirmed"
        and request.user_id is not None
        and existing["user_id"] == request.user_id
        and existing["frequency"] == "none"
        and request.prefs.frequency != "none"
    )


def _restart(
    conn: Connection, sid: int, address: str, prefs: Preferences, rows: list[db.InterestRow]
) -> None:
    # A new nonce: links from the earlier subscription no longer act on this one.
    values: dict[str, object] = {"email": address, **_pref_values(prefs)}
    values.update(status="pending", nonce=_nonce(), unsubscribed_at=None)
    db.update_subscriber(conn, sid, values)
    db.replace_interests(conn, sid, rows)


def _pref_values(prefs: Preferences) -> dict[str, object]:
    return {name: getattr(prefs, name) for name in db.SUBSCRIBER_FIELDS}


def _nonce() -> str:
    return secrets.token_hex(8)


def _now() -> datetime:
    return datetime.now(UTC)


def _links(settings: Settings, sub: Subscriber) -> Links:
    return Links(settings.public_url, secret_key(settings), sub.id, sub.nonce)


def links_for(settings: Settings, sub: Subscriber) -> Links:
    """The signed links of one subscriber's emails and pages."""
    return _links(settings, sub)


def _load(conn: Connection, sid: int) -> Subscriber:
    row = db.get_subscriber(conn, sid)
    if row is None:
        raise TokenError("This link is no longer valid.")
    return to_subscriber(row, db.get_interests(conn, [sid]).get(sid, []))


def to_subscriber(row: Mapping[str, object], rows: list[db.InterestRow]) -> Subscriber:
    """A Subscriber from its stored row and interests."""
    kinds: dict[str, list[str]] = {}
    for it in rows:
        kinds.setdefault(it.kind, []).append(it.value)
    prefs = Preferences(
        **{name: row[name] for name in db.SUBSCRIBER_FIELDS},  # type: ignore[arg-type]
        categories=tuple(kinds.get("category", ())),
        keywords=tuple(kinds.get("keyword", ())),
        searches=tuple(kinds.get("semantic", ())),
        authors=tuple(kinds.get("author", ())),
        seeds=tuple(kinds.get("seed", ())),
    )
    covered, user = row["covered_until"], row.get("user_id")
    return Subscriber(
        id=int(row["id"]),  # type: ignore[call-overload]
        email=str(row["email"]),
        status=str(row["status"]),
        nonce=str(row["nonce"]),
        prefs=prefs,
        covered_until=covered if isinstance(covered, date) else None,
        user_id=user if isinstance(user, int) else None,
        stored_until=read if isinstance(read := row.get("stored_until"), datetime) else None,
    )


class Forgotten(TokenError):
    """An unsubscribe link whose subscription the site has forgotten (it ended, or was never
    confirmed): nothing goes to its address."""


def _by_token(conn: Connection, settings: Settings, scope: str, token: str) -> Subscriber:
    sid, nonce = read_token(secret_key(settings), scope, token)
    if scope == "unsubscribe" and db.get_subscriber(conn, sid) is None:
        raise Forgotten("No more digests go to this address: the site no longer keeps it.")
    sub = _load(conn, sid)
    if sub.nonce != nonce and not (scope == "unsubscribe" and sub.status == "unsubscribed"):
        raise TokenError("This link is no longer valid.")
    return sub


def confirm_request(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """The subscription a confirmation link would confirm, changing nothing (the page that
    opening the link shows: mail scanners open links, so only its button confirms)."""
    with engine.connect() as conn:
        return _confirmable(conn, settings, token)


def _confirmable(conn: Connection, settings: Settings, token: str) -> Subscriber:
    sub = _by_token(conn, settings, "confirm", token)
    if sub.status == "unsubscribed":
        raise TokenError("This link is no longer valid.")
    return sub


def confirm(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """Confirm an address from its emailed link (idempotent)."""
    with engine.begin() as conn:
        sub = _confirmable(conn, settings, token)
        if sub.status == "pending":
            db.update_subscriber(conn, sub.id, {"status": "confirmed", "confirmed_at": utcnow()})
            # Confirmation emails still queued (a mail server was down) are of no use now.
            db.drop_pending(conn, sub.id, "confirm", "the address has confirmed")
            _take_over_link(conn, sub.id)
        return _load(conn, sub.id)


def _take_over_link(conn: Connection, sid: int) -> None:
    # A newly confirmed address replaces the account's earlier one: one address per account.
    user_id = (db.get_subscriber(conn, sid) or {}).get("user_id")
    if isinstance(user_id, int):
        db.link_user(conn, sid, user_id)


def _link_request(conn: Connection, settings: Settings, token: str) -> tuple[Subscriber, int]:
    sid, nonce, user_id, linked_then = read_link_token(settings, token)
    sub = _load(conn, sid)
    if sub.nonce != nonce or sub.status != "confirmed":
        raise TokenError("This link is no longer valid.")
    current = db.subscriber_for_user(conn, user_id)
    now_linked = int(str(current["id"])) if current is not None else 0
    if linked_then is not None and now_linked not in (linked_then, sid):
        # The account linked another address after asking for this one: the newer choice
        # stands, and this older link must not take it back.
        raise TokenError(
            "This link was replaced: the account has linked another address since it asked. "
            "Ask again from your account's settings to use this one."
        )
    return sub, user_id


def link_request(engine: Engine, settings: Settings, token: str) -> tuple[Subscriber, str, bool]:
    """The address and the account name an emailed link-account link asks to join (no change),
    and whether they are joined already (the link was used, or the address linked since)."""
    with engine.connect() as conn:
        sub, user_id = _link_request(conn, settings, token)
        user = user_by_id(conn, user_id)
    if user is None:
        raise TokenError("The account this link was made for no longer exists.")
    return sub, user.username, sub.user_id == user_id


def link_account(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """Link a confirmed subscription to the account that asked, from the emailed link."""
    with engine.begin() as conn:
        sub, user_id = _link_request(conn, settings, token)
        if user_by_id(conn, user_id) is None:
            raise TokenError("The account this link was made for no longer exists.")
        db.link_user(conn, sub.id, user_id)
        return sub


def subscriber_for(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """The subscription a preferences link belongs to."""
    with engine.connect() as conn:
        sub = _by_token(conn, settings, "manage", token)
    if sub.status == "unsubscribed":
        raise TokenError("This subscription has ended; subscribe again to get digests.")
    return sub


def subscriber_by_rate_token(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """The subscription a digest's rating link belongs to."""
    with engine.connect() as conn:
        return _by_token(conn, settings, "rate", token)


def subscriber_by_unsubscribe_token(engine: Engine, settings: Settings, token: str) -> Subscriber:
    """The subscription an unsubscribe link belongs to."""
    with engine.connect() as conn:
        return _by_token(conn, settings, "unsubscribe", token)


def update_preferences(
    engine: Engine,
    settings: Settings,
    token: str,
    data: Mapping[str, object],
    embeddings: Embeddings | None = None,
) -> Subscriber:
    """Change a subscriber's preferences through their signed link."""
    sub = subscriber_for(engine, settings, token)
    prefs = parse_preferences(data, sub.prefs)
    with engine.connect() as conn:
        stored = db.get_interests(conn, [sub.id]).get(sub.id, [])
    known = {r.value: r.vector for r in stored if r.kind == "semantic" and r.vector}
    rows = _with_vectors(interest_rows(_as_subscriber(prefs)), embeddings, known)
    with engine.begin() as conn:
        db.update_subscriber(conn, sub.id, _pref_values(prefs))
        db.replace_interests(conn, sub.id, rows)
        return _load(conn, sub.id)


def unsubscribe(engine: Engine, settings: Settings, token: str) -> bool:
    """Stop all digests for the link's address (idempotent; queued digests are dropped).

    An address an account takes its reply notices at keeps them (it asks for notices only
    from now on: its preferences link still works); True then. Any other address leaves the
    list."""
    with engine.begin() as conn:
        sub = _by_token(conn, settings, "unsubscribe", token)
        if sub.status == "unsubscribed":
            return False
        db.cancel_pending(conn, sub.id)
        if (
            sub.status == "confirmed"
            and sub.user_id
            and get_profile(conn, sub.user_id).notify_email
        ):
            db.update_subscriber(conn, sub.id, {"frequency": "none"})
            return True
        values = {"status": "unsubscribed", "unsubscribed_at": utcnow(), "nonce": _nonce()}
        db.update_subscriber(conn, sub.id, values)
        db.drop_pending(conn, sub.id, db.NOTICE_KIND, "unsubscribed")
        return False


def notices_to_account_address(conn: Connection, user_id: int, email: str) -> bool:
    """Let the account's own address (confirmed by its owner, or given by an admin) take the
    account's notices, where it has no address for them yet (none linked, confirmed or
    waiting): a subscription for notices only (no digests), confirmed and linked; the address
    already subscribed, confirmed and linked to no account, is linked. Whether it now is.

    Confirming the account's address once left "Email me about replies" sending nothing: only
    an address added on the profile page took notices."""
    if db.user_subscription(conn, user_id) is not None:
        return False
    address, key = normalise_email(email)
    existing = db.find_subscriber(conn, key)
    if existing is None:
        values: dict[str, object] = {"email": address, "email_key": key, "user_id": user_id}
        values |= {"status": "confirmed", "confirmed_at": utcnow(), "nonce": _nonce()}
        values |= _pref_values(parse_preferences({"frequency": "none"}))
        try:
            with conn.begin_nested():  # another request subscribed it meanwhile: left as it is
                db.insert_subscriber(conn, values)
        except IntegrityError:
            return False
        return True
    if existing["status"] == "confirmed" and existing["user_id"] is None:
        db.link_user(conn, int(str(existing["id"])), user_id)
        return True
    return False


def follow_account_address(conn: Connection, user_id: int, old: str | None, new: str) -> bool:
    """Move the account's linked subscription (its digest, interests and notices) from the
    account's old address to its new one, when it went to the old one and no subscription has
    the new one; whether it moved. Changing the address left the digest going to the old
    one, and "Use another address" then cut it loose from the account."""
    linked = db.user_subscription(conn, user_id)
    if not old or linked is None:
        return False
    try:
        old_key, (address, key) = normalise_email(old)[1], normalise_email(new)
    except BadInput:
        return False
    if linked["email_key"] != old_key or db.find_subscriber(conn, key) is not None:
        return False  # it goes to an address the reader chose, or the new one has its own
    db.update_subscriber(conn, int(str(linked["id"])), {"email": address, "email_key": key})
    return True


def find_by_email(engine: Engine, email: str) -> Subscriber | None:
    """The subscriber with this address (for the operator's CLI), or None."""
    _, key = normalise_email(email)
    with engine.connect() as conn:
        row = db.find_subscriber(conn, key)
        return _load(conn, int(row["id"])) if row else None  # type: ignore[call-overload]
