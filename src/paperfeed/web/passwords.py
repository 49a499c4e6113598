"""Password policy for new accounts: long enough once trimmed, and not a common password.

`common-passwords.txt.gz` holds the 10,000 most common passwords of the list Django ships
(django/contrib/auth, BSD-3-Clause; compiled by Royce Williams), lowercased.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

MIN_PASSWORD, MAX_PASSWORD = 8, 256
_COMMON = Path(__file__).with_name("common-passwords.txt.gz")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lowercase)."""
    with gzip.open(_COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """Why the password is too weak for a new account, or None when it will do."""
    trimmed = password.strip()
    if len(trimmed) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters besides surrounding spaces"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    folded = trimmed.lower()
    if folded in common_passwords() or (username and folded == username.strip().lower()):
        return "that password is too easy to guess (it is on a list of common passwords)"
    return None
