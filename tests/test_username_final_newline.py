"""A user name ending in a newline ("bob\\n") passed the name rule, whose "$" lets one final
newline through, so the sign-up form, `paperfeed user add` and a roster could make an account
whose name prints on two lines and looks like another's. The rule now ends at the string's end."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.settings import Settings
from paperfeed.store.community import find_user_id
from paperfeed.web.auth import BadCredentials, check_new_account


def test_the_name_rule_refuses_a_final_newline() -> None:
    check_new_account("bob", "a long password")  # the name itself is fine
    with pytest.raises(BadCredentials) as refused:
        check_new_account("bob\n", "a long password")
    assert refused.value.field == "username"


def test_user_add_makes_no_account_named_with_a_newline(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("PAPERFEED_DATABASE_URL", settings.database_url)
    done = CliRunner().invoke(
        app, ["user", "add", "reader\n", "--password-stdin"], input="a long password\n"
    )
    assert done.exit_code == 1, done.output
    assert "a user name has 3 to 32 characters" in done.output
    with engine.connect() as conn:
        assert find_user_id(conn, "reader\n") is None
