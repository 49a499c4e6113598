"""Rate limits on signing in, signing up and submitting: 429 with how long to wait."""

from __future__ import annotations

from fastapi import HTTPException, Request

from paperfeed.store.accounts import User
from paperfeed.web.auth.credentials import authenticate
from paperfeed.web.deps import Site, client_key


def limit(site: Site, request: Request, what: str) -> None:
    """Refuse with 429 when this client is over its rate limit (submit, or "auth": sign-up)."""
    limiter = site.submit_limiter if what == "submit" else site.auth_limiter
    wait = limiter.hit(f"{what}:{client_key(request)}")
    if wait is not None:
        raise _too_many(wait)


def limit_submitter(site: Site, request: Request, user_id: int) -> None:
    """Refuse a submission with 429 past this client's limit, or past the account's (one
    account submitting from many addresses)."""
    limit(site, request, "submit")
    wait = site.submit_account_limiter.hit(f"submit-account:{user_id}")
    if wait is not None:
        seconds = int(wait) + 1
        raise HTTPException(
            429,
            f"too many submissions from this account; try again in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )


def _too_many(wait: float) -> HTTPException:
    return HTTPException(
        429,
        f"too many attempts; try again in {int(wait) + 1} seconds",
        headers={"Retry-After": str(int(wait) + 1)},
    )


def limited_sign_in(site: Site, request: Request, username: str, password: str) -> User:
    """`authenticate` under the sign-in limits: failures count, a right password does not."""
    address = client_key(request)
    attempt = site.sign_in_limits.begin(address, username)
    if attempt.wait is not None:
        raise _too_many(attempt.wait)
    user = authenticate(site.engine, username, password)
    site.sign_in_limits.succeeded(attempt)
    return user
