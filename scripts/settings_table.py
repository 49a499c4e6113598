"""Print the README's configuration table from `Settings` (run after adding a setting)."""

from __future__ import annotations

from paperfeed.settings import Settings


def main() -> None:
    """Write one markdown row per setting: variable, default, description."""
    print("| variable | default | what it does |")
    print("| --- | --- | --- |")
    for name, field in Settings.model_fields.items():
        default = "(computed)" if field.default_factory else field.default
        print(f"| `PAPERFEED_{name.upper()}` | `{default}` | {field.description} |")


if __name__ == "__main__":
    main()
