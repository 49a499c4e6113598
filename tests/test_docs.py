"""The README documents every setting and every command (datasette's test_docs idea)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from paperfeed.cli import app
from paperfeed.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    assert f"PAPERFEED_{name.upper()}" in README


@pytest.mark.parametrize("name", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_command_is_documented(name: str) -> None:
    assert f"paperfeed {name}" in README
