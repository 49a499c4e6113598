"""The reader's library (or one of its collections) by topic: its papers grouped by what their
abstracts mean and drawn on a map, as the daily papers are on /topics (`paperfeed.topics`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paperfeed.store import collection_editors as editors
from paperfeed.store import library as lib
from paperfeed.web import me_api
from paperfeed.web.deps import RowIdQuery, SignedInDep, SiteDep, html
from paperfeed.web.views.topics import page_parts, topics_among

router = APIRouter(include_in_schema=False)


@router.get("/library/topics")
def library_topics(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    collection: RowIdQuery = None,
    topic: Annotated[int | None, Query(ge=1, le=100, description="one topic, all of it")] = None,
) -> Response:
    """The saved papers (of one collection, given its id) by topic, newest saved first within
    each; the 5,000 newest saved at most; each topic's first 100 listed and drawn, all of one
    `topic` (its place in the index) on its own page."""
    with site.engine.connect() as conn:
        chosen = (
            me_api.editable_collection(conn, user.id, collection)
            if collection is not None
            else None
        )
        saved = lib.library(conn, user.id, chosen.id if chosen else None)
        if chosen is not None and chosen.user_id != user.id:
            saved = editors.editor_shelf(conn, user.id, chosen, saved)
    found = topics_among(site.engine, user, [i.paper_id for i in saved], len(saved))
    parts = page_parts(found, set(), topic)  # every paper here is saved: none ringed
    body = site.render(
        "library_topics.html",
        user=user,
        here="/library/topics",
        chosen=chosen,
        topics=found.groups,
        waiting=found.waiting,
        total=found.total,
        read=found.read,
        **parts,
    )
    return html(site, request, body)
