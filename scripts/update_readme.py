"""Rewrite the settings table in README.md from `Settings`."""

from __future__ import annotations

import re
from pathlib import Path

from paperfeed.settings import Settings

README = Path(__file__).parent.parent / "README.md"


def table() -> str:
    """One markdown row per setting: variable, default, description."""
    rows = ["| variable | default | what it does |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = "(see below)" if field.default_factory else f"`{field.default}`"
        rows.append(f"| `PAPERFEED_{name.upper()}` | {default} | {field.description} |")
    return "\n".join(rows)


def main() -> None:
    """Replace the text between the settings-table markers."""
    text = README.read_text()
    block = f"<!-- settings-table -->\n{table()}\n<!-- /settings-table -->"
    README.write_text(
        re.sub(r"<!-- settings-table -->.*?<!-- /settings-table -->", block, text, flags=re.S)
    )


if __name__ == "__main__":
    main()
