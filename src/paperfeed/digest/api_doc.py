"""What the subscription routes accept: the JSON body's model (its schema is the one the OpenAPI
document shows, and every body is checked against it) and the forms' fields."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictStr, ValidationError

from paperfeed.digest.subscriber import FREQUENCIES, MAX_INTERESTS, MAX_PAPERS, WEEKDAYS

_LIST_NOTE = "a list, or text with one entry per line (';' also separates)"
# The preferences that take several entries: a JSON list of more than MAX_INTERESTS is refused.
LISTS = ("categories", "keywords", "searches", "authors", "seeds")


def _preferences() -> dict[str, Any]:
    """The preferences as form fields (all text; the JSON body's are SubscribeJson's)."""

    def many(what: str) -> dict[str, Any]:
        return {"type": "string", "description": f"{what}: {_LIST_NOTE}"}

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


def _as_int(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value  # 20.0 is 20


def _whole(low: int, high: int) -> Any:
    """A JSON integer from low to high (20.0 is one; "20" and true are not)."""
    return Annotated[int, Field(strict=True, ge=low, le=high), BeforeValidator(_as_int)]


_Item = Annotated[StrictStr, Field(max_length=200)]


def _many(what: str) -> Any:
    told = f"{what} ({MAX_INTERESTS} at most; a longer list is a 400; null: none)"
    listed = Annotated[list[_Item], Field(max_length=MAX_INTERESTS)]
    return Annotated[listed | StrictStr | None, Field(description=f"{told}; {_LIST_NOTE}")]


class SubscribeJson(BaseModel):
    """The body of POST /api/subscribe; fields it does not name are ignored."""

    email: Annotated[StrictStr, Field(max_length=254, json_schema_extra={"format": "email"})]
    frequency: Literal["daily", "weekly", "none"] = "daily"
    send_time: Annotated[
        StrictStr, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])
    ] = "08:00"
    timezone: Annotated[
        StrictStr, Field(description="IANA zone name", examples=["Europe/Berlin"])
    ] = "UTC"
    weekday: Annotated[
        Literal[WEEKDAYS] | _whole(0, 6),  # type: ignore[valid-type]
        Field(description="day of weekly digests: a day name or 0 (Monday) to 6"),
    ] = 0
    skip_weekends: StrictBool = True
    max_papers: _whole(1, MAX_PAPERS) = 10  # type: ignore[valid-type]
    include_trending: StrictBool = True
    categories: _many("arXiv categories such as cs.CL") = None  # type: ignore[valid-type]
    keywords: _many("keyword searches") = None  # type: ignore[valid-type]
    searches: _many("saved searches (matched by meaning)") = None  # type: ignore[valid-type]
    authors: _many("authors to follow") = None  # type: ignore[valid-type]
    seeds: _many("arXiv ids of papers like the ones wanted") = None  # type: ignore[valid-type]


_WANTED = {
    "weekday": "give a day name (monday to sunday) or a whole number from 0 to 6",
    **{name: f"give a list of at most {MAX_INTERESTS} texts, one text or null" for name in LISTS},
}


def schema_problem(data: dict[str, object]) -> str | None:
    """Why a JSON body breaks SubscribeJson's schema, each wrong field named (None: it fits)."""
    try:
        SubscribeJson.model_validate(data)
    except ValidationError as exc:
        said: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            field = str(err["loc"][0]) if err["loc"] else "body"
            said[field] = _WANTED.get(field) or str(err["msg"])
        return "; ".join(f"{field}: {why}" for field, why in said.items())
    return None


class SubscribedOut(BaseModel):
    """The answer of POST /api/subscribe: the same whoever is listed already."""

    status: Literal["pending"] = Field(description="waiting for the emailed confirmation link")
    detail: str


def subscribe_json() -> dict[str, Any]:
    """The request body of POST /api/subscribe."""
    schema = SubscribeJson.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def subscribe_form() -> dict[str, Any]:
    """The form POST /subscribe takes (the site's subscribe box and its options)."""
    return _form({"email": _email(), **_preferences()}, required=["email"])


def preferences_form() -> dict[str, Any]:
    """The form POST /preferences takes (every field optional: unchanged when absent)."""
    return _form(_preferences(), required=[])


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    content = {"application/x-www-form-urlencoded": {"schema": schema}}
    return {"requestBody": {"required": bool(required), "content": content}}
