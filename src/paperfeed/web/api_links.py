"""OpenAPI links of the JSON API: which fields of a response the next call can use.

Each route passes `openapi_extra=links(status, {...})`; FastAPI merges it into the generated
response. Targets are named by `operationRef` (a JSON pointer into the served document), so
they do not depend on FastAPI's generated operation ids.
"""

from __future__ import annotations

from typing import Any

PAPER = "/api/papers/{paper_id}"
COMMENTS = "/api/papers/{paper_id}/comments"


def target(method: str, path: str) -> str:
    """The operationRef of `method path` in the served document."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


def link(
    method: str,
    path: str,
    description: str,
    parameters: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One link; `parameters` and `body` values are runtime expressions like $response.body#/id."""
    found: dict[str, Any] = {"operationRef": target(method, path), "description": description}
    if parameters:
        found["parameters"] = parameters
    if body:
        found["requestBody"] = body
    return found


def links(status: int, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The `openapi_extra` that puts `named` links on the `status` response."""
    return {"responses": {str(status): {"links": named}}}


def paper_links(pointer: str) -> dict[str, dict[str, Any]]:
    """What a client can do with the paper id found at `pointer` of a response body."""
    pid = f"$response.body#{pointer}"
    by_id = {"paper_id": pid}
    return {
        "GetPaper": link("GET", PAPER, "The paper", by_id),
        "SimilarPapers": link("GET", PAPER + "/similar", "Papers like it", by_id),
        "PaperComments": link("GET", COMMENTS, "Its discussion", by_id),
        "CommentOnPaper": link("POST", COMMENTS, "Comment on it", by_id),
        "UpvotePaper": link("POST", PAPER + "/upvote", "Upvote it", by_id),
        "SavePaper": link("POST", "/api/me/library", "Save it", body={"paper_id": pid}),
        "RatePaper": link("PUT", "/api/me/ratings/{paper_id}", "Rate it", by_id),
    }


def listing_links() -> dict[str, Any]:
    """Links of a 200 list of papers (each item has `paper.id`): from its first paper."""
    return links(200, paper_links("/0/paper/id"))


def remove_interest(path: str, pointer: str) -> dict[str, Any]:
    """The link that removes the follow or mute whose `kind` and `label` are at `pointer`."""
    where = f"$response.body#{pointer}"
    parameters = {"kind": f"{where}/kind", "value": f"{where}/label"}
    return link("DELETE", path, "Remove it", parameters)
