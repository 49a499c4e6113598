"""Who upvoted a paper, as Hugging Face Papers shows it, but opt-in: only readers who turned on
"Show my upvotes publicly" on /account are named; everyone else's upvotes are only counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import Connection

from paperfeed.store.community import get_profile, save_profile
from paperfeed.store.upvoters import Upvoter, public_upvoters
from paperfeed.web.deps import ApiCsrf, FormCsrf, SignedInDep, SiteDep, say_next

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/me", tags=["me"])
_PUBLIC = (
    "Show my upvotes publicly: papers you upvote name you among their upvoters and your profile"
    " lists them; off (the default), your upvotes only add to the counts"
)


@dataclass(frozen=True)
class Upvoters:
    """A paper's upvoters as shown: the newest opted-in accounts by name, the rest counted."""

    named: tuple[Upvoter, ...]
    others: int  # upvotes not named: readers who did not opt in, older ones, imported ones


def upvoters(conn: Connection, paper_id: str, upvotes: int) -> Upvoters:
    """Who upvoted the paper, of its `upvotes` in all (one query, however many voted)."""
    named = tuple(public_upvoters(conn, paper_id))
    return Upvoters(named, max(upvotes - len(named), 0))


def upvoters_json(shown: Upvoters) -> list[dict[str, Any]]:
    """The named upvoters in the API's user shape (Hugging Face's name/fullname/type)."""
    return [
        {"name": u.username, "fullname": u.display_name or u.username, "type": "user"}
        for u in shown.named
    ]


def shows_upvotes(conn: Connection, user_id: int) -> bool:
    """Whether the user chose to show their upvotes publicly."""
    return get_profile(conn, user_id).public_upvotes


@router.post("/account/upvotes", dependencies=[FormCsrf])
def set_public_upvotes(
    site: SiteDep, user: SignedInDep, public: Annotated[int, Form(ge=0, le=1)] = 0
) -> Response:
    """Turn "Show my upvotes publicly" on or off (cached pages drop the name at once)."""
    with site.writing() as conn:
        save_profile(conn, user.id, public_upvotes=bool(public))
    said = (
        "Your upvotes are now public: papers you upvote name you, and so does your profile."
        if public
        else "Your upvotes are private again: they count, without your name."
    )
    return say_next(RedirectResponse("/account#upvotes", status_code=303), said)


class SettingsOut(BaseModel):
    """Your account settings as /account shows them."""

    upvotesPublic: bool = Field(description=_PUBLIC)


class SettingsIn(BaseModel):
    """The settings to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")  # a misspelt setting is said, not ignored
    upvotesPublic: StrictBool | None = Field(None, description=_PUBLIC + " (true or false)")


@api.get("/settings", response_model=SettingsOut, summary="Your account settings")
def api_settings(site: SiteDep, user: SignedInDep) -> dict[str, Any]:
    """Your account settings (as on /account)."""
    with site.engine.connect() as conn:
        return {"upvotesPublic": shows_upvotes(conn, user.id)}


@api.patch(
    "/settings",
    response_model=SettingsOut,
    dependencies=[ApiCsrf],
    summary="Change your account settings",
)
def api_change_settings(site: SiteDep, user: SignedInDep, body: SettingsIn) -> dict[str, Any]:
    """Change the settings given (cached pages drop a name taken back at once); answers them all."""
    with site.writing() as conn:
        if body.upvotesPublic is not None:
            save_profile(conn, user.id, public_upvotes=body.upvotesPublic)
        return {"upvotesPublic": shows_upvotes(conn, user.id)}
