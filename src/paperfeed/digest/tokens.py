"""Signed, expiring, scoped tokens for the links in digest emails (no account needed)."""

from __future__ import annotations

import hmac
import json
import zlib
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from itsdangerous.signer import HMACAlgorithm

# Each scope has its own salt, so a confirm token cannot unsubscribe and the reverse.
MAX_AGE = {
    "confirm": timedelta(days=3),
    "manage": timedelta(days=400),
    "unsubscribe": timedelta(days=400),  # RFC 8058 links must keep working for a long while
    "notices": timedelta(days=400),  # turns a user's community notice emails off
    "link": timedelta(days=3),  # links a confirmed subscription to an account
    "rate": timedelta(days=400),  # 👍 / 👎 on a digest's papers, for the linked account
}


class TokenError(ValueError):
    """A link that is forged, for another purpose, outdated or expired."""


def make_token(secret: str, scope: str, subscriber_id: int, nonce: str) -> str:
    """A URL-safe token that lets its holder act on one subscription for one purpose."""
    return make_tokens(secret, (scope,), subscriber_id, nonce)[0]


def make_tokens(secret: str, scopes: Sequence[str], subscriber_id: int, nonce: str) -> list[str]:
    """One token per scope for the same subscription: the strings `URLSafeTimedSerializer.dumps`
    gives, at a fraction of the cost (a digest carries two). The payload is serialised once
    (it does not depend on the scope) and each scope's derived key is kept."""
    payload = _payload(subscriber_id, nonce)
    out = []
    for scope in scopes:
        signer, mac = _signer(secret, scope)
        value = payload + b"." + base64_encode(int_to_bytes(signer.get_timestamp()))
        sig = mac.copy()
        sig.update(value)
        out.append((value + b"." + base64_encode(sig.digest())).decode("utf-8"))
    return out


def _payload(subscriber_id: int, nonce: str) -> bytes:
    # What `URLSafeTimedSerializer.dump_payload([subscriber_id, nonce])` gives (compact JSON,
    # zlib when that is shorter, URL-safe base64), without its layers of calls: a large digest
    # run makes one per subscriber. The test of make_tokens checks it against itsdangerous.
    raw = json.dumps([subscriber_id, nonce], ensure_ascii=False, separators=(",", ":"))
    data = raw.encode("utf-8")
    packed = zlib.compress(data)
    if len(packed) < len(data) - 1:
        return b"." + base64_encode(packed)
    return base64_encode(data)


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


@lru_cache(maxsize=16)
def _signer(secret: str, scope: str) -> tuple[TimestampSigner, Any]:
    # The serializer's own signer (its salt, key derivation and digest), and an HMAC keyed
    # with its derived key, copied for each token instead of deriving the key again.
    signer = _serializer(secret, scope).make_signer()
    algorithm = signer.algorithm
    if not (isinstance(signer, TimestampSigner) and isinstance(algorithm, HMACAlgorithm)):
        raise TypeError("itsdangerous changed: expected a TimestampSigner with HMAC")
    if signer.sep not in (".", b"."):
        raise TypeError("itsdangerous changed: expected '.' between a token's parts")
    return signer, hmac.new(signer.derive_key(), digestmod=algorithm.digest_method)
