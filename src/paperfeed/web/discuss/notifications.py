"""The notifications page."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from paperfeed.store.collection_editors import editable_collection, offered_to
from paperfeed.store.community import mark_seen, user_notifications
from paperfeed.web import discussion
from paperfeed.web.deps import SignedInDep, SiteDep, html
from paperfeed.web.discuss.common import _authored, _titles

router = APIRouter(include_in_schema=False)


@router.get("/notifications")
def notifications_page(request: Request, site: SiteDep, user: SignedInDep) -> Response:
    """Replies to the user's comments, comments on papers they authored, decided claims, what
    happened to their team reading lists."""
    with site.writing() as conn:
        items = user_notifications(conn, user.id)
        papers = {n.comment.paper_id for n in items if n.comment}
        titles = _titles(conn, papers | {n.claim.paper_id for n in items if n.claim})
        authored = _authored(conn, papers)
        lists = {n.team.collection_id for n in items if n.team}
        opens = {c for c in lists if editable_collection(conn, user.id, c) is not None}
        offered = offered_to(conn, user.id) if lists else set()
        mark_seen(conn, user.id)
    views = [(n, discussion.listed_html(n.comment) if n.comment else "") for n in items]
    seen = replace(user, unseen=0)  # opened now: the header counts nothing unseen on this page
    shown: dict[str, object] = {"items": views, "titles": titles, "authored": authored}
    shown |= {"opens": opens, "offered": offered}  # lists one may open, offers still standing
    return html(site, request, site.render("notifications.html", user=seen, **shown))


# ---- JSON API ---------------------------------------------------------------------------
