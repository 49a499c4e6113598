"""Reactions on comments: the reaction bar's form (JSON to scripts) and the API."""

from __future__ import annotations

import json
from math import ceil
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from paperfeed.store.community import Comment, get_comment
from paperfeed.store.listings import paper_flags
from paperfeed.store.reactions import NAMED, REACTIONS, Reaction, reactions_on, set_reaction
from paperfeed.web.deps import ApiCsrf, FormCsrf, RowId, SignedInDep, Site, SiteDep, signed
from paperfeed.web.render import paper_url

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["community"])

_NAMES = f"^({'|'.join(REACTIONS)})$"
_LISTED = ", ".join(f"{name} ({emoji})" for name, (emoji, _) in REACTIONS.items())
EmojiPath = Annotated[str, Path(pattern=_NAMES, description=f"one of {_LISTED}")]
EmojiForm = Annotated[str, Form(pattern=_NAMES, description="the reaction's name")]


class ReactionOut(BaseModel):
    name: str = Field(description=f"one of {_LISTED}")
    emoji: str
    count: int = Field(description="accounts that reacted so (suspended ones leave the count)")
    reacted: bool = Field(description="whether you did (false when signed out)")
    users: list[str] = Field(description=f"the first {NAMED} who reacted, oldest first")


class ReactionsOut(BaseModel):
    commentId: int
    reactions: list[ReactionOut]


def reaction_json(r: Reaction) -> dict[str, Any]:
    """One emoji's reactions under a comment as the API shows them."""
    return {
        "name": r.name,
        "emoji": r.emoji,
        "count": r.count,
        "reacted": r.mine,
        "users": list(r.names),
    }


def _within_limit(site: Site, user_id: int) -> None:
    """Count a reaction of an account, or refuse it (429) past the account's limit a minute:
    a script toggling thousands would fill the store and everyone's notices of it."""
    wait = site.reaction_limiter.hit(f"react:{user_id}")
    if wait is not None:
        seconds = ceil(wait)
        per = site.settings.reaction_rate_limit
        unit = "second" if seconds == 1 else "seconds"
        message = f"at most {per} reactions a minute; try again in {seconds} {unit}"
        raise HTTPException(429, message, headers={"Retry-After": str(seconds)})


def react(site: Site, user_id: int, comment_id: int, name: str, on: bool) -> tuple[Reaction, ...]:
    """Add or take back the user's reaction on a visible comment (within the account's rate
    limit); the comment's reactions."""
    _within_limit(site, user_id)
    with site.writing() as conn:
        comment = get_comment(conn, comment_id)
        if comment is None or comment.hidden or comment.held or comment.deleted:
            raise HTTPException(404, f"no comment {comment_id}")
        flags = paper_flags(conn, [comment.paper_id]).get(comment.paper_id)
        if flags is None or flags.hidden:
            raise HTTPException(404, f"no comment {comment_id}")
        set_reaction(conn, user_id, comment_id, name, on)
        return reactions_on(conn, [comment_id], user_id).get(comment_id, ())


def _bar(
    site: Site, request: Request, comment: Comment, shown: tuple[Reaction, ...], sort: str
) -> str:
    """The comment's reaction bar as its page shows it (scripts swap it in)."""
    context = {"c": comment, "reactions": shown, "signed_in": True, "sort": sort}
    return signed(site, request, site.render("_reactions.html", bar_only=True, **context))


@router.post("/comments/{comment_id}/react", dependencies=[FormCsrf])
def react_form(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    comment_id: RowId,
    emoji: EmojiForm,
    on: Annotated[int, Form(ge=0, le=1)] = 1,
    sort: Annotated[str, Form(pattern="^(top|new)$")] = "top",
) -> Response:
    """React to a comment (or take it back): JSON with the new bar to scripts, else back to it
    (a refusal too is JSON to scripts, which say it beside the bar)."""
    script = request.headers.get("accept", "").startswith("application/json")
    try:
        shown = react(site, user.id, comment_id, emoji, bool(on))
    except HTTPException as refused:
        if not script:
            raise
        said = json.dumps({"detail": refused.detail})
        return Response(said, refused.status_code, refused.headers, "application/json")
    with site.engine.connect() as conn:
        comment = get_comment(conn, comment_id)
    assert comment is not None  # reacted to just now; a deletion drops reactions with it
    if script:
        data = {"reactions": [reaction_json(r) for r in shown]}
        data["html"] = _bar(site, request, comment, shown, sort)  # type: ignore[assignment]
        return Response(json.dumps(data), media_type="application/json")
    query = "sort=new&" if sort == "new" else ""
    target = f"{paper_url(comment.paper_id)}?{query}comment={comment_id}#c{comment_id}"
    return Response(status_code=303, headers={"Location": target})


_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Over your reactions a minute (Retry-After says when to try again)"}
}


def _answer(comment_id: int, shown: tuple[Reaction, ...]) -> Response:
    data = {"commentId": comment_id, "reactions": [reaction_json(r) for r in shown]}
    return Response(json.dumps(data), media_type="application/json")


@api.put(
    "/comments/{comment_id}/reactions/{emoji}",
    response_model=ReactionsOut,
    dependencies=[ApiCsrf],
    summary="React to a comment",
    responses=_LIMITED,
)
def api_react(site: SiteDep, user: SignedInDep, comment_id: RowId, emoji: EmojiPath) -> Response:
    """Add your reaction to a comment (idempotent): the comment's reactions after it."""
    return _answer(comment_id, react(site, user.id, comment_id, emoji, True))


@api.delete(
    "/comments/{comment_id}/reactions/{emoji}",
    response_model=ReactionsOut,
    dependencies=[ApiCsrf],
    summary="Take back a reaction",
    responses=_LIMITED,
)
def api_unreact(site: SiteDep, user: SignedInDep, comment_id: RowId, emoji: EmojiPath) -> Response:
    """Take back your reaction to a comment (idempotent): the comment's reactions after it."""
    return _answer(comment_id, react(site, user.id, comment_id, emoji, False))
