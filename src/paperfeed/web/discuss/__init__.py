"""Routes of the community: comments (pages, API, feed), profiles, claims, moderation."""

from fastapi import APIRouter

from paperfeed.web.discuss import comments, feeds, links, moderation, notifications, profiles
from paperfeed.web.discuss.comments import (
    comment_form,
    delete_form,
    edit_form,
    hide_form,
    logged_comment,
    moderate_form,
    report_form,
    vote_form,
)
from paperfeed.web.discuss.common import (
    Body,
    KeptSort,
    Next,
    Reason,
    Sort,
    back_to_comment,
    back_to_paper,
    comment_url,
    paper_or_404,
)
from paperfeed.web.discuss.feeds import FEED_COMMENTS, discussion_feed, recent_feed, recent_page
from paperfeed.web.discuss.json_api import (
    JSON_MEDIA,
    THREADS_MOST,
    CommentAuthorOut,
    CommentEdit,
    CommentIn,
    CommentOut,
    ProfileOut,
    ThreadLimit,
    api,
    api_comment,
    api_comments,
    api_delete_comment,
    api_edit_comment,
    api_profile,
    comment_json,
)
from paperfeed.web.discuss.links import add_link_form, remove_link_form
from paperfeed.web.discuss.moderation import (
    CLAIMS_PER_PAGE,
    REPORTS_PER_PAGE,
    moderation_page,
    suspend_form,
)
from paperfeed.web.discuss.notifications import notifications_page
from paperfeed.web.discuss.profiles import (
    PROFILE_COLLECTIONS,
    avatar,
    change_password,
    profile_edit,
    profile_edit_page,
    profile_page,
)

# The pages' routes, in the order the single module declared them.
router = APIRouter(include_in_schema=False)
for _part in (comments, feeds, profiles, links, moderation, notifications):
    router.include_router(_part.router)

__all__ = [
    "CLAIMS_PER_PAGE",
    "FEED_COMMENTS",
    "JSON_MEDIA",
    "PROFILE_COLLECTIONS",
    "REPORTS_PER_PAGE",
    "THREADS_MOST",
    "Body",
    "CommentAuthorOut",
    "CommentEdit",
    "CommentIn",
    "CommentOut",
    "KeptSort",
    "Next",
    "ProfileOut",
    "Reason",
    "Sort",
    "ThreadLimit",
    "add_link_form",
    "api",
    "api_comment",
    "api_comments",
    "api_delete_comment",
    "api_edit_comment",
    "api_profile",
    "avatar",
    "back_to_comment",
    "back_to_paper",
    "change_password",
    "comment_form",
    "comment_json",
    "comment_url",
    "delete_form",
    "discussion_feed",
    "edit_form",
    "hide_form",
    "logged_comment",
    "moderate_form",
    "moderation_page",
    "notifications_page",
    "paper_or_404",
    "profile_edit",
    "profile_edit_page",
    "profile_page",
    "recent_feed",
    "recent_page",
    "remove_link_form",
    "report_form",
    "router",
    "suspend_form",
    "vote_form",
]
