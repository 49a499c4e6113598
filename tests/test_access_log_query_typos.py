"""PAPERFEED_ACCESS_LOG_QUERIES misspelt: a slip of its mode words (redact_search,
redact-serach, Keep) was taken as a parameter name and left the search words in the log; it is
refused, naming the values it takes, while real parameter names are still taken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from paperfeed.settings import Settings


def _asked(value: str) -> dict[str, Any]:
    return {"access_log_queries": value, "_env_file": None}


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("redact_search", "redact-search"),
        ("redact-serach", "redact-search"),
        ("Redact-Search", "redact-search"),
        ("redactsearch", "redact-search"),
        ("redact-searches", "redact-search"),
        ("redact", "redact-search"),
        ("q,redact_search", "redact-search"),
        ("Keep", "keep"),
        ("kepe", "keep"),
        ("keeps", "keep"),
    ],
)
def test_a_misspelt_mode_is_refused_not_taken_as_a_parameter(value: str, mode: str) -> None:
    with pytest.raises(ValidationError, match=f"looks like {mode} misspelt") as refused:
        Settings(**_asked(value))
    assert "give keep, redact-search or names like q,author" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("keep", "keep"),
        (" redact-search ", "redact-search"),
        ("q,author", "q,author"),
        ("show_muted, claims_page,q", "show_muted,claims_page,q"),  # the site's own, with _
        ("category,day,sort,state,collection,token,cursor", None),
    ],
)
def test_the_modes_and_real_parameter_names_are_still_taken(value: str, kept: str | None) -> None:
    assert Settings(**_asked(value)).access_log_queries == (kept or value)


def test_the_console_script_names_the_misspelt_setting(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "paperfeed"
    env = {
        **os.environ,
        "PAPERFEED_DATA_DIR": str(tmp_path),
        "PAPERFEED_ACCESS_LOG_QUERIES": "redact_search",
    }
    env.pop("PAPERFEED_DATABASE_URL", None)
    done = subprocess.run(
        [str(script), "digest", "status"], env=env, capture_output=True, text=True, timeout=120
    )
    said = " ".join(done.stderr.split())
    assert done.returncode == 2, said
    assert "error: PAPERFEED_ACCESS_LOG_QUERIES: " in said and "redact-search misspelt" in said
    assert "Traceback" not in done.stderr
