"""Accounts: sign up, sign in, sign out; argon2 password hashes and session cookies."""

from fastapi import APIRouter

from paperfeed.web.auth import account, pages
from paperfeed.web.auth.account import TOKEN_LASTS, account_home, account_page
from paperfeed.web.auth.credentials import (
    INVITE_ONLY,
    INVITE_SPENT,
    SIGNUP_CLOSED,
    SUSPENDED,
    USERNAME_RE,
    BadCredentials,
    SignUpRefused,
    authenticate,
    check_new_account,
    hash_new_password,
    sign_up,
    signup_refusal,
    start_session,
)
from paperfeed.web.auth.pages import (
    ALIASES,
    InviteQuery,
    PendingVote,
    Text,
    Vote,
    signin,
    signin_page,
    signout,
    signup,
    signup_page,
)
from paperfeed.web.auth.redirects import safe_next, signed_in_redirect
from paperfeed.web.auth.signup import CONFIRM_SENT, SIGNUP_SENT, in_domains
from paperfeed.web.auth.throttle import limit, limit_submitter, limited_sign_in

# The routes, in the order the single module declared them.
router = APIRouter(include_in_schema=False)
for _part in (pages, account):
    router.include_router(_part.router)

__all__ = [
    "ALIASES",
    "CONFIRM_SENT",
    "INVITE_ONLY",
    "INVITE_SPENT",
    "SIGNUP_CLOSED",
    "SIGNUP_SENT",
    "SUSPENDED",
    "TOKEN_LASTS",
    "USERNAME_RE",
    "BadCredentials",
    "InviteQuery",
    "PendingVote",
    "SignUpRefused",
    "Text",
    "Vote",
    "account_home",
    "account_page",
    "authenticate",
    "check_new_account",
    "hash_new_password",
    "in_domains",
    "limit",
    "limit_submitter",
    "limited_sign_in",
    "router",
    "safe_next",
    "sign_up",
    "signed_in_redirect",
    "signin",
    "signin_page",
    "signout",
    "signup",
    "signup_page",
    "signup_refusal",
    "start_session",
]
