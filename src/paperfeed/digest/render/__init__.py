"""Turning digests and confirmations into MIME messages (HTML + plain text) from Jinja templates."""

from paperfeed.digest.render.content import (
    digest_preheader,
    digest_subject,
    revised_text,
    section_more,
)
from paperfeed.digest.render.environment import render_pair
from paperfeed.digest.render.links import PAPER_PATH, RATE_PATH, Links
from paperfeed.digest.render.mails import render_confirmation, render_digest
from paperfeed.digest.render.message import (
    Mail,
    build_message,
    sender_address,
    sender_domain,
)
from paperfeed.digest.render.message import _base64_lines as _base64_lines
from paperfeed.digest.render.renderer import DigestRenderer
from paperfeed.digest.render.wrapping import section_text, why_text, wrapped

# _base64_lines comes too (as itself): the test of the message bodies uses it.
__all__ = [
    "DigestRenderer",
    "Links",
    "Mail",
    "PAPER_PATH",
    "RATE_PATH",
    "build_message",
    "digest_preheader",
    "digest_subject",
    "render_confirmation",
    "render_digest",
    "render_pair",
    "revised_text",
    "section_more",
    "section_text",
    "sender_address",
    "sender_domain",
    "why_text",
    "wrapped",
]
