"""The account export is documented (docs/account-export.md): every key the export writes, at
the top and in its rows, is named there, so a reader's own tools can read the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paperfeed.store import erasure
from paperfeed.store.accounts import create_user
from paperfeed.store.erasure import EXPORT_FORMAT, export_account

DOC = Path(__file__).parent.parent / "docs" / "account-export.md"


def _keys(value: Any) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_key_of_the_account_export_is_documented(engine: Engine) -> None:
    with engine.begin() as conn:
        user = create_user(conn, "eva", "not a real hash")
        exported = export_account(conn, user.id)
    assert exported is not None
    named = set(re.findall(r"`([a-z_]+)`", DOC.read_text(encoding="utf-8")))
    assert EXPORT_FORMAT in DOC.read_text(encoding="utf-8")
    assert not _keys(exported) - named  # the top level and the account's own fields
    rows = {c for _, cols in erasure._OWN.values() for c in cols}  # the rows' fields
    rows |= set(erasure._SUBSCRIPTION) | set(erasure._MAIL) | set(erasure._OFFER)
    assert not rows - named
