"""The one Jinja environment for the site's pages: the web and digest template folders together.

The site builds it once (`web.render.create_env` adds its filters) and hands it to every page,
including the digest's subscription pages, which extend the site's `base.html`.
"""

from __future__ import annotations

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from paperfeed.text import bidi_closed

TEMPLATE_FOLDERS = (("paperfeed.web", "templates"), ("paperfeed.digest", "templates"))


def page_env() -> Environment:
    """A new autoescaping environment that finds templates in every page-template folder."""
    loader = ChoiceLoader([PackageLoader(package, folder) for package, folder in TEMPLATE_FOLDERS])
    return Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=bidi_closed,  # user text never reverses the page after it
    )
