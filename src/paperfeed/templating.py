"""The one Jinja environment for the site's pages: the web and digest template folders together.

The site builds it once (`web.render.create_env` adds its filters) and hands it to every page,
including the digest's subscription pages, which extend the site's `base.html`.
"""

from __future__ import annotations

import re
from types import CodeType

from jinja2 import BytecodeCache, ChoiceLoader, Environment, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from jinja2.ext import Extension
from markupsafe import Markup

from paperfeed.text import AsTyped, bidi_closed

TEMPLATE_FOLDERS = (("paperfeed.web", "templates"), ("paperfeed.digest", "templates"))
# A value put back into a form field: `value="{{ x }}"`, or a textarea's text.
_FIELD_VALUE = re.compile(r'(\bvalue="|<textarea\b[^>]*>)\{\{(-?)\s*(.+?)\s*(-?)\}\}', re.DOTALL)


def as_typed(value: object) -> object:
    """A string for a form field, left as typed (see `AsTyped`)."""
    return AsTyped(value) if isinstance(value, str) and not isinstance(value, Markup) else value


class FormFieldsAsTyped(Extension):
    """Marks every form field's value in a template `as_typed`: a page that closed the bidi
    marks in a field's text would change it at each save (edit, save: one U+202C more)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _FIELD_VALUE.sub(r"\1{{\2 (\3)|as_typed \4}}", source)


class CompiledOnce(BytecodeCache):
    """Each template compiled once for the process, by its source's checksum: every page
    environment (one per app; a process may build several) runs the same compiled code.

    Only for environments made alike (`page_env`): the code depends on their options."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)


_COMPILED = CompiledOnce()


def page_env() -> Environment:
    """A new autoescaping environment that finds templates in every page-template folder."""
    loader = ChoiceLoader([PackageLoader(package, folder) for package, folder in TEMPLATE_FOLDERS])
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=bidi_closed,  # user text never reverses the page after it
        extensions=[FormFieldsAsTyped],
        bytecode_cache=_COMPILED,
    )
    env.filters["as_typed"] = as_typed
    return env
