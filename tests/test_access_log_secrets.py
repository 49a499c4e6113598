"""The access log names no secret a link carries: signed tokens, invite links, private paths."""

from __future__ import annotations

from starlette.types import Scope

from paperfeed.web.access import log_target


def _scope(path: str, query: str = "") -> Scope:
    return {"type": "http", "path": path, "query_string": query.encode()}


def test_an_invite_link_s_token_is_not_logged() -> None:
    target = log_target(_scope("/signup", "invite=Zx9-secret_Token&next=/"))
    assert target == "/signup?invite=[redacted]&next=/"


def test_signed_tokens_and_private_paths_stay_redacted() -> None:
    assert log_target(_scope("/confirm", "token=abc.def")) == "/confirm?token=[redacted]"
    assert log_target(_scope("/feeds/for-you/s3cr3t.atom")) == "/feeds/for-you/[redacted].atom"
    assert log_target(_scope("/c/K3y\n/copy")) == "/c/[redacted]/copy"
