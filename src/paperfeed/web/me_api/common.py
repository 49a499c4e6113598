"""What the /api/me routes share: JSON answers, a collection of yours, a known paper."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import Connection

from paperfeed.store import collection_editors as editors
from paperfeed.store import get_papers
from paperfeed.store import library as lib
from paperfeed.web.deps import ROW_ID_MOST
from paperfeed.web.feeds import resolve_id
from paperfeed.web.periods import BLANK_IS_NONE, blank_or

JSON = "application/json"


# A collection's id as a query parameter; given empty, left out.
OptionalId = Annotated[
    Annotated[int, Field(ge=1, le=ROW_ID_MOST)] | None,
    BLANK_IS_NONE,
    blank_or({"type": "integer", "minimum": 1, "maximum": ROW_ID_MOST}),
]


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status, media_type=JSON)


def own_collection(conn: Connection, user_id: int, collection_id: int) -> lib.Collection:
    """One of the user's collections; 404 when there is none of this id, or it is another's."""
    found = lib.get_collection(conn, collection_id)
    if found is None or found.user_id != user_id:
        raise HTTPException(404, "no such collection of yours")
    return found


def editable_collection(conn: Connection, user_id: int, collection_id: int) -> lib.Collection:
    """A collection the user may put papers in and take out of (theirs, or one they are an
    editor of); 404 otherwise."""
    found = editors.editable_collection(conn, user_id, collection_id)
    if found is None:
        raise HTTPException(404, "no such collection of yours")
    return found


def known_paper(conn: Connection, paper_id: str) -> str:
    """The stored paper's canonical id; 404 when there is no such paper."""
    pid = resolve_id(paper_id)
    if pid not in get_papers(conn, [pid]):
        raise HTTPException(404, f"no paper {pid} here")
    return pid
