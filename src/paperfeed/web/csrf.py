"""CSRF protection: a random per-browser cookie and an HMAC of it in every form."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# Pages are rendered (and cached) with this marker; each response swaps in the visitor's token,
# only inside the hidden form field, and the marker is random per process: no stored text can
# carry it into a link (issue 9, item 9).
PLACEHOLDER = f"__pf_csrf_{secrets.token_hex(16)}__"
_FIELD = f'name="{CSRF_FIELD}" value="{PLACEHOLDER}"'
_PLAIN = re.compile(r"[0-9a-f]{64}(?:\.[0-9a-f]{64})?")  # an unmasked token, as token_for makes


def new_cookie_value() -> str:
    """A fresh random value for the CSRF cookie."""
    return secrets.token_urlsafe(24)


def token_for(secret: bytes, cookie_value: str, session: str | None = None) -> str:
    """The form token for a CSRF cookie value: while signed in, a second part binds it to the
    session cookie too, so a token is worth nothing to a neighbouring site that planted a CSRF
    cookie of its own choosing in the reader's browser (cookie tossing)."""
    browser = _mac(secret, cookie_value)
    return f"{browser}.{_mac(secret, cookie_value, session)}" if session else browser


def is_valid(
    secret: bytes, cookie_value: str | None, token: str | None, session: str | None = None
) -> bool:
    """True when the submitted token matches the browser's CSRF cookie and, when the request
    carries a session cookie, that session (signed out, a signed-in page's token still passes:
    its form then asks to sign in)."""
    if not cookie_value or not token:
        return False
    token = unmask(token)
    browser, _, bound = token.encode("utf-8", "replace").partition(b".")
    if not hmac.compare_digest(_mac(secret, cookie_value).encode(), browser):
        return False
    return not session or hmac.compare_digest(_mac(secret, cookie_value, session).encode(), bound)


def _mac(secret: bytes, cookie_value: str, session: str | None = None) -> str:
    message = b"csrf:" + cookie_value.encode() + (b"\n" + session.encode() if session else b"")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def fill(body: str, token: str) -> str:
    """The page with the visitor's token, masked afresh, in its CSRF form fields (and nowhere
    else)."""
    return body.replace(_FIELD, f'name="{CSRF_FIELD}" value="{masked(token)}"')


def masked(token: str) -> str:
    """The token XORed with a random pad, pad first: another string at every response, so a
    compressed page that also echoes what a visitor typed cannot be made to leak it byte by
    byte through its length (BREACH), while `is_valid` still reads it."""
    raw = token.encode("ascii")
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(
        pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    ).decode()


def unmask(token: str) -> str:
    """The token a masked one carries (an unmasked one as it is: a page rendered before
    masking, or a client that made its own); "" when it is neither."""
    if _PLAIN.fullmatch(token):
        return token
    try:
        data = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return ""
    pad, cipher = data[: len(data) // 2], data[len(data) // 2 :]
    if len(data) % 2:
        return ""
    return bytes(a ^ b for a, b in zip(pad, cipher, strict=True)).decode("latin-1")
