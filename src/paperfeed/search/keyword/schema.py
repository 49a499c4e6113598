"""The keyword index's fields, versions and analyzers; its state file read without opening it."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from paperfeed.search.progress import Build

# 3: the numeric `key` fast field (ids without reading documents); 4: the combined `text` field;
# 5: "C++", "C#" and "F#" indexed as words of their own in `text` (`query.code_words`);
# 6: author names in `text` through `code_words` too, where Turkish "İ" is "I" ("ismail" finds
# "İsmail Işık"); 7: names searched in `author_words`, read the same way (the author filter
# "Ismail Isik" finds "İsmail Işık"), `authors` only stored; Chinese and Japanese runs indexed
# as pairs of characters (`query.code_words`); 8: words with umlauts (and ø, å) indexed once more
# as German spells them out, "Schrödinger" as "Schroedinger" too (`text.spelled_out`); 9: the
# parts of a Chinese or Japanese name written together, "山田 太郎" as "山田太郎"
# (`query.name_words`); 10: the `umlauts` field, the words written with umlauts spelled out
# ("schroedinger"): a plain "Schrodinger" finds "Schroedinger" (and back) only where a paper wrote
# "Schrödinger" (`other_spellings`); 11: `title_key` keeps every script's letters and spells ß, ł,
# ø out (`models.normalise_title`): an exact title in Chinese or Russian names its paper;
# 12: the `venue` field (comments and journal reference: "ICML 2026"), and a Korean name's parts
# written together once more in `author_words` ("김 민수" as "김민수" too, as author keys join them)
SCHEMA_VERSION = 12
# The oldest schema whose fields the current queries read (7: `author_words`, `authors` stored
# only; 8, 9 and 11 only added or changed terms; 10's `umlauts` and 12's `venue` are read where
# the index has them): such an index keeps answering while its successor is built.
SEARCHABLE_SINCE = 7
UMLAUTS_SINCE = 10
VENUE_SINCE = 12
_STATE = "paperfeed-state.json"


def stemmer() -> tantivy.TextAnalyzer:
    """The analyzer for title and abstract: lower-case, ASCII-folded, English-stemmed words."""
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40))
    return (
        builder.filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .filter(Filter.stemmer("english"))
        .build()
    )


def _nothing() -> tantivy.TextAnalyzer:
    """An analyzer that yields no terms: for a field that is stored, not searched."""
    return TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.remove_long(1)).build()


def _names() -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40))
    return builder.filter(Filter.lowercase()).filter(Filter.ascii_fold()).build()


def _schema(version: int = SCHEMA_VERSION) -> tantivy.Schema:
    """The index's fields, as an index of schema `version` (an older one searched) has them."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("abstract", stored=True, tokenizer_name="stored_only")
    sb.add_text_field("authors", stored=True, tokenizer_name="stored_only")
    sb.add_text_field("author_words", tokenizer_name="names")  # as `query.code_words` reads
    sb.add_text_field("text", tokenizer_name="en_stem")
    sb.add_text_field("title_key", tokenizer_name="raw")
    sb.add_text_field("category", tokenizer_name="raw")
    sb.add_date_field("day", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("key", fast=True)  # `id_key`: a hit's id without its stored document
    if version >= UMLAUTS_SINCE:
        sb.add_text_field("umlauts", tokenizer_name="names")  # words written with umlauts
    if version >= VENUE_SINCE:
        sb.add_text_field("venue", tokenizer_name="en_stem")  # comments and journal reference
    return sb.build()


def saved_watermark(path: Path) -> datetime | None:
    """The watermark of the index saved in `path`, read without opening it (None: no index)."""
    try:
        value = json.loads((path / _STATE).read_text()).get("watermark")
    except (OSError, ValueError):
        return None
    return datetime.fromisoformat(str(value)) if value else None


def saved_state(path: Path) -> tuple[int | None, Build | None]:
    """The schema version of the index saved in `path` and the build under way there, if any
    (read without opening it: `paperfeed doctor`, the admin console)."""
    try:
        state = json.loads((path / _STATE).read_text())
    except (OSError, ValueError):
        return None, None
    if not isinstance(state, dict):
        return None, None
    schema = state.get("schema")
    return (schema if isinstance(schema, int) else None), Build.from_json(state.get("build"))


@contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Held while a process checks the index's version and wipes an old one: several workers
    starting at once wiped the folder under the one that had begun building it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
