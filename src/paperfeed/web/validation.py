"""Why a request failed validation, in words: one readable sentence per invalid value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError


def not_json(request: Request, exc: RequestValidationError) -> str | None:
    """Why a body was not read, when a route that takes JSON was sent another media type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media or media == "application/json" or media.endswith("+json"):
        return None
    whole = [e for e in exc.errors() if tuple(e.get("loc", ())) == ("body",)]
    if not any(e.get("type") in ("model_attributes_type", "dict_type") for e in whole):
        return None
    return f"send the body as JSON (Content-Type: application/json), not {media[:60]}"


def validation_message(exc: RequestValidationError) -> str:
    """One readable sentence per invalid parameter."""
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character offset
            parts.append(f"the body is not valid JSON ({err.get('ctx', {}).get('error', '')})")
            continue
        where = _where(tuple(err.get("loc", ())))
        if not where and err.get("type") == "missing":
            parts.append("send a JSON body: the API's page, /docs, shows its fields")
            continue
        parts.append(f"{where or 'request'}: {_explain(err)}")
    return "; ".join(dict.fromkeys(parts)) or "invalid request"


_SOURCES = ("query", "path", "body", "header", "cookie")


def _where(loc: tuple[object, ...]) -> str:
    """The value's name: its location less where it was sent (the first part only, so that a
    body's field called `body` keeps its name)."""
    if loc and loc[0] in _SOURCES:
        loc = loc[1:]
    return ".".join(str(p) for p in loc)


_CHOICES_RE = re.compile(r"^\^\(([\w|]+)\)\$$")


def _explain(err: Mapping[str, Any]) -> str:
    """What is wrong with one value, in words (a pattern of choices is named as its choices)."""
    message = str(err.get("msg", "invalid"))
    if err.get("type") != "string_pattern_mismatch":
        return message
    pattern, given = str((err.get("ctx") or {}).get("pattern", "")), repr(err.get("input", ""))
    choices = _CHOICES_RE.match(pattern)
    if choices:
        return f"use one of {', '.join(c for c in choices[1].split('|') if c)}, not {given}"
    if pattern in (r"^\d*$", r"^\d+$"):
        return f"give a number, not {given}"
    return message
