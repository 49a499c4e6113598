"""Profiles: a user's page and avatar, editing one's profile, changing the password."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from paperfeed import text as text_rules
from paperfeed.digest.subscribe import notices_to_account_address
from paperfeed.store.accounts import User, end_sessions, set_password_hash
from paperfeed.store.claim_batches import claimed_spellings
from paperfeed.store.community import (
    Profile,
    claims_by_user,
    find_user_id,
    get_profile,
    save_profile,
    submitted_by,
    user_comments,
)
from paperfeed.store.digests import user_subscription
from paperfeed.store.email_links import account_email
from paperfeed.store.library import has_feed_token, public_collections, revoke_feed_tokens
from paperfeed.store.listings import paper_flags
from paperfeed.store.password_links import end_mailed_links
from paperfeed.store.upvoters import upvoted_publicly
from paperfeed.web import discussion
from paperfeed.web.auth import BadCredentials, check_new_account, hash_new_password, limited_sign_in
from paperfeed.web.deps import (
    SESSION_COOKIE,
    FormCsrf,
    SignedInDep,
    Site,
    SiteDep,
    UserDep,
    html,
    say_next,
)
from paperfeed.web.discuss.common import _titles

router = APIRouter(include_in_schema=False)


PROFILE_COLLECTIONS = 50  # public collections a profile lists


@router.get("/users/{name}")
def profile_page(request: Request, site: SiteDep, user: UserDep, name: str) -> Response:
    """A user's profile: bio, links, public collections, claimed papers, comments and
    submissions."""
    with site.engine.connect() as conn:
        found = find_user_id(conn, name)
        if found is None:
            raise HTTPException(404, f"there is no user {name}")
        uid, username, created, is_admin, suspended = found
        moderator = user is not None and user.is_admin
        hide = suspended and not moderator  # a suspended account's bio, links and claims
        profile = _BLANK if hide else get_profile(conn, uid)
        own = user is not None and user.id == uid  # the claimant also sees claims waiting
        shown = ("approved", "pending") if own else ("approved",)
        claims = [] if hide else [c for c in claims_by_user(conn, uid) if c.status in shown]
        said = user_comments(conn, uid, 30, moderator=moderator)
        # Papers a moderator hid: a moderator and the owner see them marked, no one else.
        marked = moderator or own
        upvoted = [] if suspended else upvoted_publicly(conn, uid, include_hidden=marked)
        subs = submitted_by(conn, uid, include_hidden=marked)
        named = {c.paper_id for c in said} | {c.paper_id for c in claims} | {*upvoted, *subs}
        titles = _titles(conn, named)
        taken_down = {pid for pid, f in paper_flags(conn, sorted(named)).items() if f.hidden}
        if not marked:  # claims and comments on a paper taken down leave with it
            claims = [c for c in claims if c.paper_id not in taken_down]
            said = [c for c in said if c.paper_id not in taken_down]
        shared = [] if suspended else public_collections(conn, uid, PROFILE_COLLECTIONS)
        spellings = claimed_spellings(conn, claims)  # each name's author page
    body = site.render(
        "profile.html",
        spellings=spellings,
        collections=shared,
        user=user,
        username=username,
        created=created,
        profile=profile,
        claims=claims,
        comments=[(c, discussion.listed_html(c)) for c in said],
        authored={c.paper_id for c in claims if c.status == "approved"},
        titles=titles,
        submissions=subs,
        upvoted=upvoted,
        taken_down=taken_down,
        is_admin=is_admin,
        suspended=suspended,
    )
    return html(site, request, body)


# What a suspended account's profile says of it (its own words may be the spam).
_BLANK = Profile("", "", (), notify_replies=False, notify_email=False)


@router.get("/avatars/{name}.svg")
def avatar(name: str) -> Response:
    """A generated identicon for a user name (made here; no outside service)."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    hue = digest[0] * 360 // 256
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" width="64" height="64">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="hsl({hue},30%,94%)"/>'
        f'<g fill="hsl({hue},55%,45%)">{"".join(cells)}</g></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.post("/settings/notice-address", dependencies=[FormCsrf])
