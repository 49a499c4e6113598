"""Account mail: the short messages that carry a set-password or an address-confirmation link,
sent at once over SMTP or, in the demo, kept in its mailbox (/demo/mailbox) beside the digests."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlencode

from markupsafe import escape
from sqlalchemy import Engine

from paperfeed.digest.deliver import MailboxMailer, MailError, make_mailer
from paperfeed.digest.render import build_message, sender_address
from paperfeed.secret import secret_key
from paperfeed.settings import Settings
from paperfeed.store.digests import keep_account_mail
from paperfeed.store.email_links import EmailLink, create_change_link, create_signup_link
from paperfeed.text import masked_address
from paperfeed.util import utcnow
from paperfeed.web.ratelimit import SharedLimiter

log = logging.getLogger(__name__)
CONFIRM_LASTS = timedelta(days=1)
# A link in a message's text, without the punctuation after it ("(…/account).")
_URL_RE = re.compile(r"https?://[^\s<>\"()]*[^\s<>\"().,;:!?]")


def send_mail(engine: Engine, settings: Settings, to: str, subject: str, text: str) -> str | None:
    """Send one short account email now; None when sent (or kept in the demo's mailbox), else
    why not."""
    linked = _URL_RE.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', str(escape(text)))
    html = f'<pre style="font-family:sans-serif;white-space:pre-wrap">{linked}</pre>'
    mail = build_message(settings, to, subject, text, html, utcnow(), None)
    mailer = make_mailer(settings)
    if isinstance(mailer, MailboxMailer):  # the outbox row is the demo's mailbox
        with engine.begin() as conn:
            keep_account_mail(conn, to, mail.message_id, mail.wire)
    try:
        mailer.send(sender_address(settings), to, mail.wire.encode("ascii"))
    except MailError as exc:
        log.warning("account mail to %s not sent: %s", to.split("@")[-1], exc)
        return str(exc)
    finally:
        mailer.close()
    return None


def may_mail(engine: Engine, settings: Settings, kind: str, address: str) -> bool:
    """Whether one more `kind` mail ("reset", "confirm") may go to this address this hour,
    counted in the store from every client together: many clients cannot flood one mailbox."""
    local, _, domain = address.lower().rpartition("@")
    mailbox = f"{local.split('+')[0]}@{domain}"  # name+tag@ reaches name@'s mailbox
    limit = settings.account_mail_rate_limit
    limiter = SharedLimiter(engine, limit, 3600, secret=secret_key(settings))
    if limiter.hit(f"mail {kind}:{mailbox}") is None:
        return True
    log.warning("%s mail to an address at %s not sent: its hourly limit is reached", kind, domain)
    return False


def confirm_url(settings: Settings, token: str) -> str:
    """The address of an email confirmation link."""
    return f"{settings.public_url}/email/confirm?{urlencode({'token': token})}"


def change_link(engine: Engine, settings: Settings, user_id: int, email: str) -> str | None:
    """The link's token that makes `email` the account's, made now (before the answer, so the
    account page lists the address as waiting at once); None when the address had its hour's
    mails (the link it has keeps working)."""
    if not may_mail(engine, settings, "confirm", email):
        return None
    with engine.begin() as conn:
        return create_change_link(conn, user_id, email, CONFIRM_LASTS)


def mail_change_link(
    engine: Engine, settings: Settings, username: str, email: str, token: str | None
) -> str | None:
    """Mail the new address its link (`change_link`'s token); None when sent (or held back:
    no token), else why not."""
    if token is None:
        return None
    text = (
        f"Someone (we hope you) asked to make this the email address of the account {username} "
        f"on {settings.public_url}.\n\nConfirm it here (the link works once, for a day):\n\n"
        f"{confirm_url(settings, token)}\n\nDid not ask? Ignore this mail: nothing changes.\n"
    )
    return send_mail(engine, settings, email, "Confirm your email address", text)


def mail_old_address(engine: Engine, settings: Settings, old: str, link: EmailLink) -> str | None:
    """Tell the address an account had that a confirmed link replaced it (masked: the old
    mailbox may no longer be the reader's); None when sent, else why not."""
    when = utcnow().strftime("%-d %B %Y at %H:%M UTC")
    site = settings.public_url
    text = (
        f"The email address on your paperfeed account {link.username} on {site} was changed "
        f"to {masked_address(link.email)} on {when}.\n\nIf this was not you, someone knows your "
        f"password: sign in and change it at once ({site}/settings/profile), then set your "
        f"address again on {site}/account. If you cannot sign in, ask the site's administrator.\n"
    )
    return send_mail(engine, settings, old, "Your account's email address was changed", text)


def mail_removed_address(
    engine: Engine, settings: Settings, address: str, username: str
) -> str | None:
    """Tell an address that it was taken off its account (which can no longer reset its
    password by mail); None when sent, else why not."""
    when = utcnow().strftime("%-d %B %Y at %H:%M UTC")
    site = settings.public_url
    text = (
        f"This address was removed from your paperfeed account {username} on {site} on {when}: "
        f"“Forgot your password?” can no longer mail it a link.\n\nIf this was not you, "
        f"someone knows your password: sign in and change it at once ({site}/settings/profile), "
        f"then set your address again on {site}/account. If you cannot sign in, ask the site's "
        f"administrator.\n"
    )
    return send_mail(engine, settings, address, "Your account's email address was removed", text)


def mail_signup_link(
    engine: Engine, settings: Settings, username: str, email: str, password_hash: str
) -> str | None:
    """Mail a sign-up's address the link that makes its account; None when sent (or held back:
    the address had its hour's mails, and the sign-up is told the same)."""
    if not may_mail(engine, settings, "confirm", email):
        return None
    with engine.begin() as conn:
        token = create_signup_link(conn, username, email, password_hash, CONFIRM_LASTS)
    text = (
        f"Someone (we hope you) signed up as {username} on {settings.public_url} with this "
        f"address.\n\nConfirm it to make the account (the link works once, for a day):\n\n"
        f"{confirm_url(settings, token)}\n\nDid not ask? Ignore this mail: no account is made.\n"
    )
    return send_mail(engine, settings, email, "Confirm your email address", text)
