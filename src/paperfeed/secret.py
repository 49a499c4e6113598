"""The secret key that signs cookies, CSRF tokens and email links."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import secrets
import string
from collections import Counter
from pathlib import Path

from paperfeed.settings import Settings

log = logging.getLogger(__name__)
DEV_SECRET_FILE = "dev-secret-key"


class InsecureSettings(RuntimeError):
    """The settings are unsafe to serve with (no secret key outside dev mode)."""


MIN_SECRET_BITS = 256  # 32 bytes


def secret_key(settings: Settings) -> str:
    """The configured secret; in dev mode a generated one kept in the data directory."""
    if settings.secret_key:
        if not settings.dev_mode and entropy_bits(settings.secret_key) < MIN_SECRET_BITS:
            raise InsecureSettings(
                "PAPERFEED_SECRET_KEY is too weak: it needs at least 32 random bytes, "
                "e.g. the output of `openssl rand -hex 32`"
            )
        return settings.secret_key
    if not settings.dev_mode:
        raise InsecureSettings(
            "PAPERFEED_SECRET_KEY is required when PAPERFEED_DEV_MODE is off; "
            "set it to a long random string, e.g. the output of `openssl rand -hex 32`"
        )
    return _dev_secret(settings.data_dir / DEV_SECRET_FILE)


def key_mark(secret: bytes) -> int:
    """A number that tells keys apart without revealing them (what nodes compare in the store)."""
    digest = hmac.new(secret, b"paperfeed: the key this node signs with", hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF  # fits the store's 32-bit integers


def entropy_bits(key: str) -> float:
    """A cautious estimate of a key's randomness: length × bits per character of its alphabet.

    The alphabet is hexadecimal when every character is a hex digit, else the character classes
    used; a key that repeats a few characters (Shannon entropy under 2.5 bits each) counts 0.
    """
    if not key:
        return 0.0
    counts = Counter(key)
    shannon = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    if shannon < 2.5:
        return 0.0
    return len(key) * math.log2(_alphabet(key))


def _alphabet(key: str) -> int:
    if all(c in string.hexdigits for c in key) and (
        key.islower() or key.isupper() or key.isdigit()
    ):
        return 16
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
    size = sum(len(chars) for chars in classes if any(c in chars for c in key))
    return size + (33 if any(not c.isascii() or not c.isalnum() for c in key) else 0)


def _dev_secret(path: Path) -> str:
    # Every process (CLI, cron, web workers) must agree on it; linking a finished temporary
    # file into place means no process ever reads a half-written key.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
            log.warning("dev mode: generated a secret key in %s", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
