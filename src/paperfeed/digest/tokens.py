"""Signed, expiring, scoped tokens for the links in digest emails (no account needed)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# Each scope has its own salt, so a confirm token cannot unsubscribe and the reverse.
MAX_AGE = {
    "confirm": timedelta(days=3),
    "manage": timedelta(days=400),
    "unsubscribe": timedelta(days=400),  # RFC 8058 links must keep working for a long while
    "notices": timedelta(days=400),  # turns a user's community notice emails off
    "link": timedelta(days=3),  # links a confirmed subscription to an account
}


class TokenError(ValueError):
    """A link that is forged, for another purpose, outdated or expired."""


def make_token(secret: str, scope: str, subscriber_id: int, nonce: str) -> str:
    """A URL-safe token that lets its holder act on one subscription for one purpose."""
    return _serializer(secret, scope).dumps([subscriber_id, nonce])


def read_token(secret: str, scope: str, token: str) -> tuple[int, str]:
    """The (subscriber id, nonce) a token carries; TokenError when it is not valid for `scope`."""
    age = int(MAX_AGE[scope].total_seconds())
    try:
        value = _serializer(secret, scope).loads(token, max_age=age)
    except SignatureExpired as exc:
        raise TokenError("This link has expired.") from exc
    except BadSignature as exc:
        raise TokenError("This link is not valid.") from exc
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise TokenError("This link is not valid.")
    return value[0], str(value[1])


@lru_cache(maxsize=16)
def _serializer(secret: str, scope: str) -> URLSafeTimedSerializer:
    if scope not in MAX_AGE:
        raise ValueError(f"unknown token scope {scope!r}")
    return URLSafeTimedSerializer(secret, salt=f"paperfeed.digest.{scope}")
