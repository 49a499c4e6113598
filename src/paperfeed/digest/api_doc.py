"""What the subscription routes accept, for the OpenAPI document (they parse bodies by hand)."""

from __future__ import annotations

from typing import Any

from paperfeed.digest.subscriber import FREQUENCIES, MAX_INTERESTS, MAX_PAPERS, WEEKDAYS

_LIST_NOTE = "a list, or text with one entry per line (';' also separates)"
# The preferences that take several entries: a JSON list of more than MAX_INTERESTS is refused.
LISTS = ("categories", "keywords", "searches", "authors", "seeds")


def _preferences(lists_as: str) -> dict[str, Any]:
    def many(what: str) -> dict[str, Any]:
        text = {"type": "string", "description": f"{what}: {_LIST_NOTE}"}
        if lists_as == "text":
            return text
        items = {"type": "string", "maxLength": 200}
        array = {"type": "array", "items": items, "maxItems": MAX_INTERESTS}
        told = f"{what} ({MAX_INTERESTS} at most; a longer list is a 400; null: none)"
        return {"anyOf": [array, text, {"type": "null"}], "description": told}

    return {
        "frequency": {"type": "string", "enum": list(FREQUENCIES), "default": "daily"},
        "send_time": {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d$",
            "example": "08:00",
        },
        "timezone": {"type": "string", "description": "IANA zone name", "example": "Europe/Berlin"},
        "weekday": {
            "description": "day of weekly digests: a day name or 0 (Monday) to 6",
            "anyOf": [
                {"type": "string", "enum": list(WEEKDAYS)},
                {"type": "integer", "minimum": 0, "maximum": 6},
            ],
        },
        "skip_weekends": {"type": "boolean"},
        "max_papers": {"type": "integer", "minimum": 1, "maximum": MAX_PAPERS},
        "include_trending": {"type": "boolean"},
        "categories": many("arXiv categories such as cs.CL"),
        "keywords": many("keyword searches"),
        "searches": many("saved searches (matched by meaning)"),
        "authors": many("authors to follow"),
        "seeds": many("arXiv ids of papers like the ones wanted"),
    }


def _email() -> dict[str, Any]:
    return {"type": "string", "format": "email", "maxLength": 254}


def subscribe_json() -> dict[str, Any]:
    """The request body of POST /api/subscribe."""
    properties = {"email": _email(), **_preferences("json")}
    schema = {"type": "object", "required": ["email"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def subscribe_form() -> dict[str, Any]:
    """The form POST /subscribe takes (the site's subscribe box and its options)."""
    return _form({"email": _email(), **_preferences("text")}, required=["email"])


def preferences_form() -> dict[str, Any]:
    """The form POST /preferences takes (every field optional: unchanged when absent)."""
    return _form(_preferences("text"), required=[])


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    content = {"application/x-www-form-urlencoded": {"schema": schema}}
    return {"requestBody": {"required": bool(required), "content": content}}