def notices_to_own_address(site: SiteDep, user: SignedInDep) -> Response:
    """Send the account's notices to its own address (an account whose address was confirmed
    before that made it the notices' too)."""
    with site.engine.begin() as conn:
        address = account_email(conn, user.id)
        if address is None:
            raise HTTPException(400, "your account has no email address: add one on /account")
        if not notices_to_account_address(conn, user.id, address):
            raise HTTPException(
                409,
                f"{address} could not take your notices: it has a digest subscription waiting "
                "for its confirmation, or another account's; add it with the form below",
            )
    response = RedirectResponse("/settings/profile#email", status_code=303)
    return say_next(response, f"Notices by email now go to {address}.")


@router.get("/settings/profile")
def profile_edit_page(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    password: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The form to edit one's profile and change the password (`password=changed`: it says
    the change was made; `changed-feed`: and the private feed URL was revoked)."""
    with site.engine.connect() as conn:
        profile = get_profile(conn, user.id)
    said = password if password in ("changed", "changed-feed") else ""
    return _profile_form(request, site, user, profile, changed=said)


def _profile_form(
    request: Request,
    site: Site,
    user: User,
    profile: Profile,
    problem: str = "",
    changed: str = "",
    field: str = "links",
) -> Response:
    """The profile form, with what was typed and what is wrong with it (a 400) when refused,
    said beside the `field` it is about."""
    with site.engine.connect() as conn:
        linked = user_subscription(conn, user.id)
        own = account_email(conn, user.id) if linked is None else None
    page = site.render(
        "profile_edit.html",
        user=user,
        profile=profile,
        linked=linked,
        account_address=own,
        problem=problem,
        problem_field=field,
        password_changed=changed,
    )
    return html(site, request, page, 400 if problem else 200)


@router.post("/settings/profile", dependencies=[FormCsrf])
def profile_edit(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    bio: Annotated[str, Form(max_length=2000)] = "",
    affiliation: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=1000)] = "",
    links: Annotated[str, Form(max_length=2000)] = "",
    notify_replies: Annotated[int, Form(ge=0, le=1)] = 0,
    notify_email: Annotated[int, Form(ge=0, le=1)] = 0,
    notify_lists: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Save the profile."""
    urls = [u.strip() for u in links.splitlines() if u.strip()]
    bad = [u for u in urls if not u.startswith(("https://", "http://"))]
    notify = (bool(notify_replies), bool(notify_email))
    typed = Profile(
        bio,
        affiliation,
        tuple(urls),
        *notify,
        display_name=display_name,
        notify_lists=bool(notify_lists),
    )
    try:
        name = text_rules.display_name(display_name)
    except ValueError as refused:  # the form again, nothing typed lost
        said = str(refused)
        return _profile_form(
            request, site, user, typed, said[0].upper() + said[1:] + ".", field="display_name"
        )
    if bad or len(urls) > 5:
        problem = f"Not an http(s) address: {bad[0]}" if bad else "At most five links."
        return _profile_form(request, site, user, typed, problem)
    with site.writing() as conn:
        save_profile(
            conn,
            user.id,
            display_name=name,
            bio=bio.strip(),
            affiliation=affiliation.strip(),
            links="\n".join(urls),
            notify_replies=bool(notify_replies),
            notify_email=bool(notify_email),
            notify_lists=bool(notify_lists),
        )
    return RedirectResponse(f"/users/{user.username}", status_code=303)


@router.post("/settings/password", dependencies=[FormCsrf])
def change_password(
    request: Request,
    site: SiteDep,
    user: SignedInDep,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Change the password after checking the current one; every other session (other
    browsers, API tokens) ends, the private feed URL is revoked and mailed reset links and a
    waiting address change stop working, as a stolen password's would: whoever held the old
    password may have taken any of them."""
    try:  # under the sign-in limits: a borrowed session must not guess the password freely
        limited_sign_in(site, request, user.username, current)
    except BadCredentials as exc:
        raise HTTPException(400, "the current password is not right") from exc
    try:
        check_new_account(user.username, new)
    except BadCredentials as exc:
        raise HTTPException(400, str(exc)) from exc
    with site.writing() as conn:
        set_password_hash(conn, user.id, hash_new_password(new))
        end_sessions(conn, user.id, keep=request.cookies.get(SESSION_COOKIE))
        end_mailed_links(conn, user.id)
        had_feed = has_feed_token(conn, user.id)
        revoke_feed_tokens(conn, user.id)
    said = "changed-feed" if had_feed else "changed"
    return RedirectResponse(f"/settings/profile?password={said}#password", status_code=303)
