"""The emails' own strict Jinja environment, and a template's plain-text and HTML renderings."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=2)
def _env(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("paperfeed.digest", "templates"),
        autoescape=select_autoescape(["html"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render_pair(name: str, **context: object) -> tuple[str, str]:
    """The plain-text and HTML renderings of one email template."""
    text = _env(False).get_template(f"{name}.txt").render(**context)
    html = _env(True).get_template(f"{name}.html").render(**context)
    return text, html
