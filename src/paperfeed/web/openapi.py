"""The served OpenAPI document, made to say what the API really does.

FastAPI describes a 422 as a list of validation errors and knows nothing of the bearer token or of
the other refusals; every error this API sends is `{"detail": "<the reason>"}`, any call may be
made with a token from `POST /api/login`, and `/api/me/...` needs one.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "what was wrong, in words"}},
    "required": ["detail"],
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REFUSED: dict[str, Any] = {
    "description": "Refused, with the reason in `detail`: a bad parameter (400, 422), no or a "
    "bad token (401), not allowed (403), no such thing (404), a method the address does not take "
    "(405), a conflict (409), too large (413), a body that is not JSON (415) "
    "or too many requests (429, with Retry-After)",
    "content": {"application/json": {"schema": _PROBLEM_REF}},
}
FAILED: dict[str, Any] = {
    "description": "The server could not answer, with the reason in `detail`: an unexpected "
    "error (500), the database busy or unreachable, or too many requests at once (503, with "
    "Retry-After), or its disk full (507)",
    "content": {"application/json": {"schema": _PROBLEM_REF}},
}
# Pages (the subscription links of an email) answer a page, and a refusal as a page too, unless
# the client asks for JSON (Accept: application/json).
_PAGE: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
_NEGOTIATED = " (a page, or this JSON to a client whose Accept asks for application/json)"
_TOLD: dict[str, Any] = {  # what such a page says, as JSON
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "the page's heading"},
        "detail": {"type": "string", "description": "what happened, in words"},
    },
    "required": ["title", "detail"],
}
ETAG: dict[str, Any] = {
    "description": "the answer's version: send it as If-None-Match to get a 304 while it holds",
    "schema": {"type": "string"},
}
NOT_MODIFIED: dict[str, Any] = {
    "description": "Not modified: the copy If-None-Match names is current (no body)"
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "a personal API token (`pf_...`) made on /account or by `POST /api/me/tokens`, "
        "or a sign-in's token from `POST /api/login` (or a session cookie in the browser)"
    ),
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def install(app: FastAPI) -> None:
    """Serve `document(app)` (made once) as the app's OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document with the errors, the token and the personal routes' need of it."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM
    components["securitySchemes"] = {"bearerAuth": BEARER}
    doc["security"] = [{}, {"bearerAuth": []}]  # optional: a token makes answers personal
    site = getattr(app.state, "site", None)
    if site is not None and site.settings.root_path:  # served under a path: calls go there
        doc["servers"] = [{"url": site.settings.root_path}]
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS:
                _refusals(operation)
                if method == "get" and path.startswith("/api/"):
                    _validated(operation)
                if path.startswith("/api/me/") or path == "/api/me":
                    operation["security"] = [{"bearerAuth": []}]
    return doc


def _validated(operation: dict[str, Any]) -> None:
    """An API read's ETag (every 200 has one, web/etags.py) and the 304 If-None-Match gets."""
    responses = operation["responses"]
    ok = responses.get("200")
    if ok is None:
        return
    ok.setdefault("headers", {}).setdefault("ETag", ETAG)
    responses.setdefault("304", NOT_MODIFIED)


def _refusals(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's list-of-errors shape; 4XX says what is sent
    for status, response in responses.items():  # a route's own error statuses: the same shape
        if status[0] in "45" and "content" not in response:
            response["content"] = REFUSED["content"]
    refused, failed = REFUSED, FAILED
    if _is_page(responses):
        refused, failed = _as_page(REFUSED), _as_page(FAILED)
        for status, response in responses.items():
            if status.startswith("2"):  # a page that only tells an outcome: JSON when asked
                response["content"].setdefault("application/json", {"schema": _TOLD})
    responses.setdefault("4XX", refused)
    responses.setdefault("5XX", failed)


def _is_page(responses: dict[str, Any]) -> bool:
    """True for an operation whose success is an HTML page."""
    ok: dict[str, Any] = next((r for s, r in responses.items() if s.startswith("2")), {})
    return "text/html" in ok.get("content", {})


def _as_page(response: dict[str, Any]) -> dict[str, Any]:
    """An error response of a page: a page, or the JSON to a client that asks for it."""
    content = _PAGE | response["content"]
    return response | {"description": response["description"] + _NEGOTIATED, "content": content}
