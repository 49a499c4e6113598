"""The digest and confirmation mails rendered from their whole templates."""

from __future__ import annotations

from datetime import datetime

from paperfeed.digest.compose import Digest
from paperfeed.digest.render.content import _digest_context, _view, section_more
from paperfeed.digest.render.environment import render_pair
from paperfeed.digest.render.links import Links
from paperfeed.digest.render.message import Mail, build_message
from paperfeed.digest.render.wrapping import section_text, why_text, wrapped
from paperfeed.digest.tokens import MAX_AGE
from paperfeed.settings import Settings


def render_digest(settings: Settings, links: Links, digest: Digest, now: datetime) -> Mail:
    """The digest email, with one-click unsubscribe headers and links back to the site."""
    context = _digest_context(links, digest)
    after = section_more(links, digest)
    items = [
        {**_view(links, item), "why": item.why, "why_text": why_text(item.why)}
        | {"section": item.section, "section_text": section_text(item.section)}
        | {"more": after.get(i)}
        for i, item in enumerate(digest.items)
    ]
    # With no papers, the followed collections' new versions alone (else after the last one).
    text, html = render_pair("digest", items=items, alone=after.get(-1, []), **context)
    return _digest_mail(settings, digest, context, text, html, now)


def _digest_mail(
    settings: Settings, digest: Digest, context: dict[str, str], text: str, html: str, now: datetime
) -> Mail:
    subject, unsubscribe = context["subject"], context["unsubscribe_url"]
    return build_message(settings, digest.subscriber.email, subject, text, html, now, unsubscribe)


def render_confirmation(
    settings: Settings,
    links: Links,
    email: str,
    already: bool,
    now: datetime,
    digests: bool = True,
) -> Mail:
    """The double opt-in mail, or (for a confirmed address) a link to its preferences.

    Without `digests` the address asks for community notices only (frequency "none").
    """
    subject = "paperfeed: your subscription" if already else "Confirm your paperfeed subscription"
    if not digests and not already:
        subject = "Confirm your paperfeed email address"
    text, html = render_pair(
        "confirm",
        subject=subject,
        already=already,
        digests=digests,
        confirm_url=links.token_url("/confirm", "confirm"),
        manage_url=links.token_url("/preferences", "manage"),
        days=MAX_AGE["confirm"].days,
    )
    return build_message(settings, email, subject, wrapped(text), html, now, None)
